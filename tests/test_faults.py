"""One fault costs one question, not the notebook; nothing a notebook starts outlives its grading.

Graded through ScratchCourse (what ``scalelab grade`` uses), without the sandbox: a kernel that
dies, a cell with an unknown grade id, an answer cell duplicated by copy and paste, daemons.
tests/test_classroom.py hands the same submissions to a whole class, sandboxed.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import uuid
from functools import cache
from pathlib import Path

import pytest
from processes import daemon, double_fork, survivors
from submissions import points_of, reference_answers

from scalelab.teach import cli
from scalelab.teach.grading import Score, ScratchCourse

NAME = "05-load-balancer"
RR, HA = points_of(NAME, "rr"), points_of(NAME, "ha")  # autograded points of each question
pytestmark = pytest.mark.xdist_group("faults")
MARKER = f"scalelab-fault-{uuid.uuid4().hex}"

EXIT = "\nimport os\nos._exit(1)\n"
SIGKILL = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
DAEMON = daemon(MARKER)
DOUBLE_FORK = double_fork(MARKER)


def notebook(
    released: Path, answers: dict[str, str], *, unknown: bool = False, twice: str = ""
) -> dict:
    """The student version with ``answers`` filled in; optionally a cell with a grade id the exercise
    does not have, or the answer cell ``twice`` duplicated the way JupyterLab's copy and paste does
    (every bit of metadata copied, a new cell id)."""
    nb = json.loads(released.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
        cells.append(cell)
        if grade_id == twice:
            copy = json.loads(json.dumps(cell))
            copy["id"] = uuid.uuid4().hex[:8]
            copy["source"] = answers[grade_id] + "\nprint('my second try')\n"
            cells.append(copy)
        if unknown and grade_id == "rr-answer":
            mine = json.loads(json.dumps(cell))
            mine["id"] = uuid.uuid4().hex[:8]
            mine["metadata"]["nbgrader"]["grade_id"] = "my-own-notes"
            mine["source"] = "notes = 'a cell I added with metadata from elsewhere'\n"
            cells.append(mine)
    nb["cells"] = cells
    return nb


def submissions(released: Path) -> dict[str, dict]:
    answers = reference_answers(NAME)
    rr, ha = answers["rr-answer"], answers["ha-answer"]
    return {
        "good": notebook(released, answers),
        "exits": notebook(released, answers | {"ha-answer": ha + EXIT}),
        "sigkill": notebook(released, answers | {"rr-answer": SIGKILL + rr}),
        "unknown": notebook(released, answers, unknown=True),
        "twice": notebook(released, answers, twice="rr-answer"),
        "daemons": notebook(released, answers | {"rr-answer": rr + DAEMON + DOUBLE_FORK}),
    }


@cache
def graded() -> tuple[dict[str, list[Score]], dict[str, list[str]], float, list[int], Path]:
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    with ScratchCourse([NAME], timeout=10) as course:
        files = {}
        for student, nb in submissions(course.released(NAME)).items():
            files[student] = work / f"{student}.ipynb"
            files[student].write_text(json.dumps(nb, indent=1), encoding="utf-8")
        started = time.monotonic()
        scores = course.autograde(NAME, files)
        seconds = time.monotonic() - started
        notes = {student: course.notes(NAME, student) for student in files}
    return scores, notes, seconds, survivors(MARKER), work


def marks(scores: list[Score], prefix: str) -> float:
    return sum(s.score for s in scores if s.cell.startswith(prefix))


@pytest.mark.parametrize(
    ("student", "rr", "ha", "note"),
    [
        ("good", RR, HA, None),
        ("exits", RR, 0, "the kernel died while running cell ha-answer (it exited with status 1)"),
        (
            "sigkill",
            0,
            HA,
            "the kernel died while running cell rr-answer (it was killed by SIGKILL",
        ),
        ("unknown", RR, HA, "cell my-own-notes is not part of this exercise (unknown grade id)"),
        ("twice", RR, HA, "cell rr-answer appears twice (copy and paste?): both copies were run"),
        ("daemons", RR, HA, None),
    ],
)
def test_one_fault_costs_one_question(student: str, rr: float, ha: float, note: str | None) -> None:
    scores, notes, _, _, _ = graded()
    assert (marks(scores[student], "rr-"), marks(scores[student], "ha-")) == (rr, ha), scores[
        student
    ]
    if note is None:
        assert notes[student] == []
    else:
        assert any(note in n for n in notes[student]), notes[student]


def test_the_cell_that_killed_the_kernel_says_so() -> None:
    scores, _, _, _, _ = graded()
    message = {s.cell: s.message for s in scores["exits"]}
    assert "ha-answer" not in message or "KernelDied" in message["ha-answer"]
    visible = {s.cell: s for s in scores["exits"]}["ha-visible"]
    assert visible.score == 0 and "NameError" in visible.message


def test_no_process_a_notebook_started_survives_grading() -> None:
    *_, seconds, left, _ = graded()
    assert left == [], f"processes with {MARKER} survived grading: {left}"
    assert seconds < 120


def test_scalelab_grade_says_in_one_line_what_it_cannot_grade(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / NAME
    folder.mkdir()
    (folder / "broken.ipynb").write_text('{"cells": [ this is not json')
    assert cli.grade([folder / "broken.ipynb"]) == 1
    out = capsys.readouterr()
    lines = [ln for ln in (out.out + out.err).splitlines() if ln.strip()]
    assert "Traceback" not in out.out + out.err
    assert any("broken.ipynb is not a valid notebook" in ln for ln in lines), lines


def test_scalelab_grade_grades_a_duplicated_cell_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    *_, work = graded()
    folder = tmp_path / NAME
    folder.mkdir()
    mine = folder / "mine.ipynb"
    mine.write_bytes((work / "twice.ipynb").read_bytes())
    assert cli.grade([mine]) == 0
    out = capsys.readouterr().out
    total = RR + HA
    assert re.search(rf"^total\s+{total:g}/{total:g}$", out, flags=re.M), out
    assert "cell rr-answer appears twice (copy and paste?): both copies were run" in out


def test_a_student_who_takes_too_long_is_stopped_with_a_note(tmp_path: Path) -> None:
    from scalelab.teach.classroom import Classroom
    from scalelab.teach.grading import ROOT

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / NAME, course / "solutions" / NAME)
    room = Classroom(course, timeout=30, contain=False, student_timeout=4)
    # generate only: release without --exchange would use an exchange the machine configures
    room.nbgrader("generate_assignment", NAME, "--force")
    answers = reference_answers(NAME)
    slow = answers | {"rr-answer": "import time\ntime.sleep(20)\n" + answers["rr-answer"]}
    folder = course / "submitted" / "slow" / NAME
    folder.mkdir(parents=True)
    released = course / "exercises" / NAME / f"{NAME}.ipynb"
    (folder / f"{NAME}.ipynb").write_text(json.dumps(notebook(released, slow)))
    started = time.monotonic()
    [outcome] = room.autograde(NAME, progress=None)
    assert time.monotonic() - started < 20
    assert outcome.score is None
    assert re.match(r"grading stopped after \d+ s \(limit 4 s per student", outcome.note)
