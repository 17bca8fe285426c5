"""Exercise 04's hidden tests, run cell by cell without a grading round (each WRONG row costs one).

They must refuse the library's own objects (under the learner's name, subclassed or wrapped), put the
library back after they run, and accept a cost comparison to the cent, as floats or as Fractions
where the task allows all three (the random price lists), but only the one that calls 4 × $0.15 and
3 × $0.20 a tie where the task says so.
"""

from __future__ import annotations

import json

import pytest
from wrong_solutions.w04_scale_up_vs_out import AVAIL, POOL, STORE, changed

from scalelab import scaling
from scalelab.teach.grading import ROOT

NAME = "04-scale-up-vs-out"


def _cells() -> dict[str, str]:
    notebook = json.loads((ROOT / "solutions" / NAME / f"{NAME}.ipynb").read_text("utf-8"))
    return {cell["id"]: "".join(cell["source"]) for cell in notebook["cells"]}


CELLS = _cells()
PART = {"avail": AVAIL, "pool": POOL, "session": STORE}
HIDDEN = {part: [i for i in CELLS if i.startswith(f"{part}-hidden")] for part in PART}


def run(part: str, answer: str, hidden: str) -> None:
    """Run the imports, ``answer`` (in place of ``part``'s answer cell) and one hidden test cell."""
    namespace = {"__name__": "__main__"}
    exec(CELLS["imports"], namespace)  # noqa: S102 (the course's own notebook)
    exec(answer, namespace)  # noqa: S102
    exec(CELLS[hidden], namespace)  # noqa: S102


LIBRARY = {
    name: getattr(scaling, name)
    for name in ("availability", "downtime_per_year", "cheapest_pool", "smallest_pool")
    + ("SessionStore", "StatelessServer", "StatefulServer")
}


def library_in_place() -> None:
    assert {name: getattr(scaling, name) for name in LIBRARY} == LIBRARY
    assert scaling.pricing.cheapest_pool is LIBRARY["cheapest_pool"]
    assert scaling.sessions.SessionStore is LIBRARY["SessionStore"]


@pytest.mark.parametrize("hidden", [h for part in HIDDEN.values() for h in part])
def test_the_model_answers_pass_every_hidden_cell(hidden: str) -> None:
    run(hidden.split("-")[0], PART[hidden.split("-")[0]], hidden)
    library_in_place()


REUSED = {
    "avail": {
        "the library's functions under your names": "availability = scaling.availability\n"
        "downtime_per_year = scaling.downtime_per_year\n",
        "an import from the library's module": "from scalelab.scaling.availability import "
        "availability, downtime_per_year\n",
        "wrappers round the library": "def availability(n, k, a):\n"
        "    return scaling.availability(n, k, a)\n\n\n"
        "def downtime_per_year(A):\n    return scaling.downtime_per_year(A)\n",
    },
    "pool": {
        "the library's function under your name": "cheapest_pool = scaling.cheapest_pool\n",
        "a wrapper round the library's cheapest_pool": "def cheapest_pool(peak, sizes, a, target):\n"
        "    units = [scaling.Size(n, 1, c, p) for n, (c, p) in sizes.items()]\n"
        "    pool = scaling.cheapest_pool(peak, units, a, target)\n"
        "    return pool.size.name, pool.count\n",
        "a wrapper round the library's smallest_pool": "def cheapest_pool(peak, sizes, a, target):\n"
        "    pools = [scaling.smallest_pool(scaling.Size(n, 1, c, p), peak, a, target)\n"
        "             for n, (c, p) in sizes.items()]\n"
        "    best = min(pools, key=lambda q: (round(q.cost, 2), q.count))\n"
        "    return best.size.name, best.count\n",
    },
    "session": {
        "the library's classes under your names": "SessionStore = scaling.SessionStore\n"
        "StatelessServer = scaling.StatelessServer\n",
        "subclasses of the library's classes": "class SessionStore(scaling.SessionStore):\n"
        "    pass\n\n\nclass StatelessServer(scaling.StatelessServer):\n    pass\n",
        "a store that wraps the library's": changed(
            STORE, "        self.sessions = {}\n", "        self.inner = scaling.SessionStore()\n"
        )
        .replace("self.sessions[token] = user", "self.inner.save(token, user)")
        .replace("return self.sessions.get(token)", "return self.inner.load(token)")
        .replace("self.sessions.pop(token, None)", "self.inner.delete(token)"),
    },
}


@pytest.mark.parametrize(
    ("part", "mistake"), [(part, mistake) for part, rows in REUSED.items() for mistake in rows]
)
def test_every_hidden_cell_refuses_the_library_and_puts_it_back(part: str, mistake: str) -> None:
    answer = REUSED[part][mistake]
    run(part, answer, "imports")  # the answer itself runs (it is plausible code)
    refused = []
    for hidden in HIDDEN[part]:
        try:
            run(part, answer, hidden)
        except AssertionError as error:
            refused.append(str(error))
        library_in_place()
    wrapper = "wrap" in mistake
    # A wrapper is caught where the library is out of reach; the others by every hidden cell.
    assert len(refused) >= (2 if wrapper else len(HIDDEN[part])), (mistake, refused)
    assert all("library" in message for message in refused), refused


FLOATS = changed(POOL, "cost = round(count * price, 2)", "cost = count * price")
FRACTIONS = "from fractions import Fraction\n\n\n" + changed(
    POOL, "cost = round(count * price, 2)", "cost = count * Fraction(str(price))"
)
ROUNDED_9 = changed(POOL, "cost = round(count * price, 2)", "cost = round(count * price, 9)")


@pytest.mark.parametrize("answer", [POOL, FLOATS, FRACTIONS, ROUNDED_9])
def test_random_price_lists_accept_every_exact_way_to_compare_costs(answer: str) -> None:
    run("pool", answer, "pool-hidden-reference")


def test_the_tie_case_wants_the_tie_rule() -> None:
    for answer in (POOL, FRACTIONS, ROUNDED_9):
        run("pool", answer, "pool-hidden-spare")
    with pytest.raises(AssertionError, match=r"expected \('s1-4x', 3\).*got \('s0-3x', 4\)"):
        run("pool", FLOATS, "pool-hidden-spare")


def test_a_server_that_keeps_the_stores_dict_is_told_to_go_through_the_store() -> None:
    aliased = changed(
        changed(
            STORE,
            "        self.name, self.store = name, store\n",
            "        self.name, self.store, self.sessions = name, store, store.sessions\n",
        ),
        "        self.store.save(token, user)\n",
        "        self.sessions[token] = user\n",
    )
    with pytest.raises(
        AssertionError, match=r"go through the store \(save/load\), not to keep its dict"
    ):
        run("session", aliased, "session-hidden-separate")


def test_deleting_an_unknown_token_must_do_nothing() -> None:
    strict = changed(STORE, "self.sessions.pop(token, None)", "del self.sessions[token]")
    with pytest.raises(AssertionError, match="KeyError"):
        run("session", strict, "session-hidden-shared")
