"""The learner's commands: a workspace that never overwrites, a grader that never changes a file."""

import hashlib
import re
from pathlib import Path

import pytest

from scalelab.teach import cli
from scalelab.teach.grading import ROOT


def test_workspace_copies_exercises_and_never_overwrites(tmp_path: Path) -> None:
    created = cli.workspace(dest=tmp_path)
    expected = sorted(
        p.relative_to(ROOT / "exercises") for p in (ROOT / "exercises").glob("*/*.ipynb")
    )
    assert sorted(p.relative_to(tmp_path) for p in created) == expected
    mine = created[0]
    mine.write_text("my own work")
    assert cli.workspace(dest=tmp_path) == []
    assert mine.read_text() == "my own work"


def test_grade_prints_a_table_and_leaves_the_notebook_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    notebook = tmp_path / "00-welcome.ipynb"
    notebook.write_bytes((ROOT / "exercises" / "00-welcome" / "00-welcome.ipynb").read_bytes())
    before = hashlib.sha256(notebook.read_bytes()).hexdigest()
    assert cli.grade([notebook]) == 0
    out = capsys.readouterr().out
    assert re.search(r"qps-visible +0/1 ✘  NotImplementedError", out), out
    assert re.search(r"^total +0/4$", out, flags=re.M), out
    assert "by a person" not in out  # 00-welcome has no written answer
    assert hashlib.sha256(notebook.read_bytes()).hexdigest() == before


def test_grade_says_how_many_points_wait_for_a_person(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    notebook = tmp_path / "01-single-server.ipynb"
    notebook.write_bytes(
        (ROOT / "exercises" / "01-single-server" / "01-single-server.ipynb").read_bytes()
    )
    assert cli.grade([notebook]) == 0
    out = capsys.readouterr().out
    assert re.search(r"total +0/6\n\+ 2 points for 1 written answer, graded by a person ", out), out
    assert "(not counted here)" in out


def test_grade_explains_a_copy_of_the_course_without_hidden_tests(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "assignments", lambda: [])  # a student repository: no solutions/
    assert cli.grade([]) == 1
    assert "has no solutions/ folder (the hidden tests), so it cannot grade" in (
        capsys.readouterr().out
    )


def test_grade_explains_an_unknown_notebook(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.grade([tmp_path / "missing.ipynb"]) == 1
    assert "no such notebook" in capsys.readouterr().out
    stray = tmp_path / "holiday.ipynb"
    stray.write_text("{}")
    with pytest.raises(SystemExit, match="cannot tell which exercise"):
        cli.grade([stray])


def test_teach_reports_problems_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["teach", "--course", str(tmp_path), "release", "05-load-balancer"]) == 1
    captured = capsys.readouterr()
    assert f"course: {tmp_path.resolve()}" in captured.out
    assert "has no nbgrader_config.py" in captured.err


def test_teach_works_on_the_course_in_the_current_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["teach", "roster", "missing.csv"]) == 1
    captured = capsys.readouterr()
    assert f"course: {tmp_path.resolve()}" in captured.out
    assert "no roster file missing.csv" in captured.err


def test_progress_bar_counts_students(capsys: pytest.CaptureFixture) -> None:
    from scalelab.teach.classroom import progress_bar

    progress_bar(1, 4, "alice")
    progress_bar(4, 4, "done")
    out = capsys.readouterr().out
    assert "[#######-----------------------] 1/4 alice" in out
    assert "[##############################] 4/4 done" in out


def test_score_table_keeps_a_long_message_whole_under_its_row() -> None:
    from scalelab.teach.grading import Score, score_table

    got = "got " + "x" * 150 + " (END)"
    table = score_table([Score("ha-hidden-order", 0, 1, f"AssertionError: expected 2, {got}")])
    rows = table.splitlines()
    assert rows[2] == "ha-hidden-order  0/1 ✘"
    assert "".join(r.strip() for r in rows[3:-1]).endswith("(END)"), table
    assert all(len(r) <= 100 for r in rows), table
