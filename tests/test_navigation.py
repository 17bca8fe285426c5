"""Navigation is generated from one chapter list, and every page agrees with it.

The nav cells of course notebooks, solutions and exercises, the README's chapter table and chapter 00's
map are what ``make navigation`` would write; every link in them reaches a file that exists, never a
planned chapter; and every ready chapter ends the same way (STYLE.md example 9).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from scalelab import chapters
from scalelab.chapters import CHAPTERS, ROOT, Chapter

READY = [ch for ch in CHAPTERS if ch.ready]
PLANNED = [ch for ch in CHAPTERS if not ch.ready]
ENDING = ["## Check yourself", "## Recap", "### Glossary", "## Further"]


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text("utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _nav(cell: dict) -> str | None:
    return cell["metadata"].get("scalelab", {}).get(chapters.NAV)


def _notebooks() -> list[tuple[Chapter, str, Path]]:
    """(chapter, kind of nav line, path) of every notebook that carries navigation."""
    found = []
    for ch in READY:
        found.append((ch, "course", ROOT / ch.course()))
        found.append((ch, "exercise", ROOT / ch.solution()))
        found.append((ch, "exercise", ROOT / ch.exercise()))
    return found


NOTEBOOKS = _notebooks()
IDS = [str(path.relative_to(ROOT)) for _, _, path in NOTEBOOKS]


def _generated_text() -> list[tuple[Path, str]]:
    """(the file a link is relative to, markdown) of every generated piece of text."""
    pieces = [(path, _source(c)) for _, _, path in NOTEBOOKS for c in _cells(path) if _nav(c)]
    welcome = ROOT / chapters.chapter(0).course()
    pieces += [
        (welcome, _source(c))
        for c in _cells(welcome)
        if c["metadata"].get("scalelab", {}).get(chapters.MAP)
    ]
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split(chapters.README_BEGIN)[1].split(chapters.README_END)[0]
    return [*pieces, (ROOT / "README.md", block)]


def _headings(markdown: str) -> list[tuple[str, str]]:
    """(``##``, text) of each heading in ``markdown``, skipping fenced code."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"^(#{1,6}) +(.+?) *$", line)):
            found.append((match[1], match[2]))
    return found


def _github_slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _jupyterlab_id(heading: str) -> str:
    return heading.replace(" ", "-")  # JupyterLab keeps the case and the punctuation


# --- every page says what the list says ------------------------------------------------------------


PAGES = list(chapters.pages())


@pytest.mark.parametrize(("path", "text"), PAGES, ids=[str(p.relative_to(ROOT)) for p, _ in PAGES])
def test_page_is_what_the_generator_writes(path: Path, text: str) -> None:
    assert path.read_text("utf-8") == text, (
        f"{path.relative_to(ROOT)} disagrees with lib/scalelab/chapters.py: run `make navigation` "
        "(then `make exercises`)"
    )


@pytest.mark.parametrize(("ch", "kind", "path"), NOTEBOOKS, ids=IDS)
def test_nav_cells_are_first_and_last_and_say_the_line(ch: Chapter, kind: str, path: Path) -> None:
    cells = _cells(path)
    navs = [(i, c["id"], _nav(c)) for i, c in enumerate(cells) if _nav(c)]
    last = len(cells) - 1
    assert navs == [(0, "nav-top", "top"), (last, "nav-bottom", "bottom")], navs
    line = chapters.nav_line(ch.number, kind)
    assert [_source(cells[0]), _source(cells[-1])] == [line, line]


def test_welcome_map_and_diagram_follow_the_list() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from scalelab import diagrams

    maps = [
        _source(c)
        for c in _cells(ROOT / chapters.chapter(0).course())
        if c["metadata"].get("scalelab", {}).get(chapters.MAP) == "chapters"
    ]
    assert maps == [chapters.journey_table()]
    rows = [row for row in maps[0].splitlines() if re.match(r"^\| \d\d ", row)]
    assert [(r.split(" | ")[0][2:], r.rsplit(" | ", 1)[1][:-2]) for r in rows] == [
        (ch.nn, ch.status) for ch in CHAPTERS
    ]
    figure = diagrams.journey()
    drawn = [t.get_text() for t in figure.axes[0].texts if t.get_text()]  # arrows are empty
    assert drawn == [label for _, label in chapters.journey_steps()]
    assert drawn[0] == "1 server" and drawn[-1] == "1,000,000\nusers"


# --- links ------------------------------------------------------------------------------------------


def _targets() -> list[tuple[Path, str]]:
    return [(base, link) for base, text in _generated_text() for link in chapters.links(text)]


def test_every_link_reaches_a_file_that_exists() -> None:
    targets = _targets()
    assert len(targets) > 3 * len(NOTEBOOKS)  # the nav lines, the README table and 00's map
    broken = []
    for base, link in targets:
        path, _, fragment = link.partition("#")
        if "://" in path:
            continue
        if not (base.parent / path).is_file():
            broken.append(f"{base.relative_to(ROOT)}: {link}")
        elif fragment:
            text = (base.parent / path).read_text("utf-8")
            headings = [h for _, h in _headings(text)]
            ids = set(re.findall(r'<a id="([^"]+)"></a>', text))
            on_github = ids | {_github_slug(h) for h in headings}
            in_jupyterlab = ids | {_jupyterlab_id(h) for h in headings}
            if fragment not in on_github or fragment not in in_jupyterlab:
                broken.append(f"{base.relative_to(ROOT)}: {link} (no such anchor)")
    assert broken == []


def test_contents_anchor_is_the_chapter_tables_heading() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    before_table = readme.split(chapters.README_BEGIN)[0]
    assert _github_slug(_headings(before_table)[-1][1]) == chapters.CONTENTS


def test_planned_chapters_are_never_linked() -> None:
    linked = [(base, link) for base, link in _targets() for ch in PLANNED if ch.name in link]
    assert linked == []
    for ch in READY:
        for kind in ("course", "exercise"):
            names = " ".join(chapters.links(chapters.nav_line(ch.number, kind)))
            assert not [p.name for p in PLANNED if p.name in names]


def _with_ready(numbers: set[int]) -> tuple[Chapter, ...]:
    """The chapter list with exactly ``numbers`` ready, so these tests do not move as chapters are written."""
    return tuple(
        Chapter(**{**ch.__dict__, "status": "ready" if ch.number in numbers else "planned"})
        for ch in CHAPTERS
    )


#: The chapters that were ready when these tests were written.
SOME_READY = {0, 1, 3, 5, 6, 7}


def test_nav_line_names_the_planned_chapters_between(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chapters, "CHAPTERS", _with_ready(SOME_READY))
    assert chapters.nav_line(3) == (
        "‹ [01 · single server](01-single-server.ipynb) · 02 planned · [contents](../README.md#chapters)"
        " · 04 planned · [05 · load balancer](05-load-balancer.ipynb) ›"
    )
    assert chapters.nav_line(5, "exercise") == (
        "‹ [03 · database](../03-database/03-database.ipynb) · 04 planned · "
        "[contents](../../README.md#chapters) · [the chapter](../../course/05-load-balancer.ipynb)"
        " · [06 · replication](../06-replication/06-replication.ipynb) ›"
    )
    assert chapters.nav_line(7).endswith(" · 08–18 planned")
    monkeypatch.setattr(chapters, "CHAPTERS", _with_ready(SOME_READY | {12}))
    assert chapters.nav_line(7).endswith(" · 08–11 planned · [12 · sharding](12-sharding.ipynb) ›")
    assert chapters.nav_line(12).endswith(" · 13–18 planned")


def test_a_chapter_made_ready_is_linked_and_its_neighbours_follow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chapters, "CHAPTERS", _with_ready(SOME_READY | {8}))
    link = "[08 · CDN](08-cdn.ipynb)"
    assert chapters.nav_line(7).endswith(f"[contents](../README.md#chapters) · {link} ›")
    assert chapters.nav_line(8).startswith("‹ [07 · cache](07-cache.ipynb) · [contents]")
    assert "| 08 | [CDN](course/08-cdn.ipynb) |" in chapters.readme_table()
    # A chapter marked ready whose notebook does not exist yet (chapter 10 here) is refused.
    monkeypatch.setattr(chapters, "CHAPTERS", _with_ready(SOME_READY | {8, 10}))
    with pytest.raises(FileNotFoundError, match="chapter 10 is ready, but course/10-microservices"):
        list(chapters.pages())


