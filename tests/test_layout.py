"""The library's layout holds (lib/scalelab/DESIGN.md): the engine imports no family, models import
no plotting, widget or grading stack, nothing in the learner's library imports the teacher's tools,
and today's public names stay importable from ``scalelab``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import scalelab
from scalelab import chapters

LIB = Path(scalelab.__file__).parent
ROOT = LIB.parents[1]
STACKS = ("matplotlib", "ipywidgets", "nbgrader")
FAMILIES = (
    "capacity",
    "database",
    "balancer",
    "cache",
    "frontend",
    "scaling",
    "sharding",
    "cdn",
    "multidc",
)
FAMILIES_PREFIXES = tuple(f"scalelab.{f}" for f in FAMILIES)


def _module(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


SOURCES = {_module(p): p for p in sorted(LIB.rglob("*.py"))}


def _is_picture(module: str) -> bool:
    return module.startswith("scalelab.viz") or module.rsplit(".", 1)[-1] in ("plots", "panel")


def _is_teach(module: str) -> bool:
    return module == "scalelab.teach" or module.startswith("scalelab.teach.")


MODELS = [m for m in SOURCES if not _is_picture(m) and not _is_teach(m)]


@pytest.mark.parametrize("module", MODELS)
def test_models_import_no_plotting_widget_or_grading_stack(module: str) -> None:
    bad = sorted(i for i in _imports(SOURCES[module]) if i.split(".")[0] in STACKS)
    assert not bad, f"{module} is a model: expected no import of {STACKS}, got {bad}"


def test_importing_the_models_loads_no_plotting_widget_or_grading_stack() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {MODELS!r}: importlib.import_module(m)\n"
        f"print(sorted({{n.split('.')[0] for n in sys.modules}} & set({STACKS!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"expected no stack loaded by the models, got {out.stdout}"


@pytest.mark.parametrize("module", [m for m in SOURCES if m.startswith("scalelab.sim")])
def test_the_engine_imports_no_family(module: str) -> None:
    allowed = ("scalelab.sim", "scalelab.theory", "scalelab.validate")
    bad = sorted(
        i
        for i in _imports(SOURCES[module])
        if i.startswith("scalelab") and not i.startswith(allowed)
    )
    assert not bad, f"{module} is the engine: expected imports from {allowed} only, got {bad}"


@pytest.mark.parametrize("module", [m for m in SOURCES if m.startswith("scalelab.viz")])
def test_shared_pictures_import_no_family(module: str) -> None:
    bad = sorted(i for i in _imports(SOURCES[module]) if i.startswith(FAMILIES_PREFIXES))
    assert not bad, f"{module} is generic: expected no import of a family, got {bad}"


@pytest.mark.parametrize("module", [m for m in SOURCES if m.startswith("scalelab.net")])
def test_the_loopback_servers_import_no_family(module: str) -> None:
    bad = sorted(i for i in _imports(SOURCES[module]) if i.startswith(FAMILIES_PREFIXES))
    assert not bad, f"{module} is shared by the labs: expected no import of a family, got {bad}"


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_imports_no_other_family(family: str) -> None:
    others = tuple(p for p in FAMILIES_PREFIXES if p != f"scalelab.{family}")
    for module, path in SOURCES.items():
        if module.startswith(f"scalelab.{family}"):
            bad = sorted(i for i in _imports(path) if i.startswith(others))
            assert not bad, f"{module}: expected no import of another family, got {bad}"


def test_nothing_but_the_command_line_and_the_grader_config_imports_teach() -> None:
    offenders = [
        f"{m}: {sorted(i for i in _imports(p) if _is_teach(i))}"
        for m, p in SOURCES.items()
        if not _is_teach(m) and any(_is_teach(i) for i in _imports(p))
    ]
    for notebook in sorted(ROOT.glob("course/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        if any("scalelab.teach" in "".join(c["source"]) for c in cells if c["cell_type"] == "code"):
            offenders.append(notebook.name)
    assert not offenders, (
        f"expected teach/ imported only by the CLI and nbgrader_config.py: {offenders}"
    )
    assert "scalelab.teach" in (ROOT / "nbgrader_config.py").read_text()


def test_check_holds_the_learners_assertions_only() -> None:
    from scalelab import check

    public = sorted(n for n in vars(check) if not n.startswith("_") and callable(getattr(check, n)))
    own = [n for n in public if getattr(getattr(check, n), "__module__", "") == "scalelab.check"]
    assert own == ["close", "equal", "raises", "time_limit"], f"expected assertions only, got {own}"


OLD_NAMES = [
    "Balancer", "Direct", "HealthCheck", "LeastConnections", "Random", "RoundRobin", "ServerView",
    "WeightedRoundRobin", "Outage", "Server", "pool", "SimResult", "simulate",
]  # fmt: skip
OLD_MODULES = [
    "queueing",
    "sweeps",
    "server",
    "plots",
    "diagrams",
    "widgets",
    "style",
    "check",
    "sim",
]


def test_yesterdays_public_names_stay_importable_from_scalelab() -> None:
    for name in OLD_NAMES + ["Outcome", "OK", "REFUSED", "LOST", "NO_SERVER", "DROPPED"]:
        assert name in scalelab.__all__ and hasattr(scalelab, name), f"expected scalelab.{name}"
    for name in OLD_MODULES:
        module = getattr(scalelab, name)
        assert module.__name__.startswith("scalelab."), f"expected a module for scalelab.{name}"
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        scalelab.nonsense  # noqa: B018


def test_every_panel_lives_in_its_family_and_the_chapters_use_them() -> None:
    panels = chapters.panels()
    for notebook in sorted(ROOT.glob("course/*.ipynb")):
        code = "\n".join(
            "".join(c["source"])
            for c in json.loads(notebook.read_text())["cells"]
            if c["cell_type"] == "code"
        )
        assert "ControlPanel(" not in code and "def draw" not in code, (
            f"{notebook.name}: expected its panel in the family's panel.py, got one built in the notebook"
        )
        if "panel" in code:
            assert notebook.stem in panels, f"{notebook.name} shows a panel that no PANELS lists"
    for chapter in panels:
        assert (ROOT / "course" / f"{chapter}.ipynb").exists(), (
            f"PANELS names {chapter}, no chapter"
        )


def test_the_design_notes_point_at_files_that_exist() -> None:
    import re

    table = [line for line in (LIB / "DESIGN.md").read_text().splitlines() if line.startswith("| ")]
    paths = [p for row in table[1:] for p in re.findall(r"`([a-z_/]+\.py)`", row.split("|")[2])]
    assert len(paths) >= 10, f"expected the where-to-change table, got {paths}"
    missing = [p for p in paths if not (LIB / p).exists()]
    assert not missing, f"DESIGN.md names files that do not exist: {missing}"
