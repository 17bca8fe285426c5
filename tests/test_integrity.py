"""The integrity review names what a submission does to the tests, and leaves honest code alone."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from submissions import reference_answers

from scalelab.teach.grading import ROOT, assignments
from scalelab.teach.integrity import HELD, HoldTampering, review

ATTACKS = Path(__file__).parent / "attacks"
IMPORTS = "from scalelab import Balancer, ServerView, check\nimport numpy as np\n"


def _cell(source: str, **nbgrader: object) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


def _notebook(answer: str, added: str | None = None) -> list[nbformat.NotebookNode]:
    """Read-only imports, an answer cell, maybe a cell the student added, a test cell."""
    cells = [
        _cell(IMPORTS, grade=False, solution=False, locked=True, grade_id="imports"),
        _cell(answer, grade=False, solution=True, locked=False, grade_id="rr-answer"),
    ]
    if added is not None:
        cells.append(_cell(added))
    test = "_want, _given = 1, [1]\ncheck.equal(_want, 1)"
    cells.append(_cell(test, grade=True, solution=False, locked=True, points=1))
    cells[-1].metadata.nbgrader["grade_id"] = "rr-visible"
    return cells


TAMPERING = {
    "an int whose == is always true": (
        "class int(int):\n    def __eq__(self, other):\n        return True\n",
        "redefines the built-in `int`",
    ),
    "abs that returns zero": ("abs = lambda x: 0.0\n", "rebinds the built-in `abs`"),
    "a def named like a built-in": ("def isinstance(a, b):\n    return True\n", "`isinstance`"),
    "built-ins patched through the module": (
        "import builtins\nbuiltins.abs = lambda x: 0\n",
        "imports `builtins`",
    ),
    "built-ins patched through __builtins__": (
        "__builtins__.abs = lambda x: 0\n",
        "`__builtins__`",
    ),
    "globals() written to": ("globals()['float'] = str\n", "uses `globals`"),
    "a global declared in a function": (
        "def sneaky():\n    global ValueError\n    ValueError = Exception\n",
        "declares global the built-in `ValueError`",
    ),
    "star import from numpy": ("from numpy import *\n", "imports * from `numpy`"),
    "a built-in replaced by an import": ("from numpy import abs\n", "the built-in `abs`"),
    "the check helpers replaced": ("check = None\n", "rebinds `check`, which the tests import"),
    "a check helper patched": ("check.equal = print\n", "patches `check.equal`"),
    "a check helper patched through its own import": (
        "from scalelab import check as c\nc.picks = lambda *a: [0]\n",
        "patches `c.picks`",
    ),
    "a check helper patched with setattr": (
        "setattr(check, 'equal', print)\n",
        "patches `check` with setattr()",
    ),
    "the input history read": ("print(In[-1])\n", "uses `In`"),
    "a numbered input read": ("x = _i3\n", "uses `_i3`"),
    "IPython reached": ("get_ipython().run_cell_async = None\n", "uses `get_ipython`"),
    "frames read": ("import sys\nsys._getframe(1).f_globals\n", "uses `._getframe`"),
    # Found by a red team: sys reached through another module, an alias or a from-import.
    "IPython reached through os.sys": (
        "import os\n_sh = os.sys.modules['IPython'].get_ipython()\n"
        "_sh.input_transformers_cleanup.append(lambda lines: lines[-1:])\n",
        "uses `.sys`",
    ),
    "sys.modules through an alias": ("import sys as s\ns.modules['IPython']\n", "`.modules`"),
    "sys.modules imported by name": ("from sys import modules\n", "imports `sys.modules`"),
    "sys imported from os": ("from os import sys\n", "imports `os.sys`"),
    "a frame attribute by a computed name": (
        "def peek(f):\n    return getattr(f, 'f_' + 'locals')\n",
        "calls getattr() with an attribute name computed at run time",
    ),
    "a frame attribute by a constant name": (
        "def peek(f):\n    return getattr(f, 'f_back')\n",
        "uses `.f_back` through getattr()",
    ),
    "attributes replaced through vars()": (
        "vars(check)['equal'] = print\n",
        "through `__dict__` or `vars()`",
    ),
    "stdout replaced": ("import sys\nsys.stdout = None\n", "replaces `.stdout`"),
    "the caller's locals through traceback": (
        "import traceback\ntraceback.StackSummary.extract(traceback.walk_stack(None), capture_locals=True)\n",
        "uses `.walk_stack`",
    ),
    # Found by a second red team: the tests' own variables, read or replaced while a test runs.
    "the expected answer read by name": (
        "class RR(Balancer):\n    def choose(self, servers):\n        return _want\n",
        "reads `_want`, a name the tests set",
    ),
    "the notebook's namespace reached through __main__": (
        "import __main__ as m\nd = m.__dict__\n",
        "imports `__main__`",
    ),
    "a test's variable named in a string": ("x = {}.get('_given')\n", "names `_given`"),
    "a helper module's namespace copied": (
        "import types\nfake = types.SimpleNamespace(**check.__dict__)\n",
        "uses `check.__dict__`",
    ),
    "a library class patched through type()": (
        "def choose(self, servers):\n    type(servers[0]).healthy = True\n",
        "patches a class through `type(…).healthy`",
    ),
    "a traceback's frames": (
        "try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__\n",
        "uses `.__traceback__`",
    ),
    "the garbage collector searched": ("import gc\ngc.get_objects()\n", "imports `gc`"),
    "eval": ("eval('1 + 1')\n", "uses `eval`"),
    "a dynamic import": ("m = __import__('builtins')\n", "uses `__import__`"),
    "every class reached from an object": (
        "().__class__.__bases__[0].__subclasses__()\n",
        "uses `.__subclasses__`",
    ),
    "nbgrader imported": ("from nbgrader import utils\n", "imports `nbgrader`"),
    "the secret mark quoted": (
        "import re\nre.findall('scalelab-test-end:[0-9a-f]+', '')\n",
        "quotes the grader's secret marks",
    ),
    "an attack from the class test": (
        (ATTACKS / "swallow_errors.py").read_text(),
        "uses `get_ipython`",
    ),
}


@pytest.mark.parametrize("attack", list(TAMPERING))
def test_tampering_in_an_answer_cell_is_named(attack: str) -> None:
    source, expected = TAMPERING[attack]
    found = [str(f) for _, f in review(_notebook(source))]
    assert any(expected in f and f.startswith("cell rr-answer ") for f in found), found


@pytest.mark.parametrize("attack", ["abs that returns zero", "IPython reached"])
def test_tampering_in_a_cell_the_student_added_is_named_by_position(attack: str) -> None:
    found = review(_notebook("x = 1\n", added=TAMPERING[attack][0]))
    assert {i for i, _ in found} == {2}
    assert found[0][1].cell == "#3 (added by the student)"


HONEST = {
    "the same imports again": "from scalelab import Balancer, ServerView, check\nimport numpy as np",
    "everyday modules": "import math\nimport random\nfrom collections import deque\n",
    "a local name like a built-in": "def f(xs):\n    max = 0\n    for x in xs:\n        max = x\n"
    "    return max\n",
    "a class attribute": "class RR(Balancer):\n    turn = 0\n    def __init__(self):\n"
    "        super().__init__()\n        self.turn = 0\n",
    "a loop variable": "for _ in range(3):\n    pass\nn = len([1, 2])\n",
    "a class name in a repr": "class A:\n    def __repr__(self):\n"
    "        return self.__class__.__name__\n",
    "a magic": "%time x = sum(range(10))\n",
    # Found by a red team: habits the review once held.
    "IPython's display": "from IPython.display import display, Markdown\n",
    "inline plots": "%matplotlib inline\n",
    "a debugging print of an object's attributes": "b = Balancer()\nprint(vars(b), b.__dict__)\n",
    "a helper forwarding by a computed name": "class A:\n    def get(self, kind):\n"
    "        return getattr(self, f'_{kind}')\n",
    "the method resolution order": "print(type(check).__mro__, int.__bases__)\n",
    "flushing stdout": "import sys\nsys.stdout.flush()\nprint(sys.maxsize)\n",
    "getattr with a constant name": "x = getattr(check, 'equal')\n",
    "not Python at all": "this is not python (\n",
}


@pytest.mark.parametrize("code", list(HONEST))
def test_honest_code_is_left_alone(code: str) -> None:
    assert review(_notebook(HONEST[code])) == []


@pytest.mark.parametrize("name", assignments())
def test_reference_solutions_are_left_alone(name: str) -> None:
    notebook = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    answers = reference_answers(name)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    assert review(notebook.cells) == []


RESTORE = (
    "import builtins as _b\n"
    "_b.globals().update({k: v for k, v in _b.vars(_b).items() if not k.startswith('_')})\n"
)


def _held(answer: str, tests: dict[str, str]) -> tuple[list[str], nbformat.NotebookNode]:
    """Grade ids of the test cells held, with the answer cell after test cell ``early``."""
    cells = [_cell("assert abs(-1) == 1", grade=True, solution=False, locked=True, points=1)]
    cells[0].metadata.nbgrader["grade_id"] = "early"
    cells.append(_cell(answer, grade=False, solution=True, locked=False, grade_id="b-answer"))
    for grade_id, source in tests.items():
        cells.append(
            _cell(source, grade=True, solution=False, locked=True, points=2, grade_id=grade_id)
        )
    for cell in cells:
        cell.outputs = []
    nb, _ = HoldTampering().preprocess(nbformat.v4.new_notebook(cells=cells), {})
    return [c.metadata.nbgrader["grade_id"] for c in nb.cells if c.outputs], nb


TESTS = {
    "uses-abs": "assert abs(-2) == 2",
    "no-abs": "assert 1 + 1 == 2",
    "restores-first": RESTORE + "assert abs(-2) == 2",
}


def test_a_renamed_built_in_holds_only_the_later_tests_that_use_it() -> None:
    held, nb = _held("abs = len", TESTS)
    assert held == ["uses-abs"]
    error = nb.cells[2].outputs[0]
    assert error.ename == HELD
    assert "because cell b-answer rebinds the built-in `abs`:" in error.evalue
    (note,) = nb.metadata["scalelab"]["notes"]
    assert "(2 points held)" in note and "rename it, e.g. `my_abs`, and grade again" in note


def test_a_renamed_built_in_no_test_uses_is_noted_and_costs_nothing() -> None:
    held, nb = _held("max = 2  # peak factor", TESTS)
    assert held == []
    (note,) = nb.metadata["scalelab"]["notes"]
    assert "cell b-answer rebinds the built-in `max`: no test could be fooled by it" in note


def test_a_star_import_holds_the_later_tests_that_do_not_take_the_built_ins_back() -> None:
    held, _ = _held("from math import *", TESTS)
    assert held == ["uses-abs", "no-abs"]


@pytest.mark.parametrize(
    "answer", ["get_ipython()", "check.equal = print", "import builtins", "__builtins__ = {}"]
)
def test_reaching_into_the_grader_holds_every_later_test(answer: str) -> None:
    held, _ = _held("import scalelab.check as check\n" + answer, TESTS)
    assert held == list(TESTS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%time abs = len\n", "rebinds the built-in `abs`"),
        ("%run attack.py\n", "uses the magic %run"),
        ("!cat solutions/*\n", "runs the shell command `!cat solutions/*`"),
        ("x = 1\nget_ipython().run_line_magic('time', 'x')\n", "uses `get_ipython`"),
    ],
)
def test_magics_are_read_too(source: str, expected: str) -> None:
    found = [str(f) for _, f in review(_notebook(source))]
    assert any(expected in f for f in found), found