def test_status_is_ready_or_planned() -> None:
    with pytest.raises(ValueError, match="status must be 'ready' or 'planned', got 'done'"):
        Chapter(2, "frontend-backend", "front end and back end", "done", "", "")


def test_the_list_matches_the_files() -> None:
    assert [ch.number for ch in CHAPTERS] == list(range(19))
    ready = sorted(p.stem for p in (ROOT / "course").glob("*.ipynb"))
    assert ready == [ch.name for ch in READY]
    assert sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()) == ready


# --- chapters end the same way (STYLE.md example 9) ------------------------------------------------


def ending(cells: list[dict]) -> list[str]:
    """The headings from "Check yourself" to the end, of the markdown cells that are not nav cells."""
    headings = [
        f"{level} {text}"
        for c in cells
        if c["cell_type"] == "markdown" and not _nav(c)
        for level, text in _headings(_source(c))
    ]
    start = headings.index(ENDING[0]) if ENDING[0] in headings else len(headings)
    return headings[start:]


@pytest.mark.parametrize("ch", READY, ids=lambda ch: ch.name)
def test_chapter_ends_with_check_yourself_recap_glossary_further(ch: Chapter) -> None:
    cells = _cells(ROOT / ch.course())
    assert ending(cells) == ENDING
    text = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown" and not _nav(c))
    check_yourself = text.split(ENDING[0])[1].split(ENDING[1])[0]
    assert check_yourself.count("<details><summary>Answer</summary>") >= 2
    glossary = text.split(ENDING[2])[1].split(ENDING[3])[0]
    assert "| English · 한국어 | meaning |" in glossary
    after_further = cells[[_source(c).startswith(ENDING[3]) for c in cells].index(True) + 1 :]
    assert [_nav(c) for c in after_further] == ["bottom"]


def test_ending_order_is_checked() -> None:
    swapped = [{"cell_type": "markdown", "metadata": {}, "source": h} for h in ENDING]
    swapped[1], swapped[3] = swapped[3], swapped[1]
    assert ending(swapped) != ENDING


# --- the generator ----------------------------------------------------------------------------------


def _copy_of_the_pages(tmp_path: Path) -> Path:
    for ch in READY:
        for page in (ch.course(), ch.solution()):
            (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / page, tmp_path / page)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def test_generator_is_idempotent_and_repairs_a_stale_page(tmp_path: Path) -> None:
    root = _copy_of_the_pages(tmp_path)
    stale = root / chapters.chapter(5).course()
    notebook = json.loads(stale.read_text("utf-8"))
    notebook["cells"][0]["source"] = "‹ [04 · scale up vs scale out](04-scale-up-vs-out.ipynb)"
    notebook["cells"].insert(1, {**notebook["cells"][-1], "id": "old-nav"})
    stale.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert chapters.write(root) == [stale]
    assert stale.read_bytes() == (ROOT / chapters.chapter(5).course()).read_bytes()
    assert chapters.write(root) == []
