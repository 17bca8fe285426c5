"""The grading guards catch what plain nbgrader misses, and cut floods of output."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

from scalelab.guards import CapOutput, MarkTestEnds, RequireTestEnds

SWALLOW = (Path(__file__).parent / "attacks" / "swallow_errors.py").read_text()


def _notebook(answer: str, test: str) -> nbformat.NotebookNode:
    test_cell = nbformat.v4.new_code_cell(test)
    test_cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 2,
        "grade_id": "t",
        "schema_version": 3,
    }
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(answer), test_cell])


def _grade(nb: nbformat.NotebookNode, guarded: bool) -> float:
    if guarded:
        nb, _ = MarkTestEnds().preprocess(nb, {})
    NotebookClient(nb, allow_errors=True, kernel_name="python3", timeout=30).execute()
    if guarded:
        nb, _ = RequireTestEnds().preprocess(nb, {})
    return determine_grade(nb.cells[1])[0]


@pytest.mark.parametrize("guarded", [False, True])
def test_swallowed_errors_fool_plain_nbgrader_but_not_the_guard(guarded: bool) -> None:
    nb = _notebook(SWALLOW, "assert 1 + 1 == 3, 'wrong answer'")
    assert _grade(nb, guarded) == (0 if guarded else 2)
    if guarded:
        assert nb.cells[1].outputs[-1].ename == "GradingError"
        assert nb.cells[1].source == "assert 1 + 1 == 3, 'wrong answer'"  # mark line removed


def test_an_honest_pass_keeps_its_marks_and_its_output() -> None:
    nb = _notebook("x = 2", "assert x == 2\nprint('checked')")
    assert _grade(nb, guarded=True) == 2
    assert nb.cells[1].outputs[0].text == "checked\n"


def test_cap_output_cuts_long_text() -> None:
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 50_000)]
    cut, _ = CapOutput(max_chars=1000).preprocess_cell(cell, {}, 0)
    assert len(cut.outputs[0].text) < 1100
    assert cut.outputs[0].text.endswith("49,000 characters cut by the grader")
