"""Mutation testing: the hidden tests of every exercise must fail on ≥ 95 % of the wrong answers made
by mutating its reference solution (tests/mutation.py says how). ``make mutation`` runs the analyses
(marked ``mutation``: several minutes for all exercises, so ``make test`` leaves them out) and prints the
table; the mutator's own tests below run in ``make test``."""

from __future__ import annotations

import copy
import fcntl
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import mutation
import pytest
from mutation_equivalents import EQUIVALENT

EXERCISES = mutation.exercises()

Reports = Callable[[str], mutation.Report]


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    """Each exercise's report, computed once per test run even across xdist workers.

    The tests of one exercise may run on either worker (no ``xdist_group``: the three exercises'
    analyses then run side by side, and the weakened-tests check reads all three). The workers
    share the run's temporary folder, the first one computing a report under a lock and the others
    reading it.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    cache: dict[str, mutation.Report] = {}

    def get(exercise: str) -> mutation.Report:
        if exercise not in cache:
            path = shared / f"mutation-{exercise}.pickle"
            with open(shared / f"mutation-{exercise}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not path.exists():
                    path.write_bytes(pickle.dumps(mutation.analyse(exercise, parallel=2)))
                cache[exercise] = pickle.loads(path.read_bytes())  # noqa: S301 (our own file)
        return cache[exercise]

    return get


def test_every_exercise_is_analysed() -> None:
    assert {"00-welcome", "01-single-server", "05-load-balancer"} <= set(EXERCISES)
    assert set(EQUIVALENT) <= set(EXERCISES), "equivalents listed for an unknown exercise"


@pytest.mark.mutation
@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes_every_test_cell(exercise: str, report: Reports) -> None:
    """Unmutated, the notebook passes all its tests in this harness; otherwise every mutant would
    look killed."""
    r = report(exercise)
    assert r.reference, f"{exercise} has no answer cells"
    assert not mutation.broken_references(r)
    assert all(r.hidden.values()), f"{exercise}: a question without hidden tests: {r.hidden}"


@pytest.mark.mutation
@pytest.mark.parametrize("exercise", EXERCISES)
def test_hidden_tests_kill_mutants(exercise: str, report: Reports) -> None:
    r = report(exercise)
    equivalent = set(EQUIVALENT.get(exercise, {}))
    print(mutation.table([r], EQUIVALENT))
    assert len(r.mutants) >= 20, f"only {len(r.mutants)} mutants: is the mutator broken?"
    survivors = mutation.survivor_lines(r, EQUIVALENT.get(exercise, {}))
    assert r.score(equivalent) >= mutation.THRESHOLD, (
        f"{exercise}: hidden tests kill {r.score(equivalent):.1%} of the mutants, "
        f"{mutation.THRESHOLD:.0%} needed; survivors:\n" + "\n".join(survivors)
    )


@pytest.mark.mutation
@pytest.mark.parametrize("exercise", EXERCISES)
def test_listed_equivalents_exist_and_survive(exercise: str, report: Reports) -> None:
    r = report(exercise)
    ids = {m.id: m for m in r.mutants}
    for mutant_id, reason in EQUIVALENT.get(exercise, {}).items():
        assert reason.strip(), f"{mutant_id!r}: say in one line why it is equivalent"
        assert mutant_id in ids, f"stale: no mutant {mutant_id!r} any more (run make mutation)"
        assert not r.killed(ids[mutant_id]), f"{mutant_id!r} is listed as equivalent but killed"


@pytest.mark.mutation
def test_weakened_hidden_tests_score_below_threshold(tmp_path: Path, report: Reports) -> None:
    """The tester can fail: hidden cells replaced by copies of their question's visible cells."""
    scores = {}
    for exercise in EXERCISES:
        source = mutation.ROOT / "solutions" / exercise / f"{exercise}.ipynb"
        notebook = json.loads(source.read_text(encoding="utf-8"))
        weak = weaken(notebook)
        target = tmp_path / "solutions" / exercise / f"{exercise}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(weak), encoding="utf-8")
        r = mutation.analyse(exercise, root=tmp_path, parallel=2)
        scores[exercise] = r.score(set(EQUIVALENT.get(exercise, {})))
        # Running the weakened hidden cells kills exactly what the real visible cells killed.
        full = report(exercise)
        assert {m.id for m in r.mutants} == {m.id for m in full.mutants}
        assert [r.killed(m) for m in r.mutants] == [full.killed(m, "visible") for m in r.mutants]
    assert min(scores.values()) < mutation.THRESHOLD, scores


