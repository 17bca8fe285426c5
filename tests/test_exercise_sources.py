"""Every assertion in an exercise's test cells says what came back, not only what was wanted.

A learner reads a failing test's message and nothing else (hidden tests are not shown), so a bare
``assert`` or one whose message is a fixed sentence cannot tell them what their code returned.
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from scalelab.teach.grading import ROOT, assignments

MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def test_cells() -> list[tuple[str, str, str]]:
    """(assignment, grade_id, source) of every graded test cell of every solution notebook."""
    cells = []
    for name in assignments():
        notebook = json.loads((ROOT / "solutions" / name / f"{name}.ipynb").read_text("utf-8"))
        for cell in notebook["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
                cells.append((name, meta["grade_id"], "".join(cell["source"])))
    return cells


test_cells.__test__ = False  # a helper, not a test


def silent_asserts(source: str) -> list[str]:
    """The asserts and AssertionErrors in ``source`` whose message has no formatted value in it."""
    tree = ast.parse(MAGIC.sub("", source))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            message = node.msg
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "AssertionError"
        ):
            message = node.args[0] if node.args else None
        else:
            continue
        formatted = message is not None and any(
            isinstance(part, ast.FormattedValue | ast.Name | ast.Call) for part in ast.walk(message)
        )
        if not formatted:
            found.append(f"line {node.lineno}: {ast.get_source_segment(source, node) or ''}"[:120])
    return found


@pytest.mark.parametrize(("name", "grade_id", "source"), test_cells(), ids=lambda v: str(v)[:30])
def test_every_assertion_says_what_came_back(name: str, grade_id: str, source: str) -> None:
    assert silent_asserts(source) == [], f"{name} {grade_id}"


@pytest.mark.parametrize(
    ("source", "silent"),
    [
        ("assert x == 1", True),
        ('assert x == 1, "x must be 1"', True),
        ('raise AssertionError("wrong")', True),
        ("raise AssertionError()", True),
        ('assert x == 1, f"expected 1, got {x!r}"', False),
        ('raise AssertionError(f"expected 1, got {x!r}")', False),
        ("%matplotlib inline\nassert x == 1, f'got {x}'", False),
    ],
)
def test_silent_asserts_are_found(source: str, silent: bool) -> None:
    assert bool(silent_asserts(source)) == silent


HIDDEN = [(n, g, s) for n, g, s in test_cells() if "BEGIN HIDDEN TESTS" in s]


@pytest.mark.parametrize(("name", "grade_id", "source"), HIDDEN, ids=lambda v: str(v)[:30])
def test_hidden_tests_take_the_built_ins_back_first(name: str, grade_id: str, source: str) -> None:
    """An answer cell may rename a built-in (``int = …``): hidden tests must not see it, and the
    integrity review relies on this to hold only the test cells a renamed name could fool."""
    from scalelab.teach.integrity import restores_builtins

    tree = ast.parse(MAGIC.sub("", source))
    assert restores_builtins(tree), f"{name} {grade_id} does not take the built-ins back"
    first_use = min(
        (n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno),
        default=0,
    )
    restore = min(
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "update"
    )
    assert restore == first_use, f"{name} {grade_id} calls something before taking them back"


@pytest.mark.parametrize(("name", "grade_id", "source"), HIDDEN, ids=lambda v: str(v)[:30])
def test_hidden_tests_keep_their_variables_local(name: str, grade_id: str, source: str) -> None:
    """A hidden test's expected values must not be globals that the learner's code, which the test
    calls, could read by name (a red team's balancer returned the test's ``_want``)."""
    tree = ast.parse(MAGIC.sub("", source))
    top = [type(node).__name__ for node in tree.body]
    assert top == ["FunctionDef", "Expr"], f"{name} {grade_id}: top-level statements {top}"


@pytest.mark.parametrize("name", assignments())
def test_every_hidden_test_cell_says_what_it_checks_in_one_line(name: str) -> None:
    """In the student's version a hidden test cell is empty but for one line naming what it checks."""
    released = json.loads((ROOT / "exercises" / name / f"{name}.ipynb").read_text("utf-8"))
    hidden = [
        (cell["metadata"]["nbgrader"]["grade_id"], "".join(cell["source"]).strip())
        for cell in released["cells"]
        if "hidden" in cell["metadata"].get("nbgrader", {}).get("grade_id", "")
    ]
    assert hidden, f"{name}: expected hidden test cells"
    for grade_id, source in hidden:
        assert source.startswith("# Hidden test: ") and "\n" not in source, (
            f"{name} {grade_id}: expected one line '# Hidden test: …', got {source[:120]!r}"
        )


POINTS_IN_HEADING = re.compile(r"^(#+) .*\((\d+(?:\.\d+)?) points?\)", re.MULTILINE)


def heading_points(notebook: dict) -> list[tuple[str, float, float]]:
    """(heading, points it announces, points of the graded cells under it) for every heading with
    "(N points)", its cells running up to the next heading of the same or a higher level."""
    found: list[tuple[str, float, float]] = []
    open_: list[tuple[int, str, float, list[float]]] = []  # level, heading, announced, points
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for line in source.splitlines():
                level = len(line) - len(line.lstrip("#"))
                if not level or not line[level:].startswith(" "):
                    continue
                for done in [h for h in open_ if h[0] >= level]:
                    found.append((done[1], done[2], sum(done[3])))
                    open_.remove(done)
                if match := POINTS_IN_HEADING.match(line):
                    open_.append((level, line, float(match[2]), []))
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            for heading in open_:
                heading[3].append(float(meta.get("points", 0)))
    found += [(h[1], h[2], sum(h[3])) for h in open_]
    return found


@pytest.mark.parametrize("name", assignments())
def test_points_in_a_heading_are_the_points_of_its_cells(name: str) -> None:
    notebook = json.loads((ROOT / "solutions" / name / f"{name}.ipynb").read_text("utf-8"))
    wrong = [(h, says, has) for h, says, has in heading_points(notebook) if says != has]
    assert wrong == [], f"{name}: (heading, points it says, points of its cells) {wrong}"


def test_heading_points_are_counted_up_to_the_next_heading() -> None:
    def cell(kind: str, source: str, points: float | None = None) -> dict:
        meta = {} if points is None else {"nbgrader": {"grade": True, "points": points}}
        return {"cell_type": kind, "source": source, "metadata": meta}

    notebook = {
        "cells": [
            cell("markdown", "# Exercise"),
            cell("markdown", "## 1. One (3 points)"),
            cell("code", "x", 1),
            cell("code", "y", 2),
            cell("markdown", "## 2. Two (1 point)"),
            cell("code", "z", 2),
            cell("markdown", "## Optional"),
            cell("code", "w", 5),
        ]
    }
    assert heading_points(notebook) == [
        ("## 1. One (3 points)", 3.0, 3.0),
        ("## 2. Two (1 point)", 1.0, 2.0),
    ]
