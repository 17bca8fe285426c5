"""Exercise 12's tests, run as nbgrader runs them (one IPython shell, cells in order, history kept),
without nbgrader: right answers written another way keep every point, and one slip costs the points
of the test that is about it, not of every test that happens to use it.

A run is one Python process (≈2 s), far cheaper than a WRONG row graded by nbgrader; the WRONG table
(tests/wrong_solutions/w12_sharding.py) still proves each mistake loses marks through real nbgrader.
"""

from __future__ import annotations

from functools import cache

import pytest
from submissions import run_exercise
from wrong_solutions.w12_sharding import RANGE, RING, WRONG


@cache
def _graded(key: str) -> dict[str, str]:
    return run_exercise("12-sharding", ANSWERS[key])


def failing(key: str) -> dict[str, str]:
    return {g: r for g, r in _graded(key).items() if r != "pass"}


HELPER_IN_RANGE_CELL = "def upper_bounds(values):\n    return list(values)\n\n\n" + RANGE.replace(
    "self.boundaries = list(boundaries)", "self.boundaries = upper_bounds(boundaries)"
)
HELPER_IN_RING_CELL = (
    "def position(hash_fn, text):\n    return hash_fn(text)\n\n\n"
    + RING.replace(
        'token = self.hash_fn(f"{node}#{i}")', 'token = position(self.hash_fn, f"{node}#{i}")'
    ).replace("self.hash_fn(str(key))", "position(self.hash_fn, str(key))")
    + '\n\ncheck.equal(HashRing(["a"]).get_node("k"), "a", "my own check: a ring of one node")\n'
)

#: Right answers written another way: every one keeps every point.
RIGHT = {
    "the reference": {},
    "a helper defined in the range cell, used by the ring": {
        "range-answer": HELPER_IN_RANGE_CELL,
        "ring-answer": RING.replace(
            "hash_fn=stable_hash", "hash_fn=stable_hash, _copy=upper_bounds"
        ),
    },
    "a helper in the ring cell and the learner's own check at its bottom": {
        "ring-answer": HELPER_IN_RING_CELL
    },
}

ANSWERS = RIGHT | {f"wrong: {k}": v for k, v in WRONG.items()}


@pytest.mark.parametrize("key", list(RIGHT))
def test_right_answers_keep_every_point(key: str) -> None:
    assert failing(key) == {}


#: One slip in the token text: the reference test (2 points) catches it; the visible test and the wrap
#: test, whose small hash_fn knows only the tokens f"{node}#{i}", say which text they were asked for;
#: the tests of resizing, spread, hash seeds and errors compare the ring with itself and keep their points.
SLIPS = {
    "f'{node}-{i}'": RING.replace('f"{node}#{i}"', 'f"{node}-{i}"'),
    "f'{node}{i}'": RING.replace('f"{node}#{i}"', 'f"{node}{i}"'),
    "range(1, vnodes + 1)": RING.replace("range(self.vnodes)", "range(1, self.vnodes + 1)"),
}
ANSWERS |= {f"slip: {k}": {"ring-answer": v} for k, v in SLIPS.items()}


@pytest.mark.parametrize("slip", list(SLIPS))
def test_a_token_text_slip_costs_only_the_reference_test(slip: str) -> None:
    assert SLIPS[slip] != RING
    got = failing(f"slip: {slip}")
    assert set(got) == {"ring-visible", "ring-hidden-reference", "ring-hidden-wrap"}, got
    assert "hash_fn was asked for" in got["ring-visible"], got
    assert "hash_fn was asked for" in got["ring-hidden-wrap"], got


@pytest.mark.parametrize(
    "mistake",
    [
        "ring: modulo hashing passed off as a ring",
        "ring: Python's hash() instead of a stable hash",
        "ring: counter-clockwise (the previous token)",
        "ring: no wrap-around past the last token",
    ],
)
def test_right_error_handling_keeps_the_errors_point(mistake: str) -> None:
    got = failing(f"wrong: {mistake}")
    assert got and "ring-hidden-errors" not in got, got


#: The library's answers, imported or subclassed: no hidden test gives them a point.
BORROWED = {
    "imported": {
        "range-answer": "from scalelab.sharding import RangeRouter\n",
        "ring-answer": "from scalelab.sharding import HashRing\n",
    },
    "subclassed": {
        "range-answer": "from scalelab import sharding\n\n\n"
        "class RangeRouter(sharding.RangeRouter):\n    pass\n",
        "ring-answer": "from scalelab import sharding\n\n\nclass HashRing(sharding.HashRing):\n    pass\n",
    },
}
ANSWERS |= {f"borrowed: {k}": v for k, v in BORROWED.items()}


@pytest.mark.parametrize("how", list(BORROWED))
def test_the_librarys_classes_score_no_hidden_point(how: str) -> None:
    got = failing(f"borrowed: {how}")
    hidden = [g for g in _graded("the reference") if "hidden" in g]
    assert sorted(got) == sorted(hidden), got
    assert all("write your own class" in message for message in got.values()), got


#: Lookups that are not a binary search: each loses the lookup test's point, and only it.
SLOW = {
    "a scan of the sorted tokens": RING.replace(
        "        i = bisect.bisect_left(self.tokens, self.hash_fn(str(key)))\n",
        "        at = self.hash_fn(str(key))\n"
        "        i = next((k for k, t in enumerate(self.tokens) if t >= at), len(self.tokens))\n",
    ),
    "a sort per lookup": RING.replace(
        "        i = bisect.bisect_left(self.tokens, self.hash_fn(str(key)))\n",
        "        order = sorted(range(len(self.tokens)), key=lambda k: self.tokens[k])\n"
        "        i = bisect.bisect_left([self.tokens[k] for k in order], self.hash_fn(str(key)))\n"
        "        i = order[i] if i < len(order) else i\n",
    ),
}
ANSWERS |= {f"slow: {k}": {"ring-answer": v} for k, v in SLOW.items()}


@pytest.mark.parametrize("how", list(SLOW))
def test_a_lookup_that_is_no_binary_search_loses_the_lookup_point(how: str) -> None:
    assert SLOW[how] != RING
    got = failing(f"slow: {how}")
    assert list(got) == ["ring-hidden-lookup"], got
    assert "compared up to" in got["ring-hidden-lookup"], got