def weaken(notebook: dict) -> dict:
    """The notebook with each hidden test cell holding its question's visible tests instead."""
    weak = copy.deepcopy(notebook)
    cells = [c for c in weak["cells"] if c["cell_type"] == "code"]

    def info(cell: dict) -> tuple[str, bool, bool]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"])
        test = bool(meta.get("grade")) and not meta.get("solution")
        return meta.get("grade_id", ""), test, "### BEGIN HIDDEN TESTS" in source

    visible: dict[str, str] = {}
    for cell in cells:
        grade_id, test, hidden = info(cell)
        if test and not hidden:
            question = grade_id.split("-", 1)[0]
            visible[question] = visible.get(question, "") + "".join(cell["source"]) + "\n"
    for cell in cells:
        grade_id, test, hidden = info(cell)
        if test and hidden:
            body = visible.get(grade_id.split("-", 1)[0], "")
            cell["source"] = f"### BEGIN HIDDEN TESTS\n{body}### END HIDDEN TESTS\n"
    return weak


# --- the mutator and the runner on small made-up code -----------------------------------------

SNIPPET = '''class Counter:
    """Counts things."""

    def __init__(self):
        self.seen = []
        self.total = 0

    def add(self, items, key):
        for k in range(len(items)):
            if items[k] is not None and key in items:
                self.total += items[k] - 1
        return not self.total == 0
'''


def test_mutator_applies_every_operator() -> None:
    ids = [m.id for m in mutation.mutants("demo-answer", SNIPPET)]
    assert len(ids) == len(set(ids)), "mutant ids must be unique"
    expected = {
        "demo-answer L10: 'items[k] is not None' → 'items[k] is None'",  # comparison
        "demo-answer L10: 'key in items' → 'key not in items'",
        "demo-answer L12: 'self.total == 0' → 'self.total != 0'",
        "demo-answer L10: 'items[k] is not None and key in items' → "
        "'items[k] is not None or key in items'",  # boolean operator
        "demo-answer L12: 'not self.total == 0' → 'self.total == 0'",  # not removed
        "demo-answer L11: 'self.total += items[k] - 1' → 'self.total -= items[k] - 1'",
        "demo-answer L11: 'items[k] - 1' → 'items[k] // 1'",  # arithmetic
        "demo-answer L11: 'items[k] - 1' → '1 - items[k]'",  # swapped operands
        "demo-answer L6: 'self.total = 0' → 'self.total = 1'",  # constants
        "demo-answer L11: 'items[k] - 1' → 'items[k] - 0'",
        "demo-answer L9: 'range(len(items))' → 'range(len(items) - 1)'",  # off by one
        "demo-answer L10: 'items[k]' → 'items[k + 1]'",
        "demo-answer L11: 'self.total += items[k] - 1' removed",  # statements
        "demo-answer L12: 'return not self.total == 0' → 'return None'",
        "demo-answer L10: 'if items[k] is not None and key in items:' guard removed",
        "demo-answer L11: 'self.total' → 'type(self).total'",  # state moved to the class
        "demo-answer L5: 'self.seen = []' moved to the class body",
    }
    assert expected <= set(ids), sorted(expected - set(ids))
    assert not [i for i in ids if "Counts things" in i], "docstrings are not mutated"


def test_state_moved_to_the_class_is_shared() -> None:
    by_id = {m.id: m for m in mutation.mutants("demo-answer", SNIPPET)}
    for mutant_id in [
        "demo-answer L5: 'self.seen = []' moved to the class body",
        "demo-answer L5: 'self.seen' → 'type(self).seen'",
    ]:
        namespace: dict = {}
        exec(compile(by_id[mutant_id].tree, "<mutant>", "exec"), namespace)  # noqa: S102
        a, b = namespace["Counter"](), namespace["Counter"]()
        a.seen.append(1)
        assert b.seen == [1], mutant_id


def _cell(source: str, grade_id: str, *, answer: bool = False, test: bool = False) -> dict:
    meta = {"grade_id": grade_id, "solution": answer, "grade": test, "locked": not answer}
    return {
        "cell_type": "code",
        "metadata": {"nbgrader": meta},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def test_a_mutant_that_never_returns_is_killed_by_timeout(tmp_path: Path) -> None:
    cells = [
        _cell(
            "def wait(ready):\n    while not ready:\n        pass\n    return 1\n",
            "w-answer",
            answer=True,
        ),  # fmt: skip
        _cell("assert callable(wait)\n", "w-visible", test=True),
        _cell(
            "### BEGIN HIDDEN TESTS\nassert wait(True) == 1\n### END HIDDEN TESTS\n",
            "w-hidden",
            test=True,
        ),  # fmt: skip
    ]
    folder = tmp_path / "solutions" / "99-demo"
    folder.mkdir(parents=True)
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "99-demo.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    r = mutation.analyse("99-demo", root=tmp_path, timeout=1.0, parallel=2)
    assert not mutation.broken_references(r)
    spins = {m.id: m for m in r.mutants}["w-answer L2: 'not ready' → 'ready'"]
    assert r.outcomes[spins.id].cells == {"w-visible": "pass", "w-hidden": "timeout"}
    assert r.killed(spins) and not r.killed(spins, "visible")
    survivors = {m.id for m in r.survivors()}
    assert survivors == {"w-answer L2: 'while not ready:' removed"}  # wait(True) is 1 either way
