"""The grading guards catch what plain nbgrader misses, and cut floods of output."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

from scalelab.teach.guards import CapOutput, MarkTestEnds, RequireTestEnds
from scalelab.teach.integrity import HELD, HoldTampering
from scalelab.teach.resilient import ResilientExecute

ATTACKS = Path(__file__).parent / "attacks"
SWALLOW = (ATTACKS / "swallow_errors.py").read_text()
REPLAY = (ATTACKS / "replay_mark.py").read_text()
FORGE = (ATTACKS / "forge_mark.py").read_text()
KEEP_LAST_LINE = (ATTACKS / "keep_last_line.py").read_text()


class PrefixOnlyGuard(RequireTestEnds):
    """A broken guard, to show the tests would catch it: it accepts any mark with the right prefix."""

    @staticmethod
    def reached(outputs: list, secret: str) -> bool:
        return any("scalelab-test-end:" in o.get("text", "") for o in outputs)


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


def _grade(
    nb: nbformat.NotebookNode, guarded: bool, guard: type = RequireTestEnds, held: bool = False
) -> float:
    """The test cell's marks after execution, with the test-end guard and the integrity review."""
    if guarded:
        nb, _ = MarkTestEnds().preprocess(nb, {})
    NotebookClient(nb, allow_errors=True, kernel_name="python3", timeout=30).execute()
    if guarded:
        nb, _ = guard().preprocess(nb, {})
    if held:
        nb, _ = HoldTampering().preprocess(nb, {})
    return determine_grade(nb.cells[1])[0]


@pytest.mark.parametrize("guarded", [False, True])
def test_swallowed_errors_fool_plain_nbgrader_but_not_the_guard(guarded: bool) -> None:
    nb = _notebook(SWALLOW, "assert 1 + 1 == 3, 'wrong answer'")
    assert _grade(nb, guarded) == (0 if guarded else 2)
    if guarded:
        assert nb.cells[1].outputs[-1].ename == "GradingError"
        assert nb.cells[1].source == "assert 1 + 1 == 3, 'wrong answer'"  # mark line removed


@pytest.mark.parametrize(("guard", "marks"), [(RequireTestEnds, 0), (PrefixOnlyGuard, 2)])
def test_a_forged_mark_with_the_right_prefix_earns_nothing(guard: type, marks: float) -> None:
    # The broken guard's 2 marks show the attack works: a guard checking only the prefix would fail.
    nb = _notebook(FORGE, "assert 1 + 1 == 3, 'wrong answer'")
    assert _grade(nb, guarded=True, guard=guard) == marks


def test_a_mark_replayed_from_the_cell_source_fools_the_guard_but_is_held() -> None:
    # In one process the guard cannot tell a replayed mark from a real one (TEACHING.md says so) …
    fooled = _notebook(REPLAY, "assert 1 + 1 == 3, 'wrong answer'")
    assert _grade(fooled, guarded=True) == 2
    # … so the integrity review reads the answer cell and holds the marks for a person.
    held = _notebook(REPLAY, "assert 1 + 1 == 3, 'wrong answer'")
    held.cells[0].metadata["nbgrader"] = {
        "grade": False,
        "solution": True,
        "locked": False,
        "grade_id": "answer",
        "schema_version": 3,
    }
    assert _grade(held, guarded=True, held=True) == 0
    error = held.cells[1].outputs[-1]
    assert error.ename == HELD
    assert "cell answer uses `get_ipython`" in error.evalue


def test_an_honest_pass_keeps_its_marks_and_its_output() -> None:
    nb = _notebook("x = 2", "assert x == 2\nprint('checked')")
    assert _grade(nb, guarded=True, held=True) == 2
    assert nb.cells[1].outputs[0].text == "checked\n"


def test_cap_output_cuts_long_text() -> None:
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 50_000)]
    cut, _ = CapOutput(max_chars=1000).preprocess_cell(cell, {}, 0)
    assert len(cut.outputs[0].text) < 1100
    assert cut.outputs[0].text.endswith("49,000 characters cut by the grader")


def _run_with_probe(nb: nbformat.NotebookNode, tmp_path: Path) -> float:
    """The guards and the kernel probe, without the integrity review: the test cell's marks."""
    nb, _ = MarkTestEnds().preprocess(nb, {})
    nb, _ = ResilientExecute(timeout=30, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(tmp_path)}}
    )
    nb, _ = RequireTestEnds().preprocess(nb, {})
    return determine_grade(nb.cells[1])[0]


def test_a_cell_cut_to_its_mark_line_fools_the_guard_but_not_the_kernel_probe(
    tmp_path: Path,
) -> None:
    fooled = _notebook(KEEP_LAST_LINE, "assert 1 + 1 == 3, 'wrong answer'")
    assert _grade(fooled, guarded=True) == 2  # the attack works on the guard alone
    probed = _notebook(KEEP_LAST_LINE, "assert 1 + 1 == 3, 'wrong answer'")
    assert _run_with_probe(probed, tmp_path) == 0
    error = probed.cells[1].outputs[-1]
    assert error.ename == HELD
    assert "IPython's input transformers" in error.evalue, error.evalue


@pytest.mark.parametrize(
    ("attack", "changed"),
    [
        ("import builtins\nbuiltins.abs = lambda x: 0", "the built-in abs"),
        (SWALLOW, "IPython's run_cell_async"),
        ("import sys\nsys.settrace(lambda *a: None)", "the tracing hooks"),
    ],
)
def test_the_kernel_probe_names_what_changed(attack: str, changed: str, tmp_path: Path) -> None:
    nb = _notebook(attack, "assert 1 + 1 == 2")
    assert _run_with_probe(nb, tmp_path) == 0
    assert changed in nb.cells[1].outputs[-1].evalue


def test_the_kernel_probe_leaves_an_honest_notebook_alone(tmp_path: Path) -> None:
    honest = "import matplotlib.pyplot as plt\nimport numpy as np\nplt.plot([1, 2])\nx = 2"
    nb = _notebook(honest, "assert x == 2")
    assert _run_with_probe(nb, tmp_path) == 2


TAKE_BACK = (
    "import builtins as _b\n"
    "_b.globals().update({k: v for k, v in _b.vars(_b).items() if not k.startswith('_')})\n"
)
SWAP_WHILE_TESTED = """
import __main__
from scalelab import check


def answer():
    # found by a red team: replace what the running test uses, from inside the learner's code
    __main__.__dict__["max"] = lambda *a: 0
    __main__.__dict__["check"] = None
    return 1
"""


def test_the_kernel_probe_sees_names_replaced_while_a_test_ran(tmp_path: Path) -> None:
    test = TAKE_BACK + "from scalelab import check\nassert answer() == 1\nassert max(1, 2) == 0"
    nb = _notebook(SWAP_WHILE_TESTED, test)
    assert _run_with_probe(nb, tmp_path) == 0
    evalue = nb.cells[1].outputs[-1].evalue
    assert "the name check" in evalue and "the name max (a built-in)" in evalue, evalue
