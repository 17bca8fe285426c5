"""The grading round trip, for every assignment, through real nbgrader.

The reference solution scores every autograded point, the blank student version scores zero, every
plausible wrong solution in tests/wrong_solutions scores less than full (and keeps its marks on the
questions it got right), and grading never changes a submitted file.
"""

from __future__ import annotations

import hashlib
import importlib
import tempfile
from functools import cache
from pathlib import Path

import pytest
from submissions import reference_answers, write_submission

from scalelab.teach.grading import Score, ScratchCourse, assignments

NAMES = assignments()


def wrong_solutions(name: str) -> dict[str, dict[str, str]]:
    """The WRONG table for an assignment: tests/wrong_solutions/w00_welcome.py for 00-welcome."""
    module = "w" + name.replace("-", "_")
    return importlib.import_module(f"wrong_solutions.{module}").WRONG


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def graded(name: str) -> dict[str, tuple[list[Score], bool]]:
    """Grade the solution, the blank and each wrong solution of ``name``, once per test run.

    Returns submission → (scores, every file byte-identical after grading).
    """
    work = Path(tempfile.mkdtemp(prefix=f"roundtrip-{name}-"))
    with ScratchCourse([name], timeout=10) as course:
        released = course.released(name)
        answers = reference_answers(name)
        files = {
            "solution": write_submission(released, answers, work / "solution.ipynb"),
            "blank": write_submission(released, {}, work / "blank.ipynb"),
        }
        for i, (mistake, cells) in enumerate(wrong_solutions(name).items()):
            files[mistake] = write_submission(released, answers | cells, work / f"wrong{i}.ipynb")
        before = {key: _digest(path) for key, path in files.items()}
        students = {f"s{i}": path for i, path in enumerate(files.values())}
        scores = course.autograde(name, students)
        submitted = {s: course.path / "submitted" / s / name / f"{name}.ipynb" for s in students}
        results = {}
        for (key, path), student in zip(files.items(), students, strict=True):
            unchanged = _digest(path) == before[key] == _digest(submitted[student])
            results[key] = (scores[student], unchanged)
    return results


def _total(scores: list[Score]) -> tuple[float, float]:
    return sum(s.score for s in scores), sum(s.max_score for s in scores)


def _grouped(name: str) -> list:
    return pytest.mark.xdist_group(name)


@pytest.mark.parametrize("name", [pytest.param(n, marks=_grouped(n)) for n in NAMES])
def test_solution_scores_every_point(name: str) -> None:
    scores, _ = graded(name)["solution"]
    got, best = _total(scores)
    assert best > 0
    assert got == best, [s for s in scores if s.score < s.max_score]


@pytest.mark.parametrize("name", [pytest.param(n, marks=_grouped(n)) for n in NAMES])
def test_blank_exercise_scores_zero(name: str) -> None:
    scores, _ = graded(name)["blank"]
    assert _total(scores)[0] == 0, [s for s in scores if s.score > 0]
    # A blank answer fails where the learner has work to do, not with a NameError further down.
    autograded = [s for s in scores if s.max_score > 0]
    wrong = [
        s for s in autograded if "NotImplementedError" not in s.message or "NameError" in s.message
    ]
    assert autograded and not wrong, (
        f"expected every autograded row to fail with NotImplementedError, got {wrong}"
    )


@pytest.mark.parametrize("name", [pytest.param(n, marks=_grouped(n)) for n in NAMES])
def test_grading_leaves_submissions_byte_identical(name: str) -> None:
    changed = [key for key, (_, unchanged) in graded(name).items() if not unchanged]
    assert changed == []


@pytest.mark.parametrize("name", [pytest.param(n, marks=_grouped(n)) for n in NAMES])
def test_every_code_answer_has_three_wrong_solutions(name: str) -> None:
    counts = dict.fromkeys(reference_answers(name), 0)
    for cells in wrong_solutions(name).values():
        for grade_id in cells:
            counts[grade_id] += 1
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize(
    ("name", "mistake"),
    [
        pytest.param(n, m, marks=_grouped(n), id=f"{n}: {m}")
        for n in NAMES
        for m in wrong_solutions(n)
    ],
)
def test_wrong_solution_scores_less_but_keeps_other_marks(name: str, mistake: str) -> None:
    scores, _ = graded(name)[mistake]
    got, best = _total(scores)
    assert got < best, f"{mistake!r} got full marks"
    # Tests of the other questions (grade ids share the question's prefix) keep full marks.
    wrong_questions = {grade_id.split("-")[0] for grade_id in wrong_solutions(name)[mistake]}
    others = [s for s in scores if s.cell.split("-")[0] not in wrong_questions]
    assert all(s.score == s.max_score for s in others), others
