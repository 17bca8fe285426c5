"""Chapter 04's arithmetic and models: k-of-n availability against CHAPTERS.md's [calc] values and
against counting every up/down state, the simulated availability of a pool against the formula over
many seeds, the USL's peak, the cheapest pool against a brute-force search, and where sessions live."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from scalelab import HealthCheck, RoundRobin
from scalelab.scaling import (
    HOURS_PER_YEAR,
    SessionStore,
    Size,
    StatefulServer,
    StatelessServer,
    availability,
    cheapest_pool,
    downtime_per_year,
    logged_out,
    n_plus_one,
    nines,
    parallel,
    price_list,
    random_outages,
    run_both,
    series,
    servers_needed,
    smallest_pool,
    up_share,
    usl_capacity,
    usl_peak,
)
from scalelab.sim import Direct, Outage, Server, poisson, pool, simulate, with_sessions

# CHAPTERS.md, chapter 04, fact 1 [calc]: (n, k, a) → availability, hours down a year.
CALC = [
    ((1, 1, 0.99), 0.99, 87.7),
    ((2, 1, 0.99), 0.9999, 0.88),
    ((3, 2, 0.99), 0.999702, 2.6),
    ((4, 3, 0.99), 0.999408, None),
    ((10, 8, 0.99), 0.999886, None),
    ((2, 1, 0.999), 0.999999, None),
]


def by_counting(n: int, k: int, a: float) -> float:
    """Availability from every one of the 2ⁿ up/down states of the pool."""
    total = 0.0
    for state in itertools.product((True, False), repeat=n):
        if sum(state) >= k:
            total += math.prod(a if up else 1 - a for up in state)
    return total


@pytest.mark.parametrize(("args", "want", "hours"), CALC)
def test_k_of_n_matches_the_calculated_values(args, want, hours) -> None:
    got = availability(*args)
    assert got == pytest.approx(want, abs=5e-7), f"{args}: expected {want}, got {got}"
    if hours is not None:
        assert downtime_per_year(got) == pytest.approx(hours, rel=0.01)


def test_k_of_n_matches_counting_every_state() -> None:
    rng = random.Random(4)
    for _ in range(300):
        n = rng.randint(1, 9)
        k, a = rng.randint(1, n), rng.choice([0.0, 1.0, rng.random(), 0.99, 0.999])
        assert availability(n, k, a) == pytest.approx(by_counting(n, k, a), abs=1e-12), (n, k, a)


def test_one_of_n_is_parallel_and_n_of_n_is_series() -> None:
    rng = random.Random(5)
    for _ in range(100):
        n, a = rng.randint(1, 12), rng.random()
        assert availability(n, 1, a) == pytest.approx(parallel([a] * n), abs=1e-12)
        assert availability(n, n, a) == pytest.approx(series([a] * n), abs=1e-12)
    assert parallel([0.9, 0.9]) == pytest.approx(0.99)
    assert series([0.9, 0.9]) == pytest.approx(0.81)


@pytest.mark.parametrize(
    ("wrong", "name"),
    [
        (lambda n, k, a: 1 - (1 - a) ** n, "parallel for every k"),
        (lambda n, k, a: a**n, "series for every k"),
        (
            lambda n, k, a: sum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n)),
            "range(k, n)",
        ),
    ],
)
def test_the_calculated_values_catch_planted_bugs(wrong, name) -> None:
    missed = [args for args, want, _ in CALC if wrong(*args) == pytest.approx(want, abs=5e-7)]
    assert len(missed) < len(CALC), f"{name} passes every [calc] value"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, 4, 0.9), "k (servers needed) must be an integer from 1 to n = 3, got 4"),
        ((3, 0, 0.9), "k (servers needed) must be an integer from 1 to n = 3, got 0"),
        ((0, 1, 0.9), "n (servers in the pool) must be a positive integer, got 0"),
        ((3, 1, 1.5), "a (availability of one server) must be a number from 0 to 1, got 1.5"),
        ((3, 1, -0.1), "a (availability of one server) must be a number from 0 to 1, got -0.1"),
        ((3, 1.0, 0.9), "got 1.0"),
    ],
)
def test_bad_inputs_say_what_was_expected(args, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        availability(*args)


def test_a_year_is_365_25_days() -> None:
    assert HOURS_PER_YEAR == 8766
    assert downtime_per_year(0.999) == pytest.approx(8.766)
    assert downtime_per_year(1.0) == 0
    assert nines(0.999) == pytest.approx(3)
    assert nines(1.0) == math.inf


def test_servers_needed_rounds_a_part_server_up() -> None:
    assert servers_needed(250, 100) == 3
    assert servers_needed(300, 100) == 3
    assert servers_needed(1.1, 0.1) == 11  # 11.000000000000002 in floating point
    assert servers_needed(1, 100) == 1
    assert n_plus_one(300, 100) == 4


def test_simulated_availability_matches_the_formula_over_many_seeds() -> None:
    """Servers failing at random (up 99% of the time) over 20 runs of 20,000 hours."""
    n, k, mtbf, mttr, horizon = 4, 3, 99.0, 1.0, 20_000.0
    a = mtbf / (mtbf + mttr)
    runs = [
        up_share(n, k, random_outages(n, mtbf, mttr, horizon, np.random.default_rng(s)), horizon)
        for s in range(20)
    ]
    want = availability(n, k, a)
    # 1 − A is what the runs estimate; its standard error over 20 runs is about 6% of itself.
    assert abs((1 - np.mean(runs)) / (1 - want) - 1) < 0.2, (np.mean(runs), want)
    # and it is not the parallel formula nor the series one
    assert abs(np.mean(runs) - (1 - (1 - a) ** n)) > 1e-4
    assert abs(np.mean(runs) - a**n) > 1e-2


def test_up_share_counts_time_with_k_up() -> None:
    outages = [Outage(0, 10, 20), Outage(1, 15, 30)]
    assert up_share(2, 1, outages, 100) == pytest.approx(0.95)  # both down 15–20
    assert up_share(2, 2, outages, 100) == pytest.approx(0.8)  # either down 10–30


def test_usl_values_and_peak() -> None:
    assert usl_capacity(64, 0.05, 0) == pytest.approx(15.4, abs=0.05)
    assert usl_capacity(64, 0.05, 0.001) == pytest.approx(7.8, abs=0.05)
    assert usl_capacity(1, 0.3, 0.01) == 1
    assert usl_peak(0.05, 0) == math.inf
    rng = random.Random(6)
    for _ in range(50):
        sigma, kappa = rng.uniform(0, 0.5), rng.uniform(1e-4, 0.05)
        grid = np.linspace(1, 400, 400_000)
        best = grid[np.argmax(usl_capacity(grid, sigma, kappa))]
        peak = usl_peak(sigma, kappa)
        assert best == pytest.approx(max(1.0, peak), abs=2e-3), (sigma, kappa)
    assert usl_peak(0.05, 0.001) == pytest.approx(30.8, abs=0.05)
    assert usl_capacity(31, 0.05, 0.001) == pytest.approx(9.0, abs=0.05)
    with pytest.raises(ValueError, match="sigma"):
        usl_capacity(4, 1.5, 0)


def test_price_models() -> None:
    linear = price_list("linear")
    assert len({s.price / s.units for s in linear}) == 1
    assert [s.units for s in linear] == [1, 2, 4, 8, 16, 32, 64]
    top = price_list("top-tier premium")
    assert [s.price / s.units for s in top][-2:] == pytest.approx([0.15, 0.15])
    assert top[:5] == linear[:5]
    with pytest.raises(ValueError, match="model must be one of"):
        price_list("cheap")


def brute_cheapest(peak, sizes, a, target, spare=1):
    best = None
    for order, size in enumerate(sizes):
        needed = math.ceil(peak / size.capacity - 1e-9)
        for count in range(needed + spare, 201):
            up = availability(count, needed, a)
            if up >= target:
                key = (round(count * size.price, 9), count, order)
                if best is None or key < best[0]:
                    best = (key, size.name, count)
                break
    return best[1], best[2]


def test_cheapest_pool_matches_a_brute_force_search() -> None:
    rng = random.Random(7)
    for _ in range(200):
        sizes = price_list(rng.choice(["linear", "top-tier premium"]), largest=rng.choice([8, 64]))
        peak, a = rng.uniform(10, 3000), rng.uniform(0.95, 0.999)
        target = rng.choice([0.99, 0.999, 0.9999, 0.99999])
        got = cheapest_pool(peak, sizes, a, target)
        assert (got.size.name, got.count) == brute_cheapest(peak, sizes, a, target)
        assert got.count >= got.needed + 1, "the N + 1 spare"
        assert got.availability >= target


def test_cheapest_pool_keeps_the_spare_even_when_availability_needs_none() -> None:
    sizes = price_list("linear")
    pool_ = cheapest_pool(40, sizes, 0.999, 0.9)  # one 1x box is up 99.9% > 90%
    assert (pool_.needed, pool_.count) == (1, 2)
    assert cheapest_pool(40, sizes, 0.999, 0.9, spare=0).count == 1
    with pytest.raises(ValueError, match="no size reaches"):
        cheapest_pool(40, sizes, 0.0, 0.9)


def test_a_tie_in_cost_goes_to_fewer_servers_though_the_floats_differ() -> None:
    # Exercise 04's seed-402 case: 4 × $0.15 and 3 × $0.20 both cost $0.60, but as floats
    # 4 * 0.15 == 0.6 and 3 * 0.2 == 0.6000000000000001.
    assert 4 * 0.15 < 3 * 0.2
    sizes = [Size("s0-3x", 3, 150, 0.15), Size("s1-4x", 4, 200, 0.2)]
    got = cheapest_pool(385, sizes, 0.999, 0.995)
    assert (got.size.name, got.count) == ("s1-4x", 3)
    got = cheapest_pool(385, sizes[::-1], 0.999, 0.995)
    assert (got.size.name, got.count) == ("s1-4x", 3)


def test_a_dearer_pool_by_a_cent_is_not_a_tie() -> None:
    sizes = [Size("small", 1, 150, 0.15), Size("big", 2, 200, 0.2034)]
    got = cheapest_pool(385, sizes, 0.999, 0.995)  # 4 × 0.15 = 0.60 < 3 × 0.2034 = 0.6102
    assert (got.size.name, got.count) == ("small", 4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cheapest_pool(100, price_list(), 0.99, 1.0), "target must be below 1"),
        (lambda: smallest_pool(price_list()[0], 100, 0.99, 1.0), "target must be below 1"),
        (lambda: cheapest_pool(100, [], 0.99, 0.999), "at least one Size, got an empty"),
        (lambda: Size("x", 1, 50, -0.1), "price must be a positive number, got -0.1"),
        (lambda: cheapest_pool(100, {"s": (100, 0.1)}, 0.99, 0.9), "got a dict"),
        (lambda: cheapest_pool(100, [(100, 0.1)], 0.99, 0.9), "each size must be a Size"),
        (lambda: usl_peak(1.0, 0.001), "sigma = 1 means"),
        (lambda: usl_peak(1.0, 0.0), "sigma = 1 means"),
        (lambda: up_share(4, 5, [], 10.0), "k .servers needed. must be an integer from 1 to n = 4"),
        (lambda: price_list(largest=3), "largest must be a power of two"),
        (lambda: price_list("top-tier premium", premium=0.5), "premium must be at least 1"),
        (lambda: StatelessServer("x", None), "store must be a SessionStore"),
    ],
)
def test_library_edges_raise_one_clear_sentence(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_availability_of_a_huge_pool_has_no_overflow() -> None:
    assert availability(10**5, 1, 0.99) == 1.0
    assert availability(10**5, 10**5, 0.99) == 0.0  # 0.99 ** 100,000 underflows to 0
    assert availability(10**5, 99_000, 0.99) == pytest.approx(0.5, abs=0.01)  # k = the mean
    # just beyond the exact range (n > 1,000) the log sum agrees with the exact one, which still
    # fits in a float up to n ≈ 1,020
    for n, k, a in [(1001, 990, 0.995), (1010, 1000, 0.99), (1020, 1, 0.5), (1020, 1019, 0.9999)]:
        exact = math.fsum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))
        assert availability(n, k, a) == pytest.approx(exact, rel=1e-9)
    assert availability(1001, 1, 0.0) == 0.0 and availability(1001, 1001, 1.0) == 1.0


def test_deleting_an_unknown_token_does_nothing() -> None:
    store = SessionStore()
    store.delete("never-issued")
    server = StatelessServer("web-1", store)
    token = server.login("alice")
    server.logout(token)
    server.logout(token)  # already logged out: nothing happens, like Redis DEL
    assert server.whoami(token) is None and len(store) == 0


def test_stateless_servers_share_the_store_and_survive_restarts() -> None:
    store = SessionStore()
    servers = [StatelessServer(f"web-{i}", store) for i in range(4)]
    token = servers[0].login("alice")
    assert [s.whoami(token) for s in servers] == ["alice"] * 4
    for s in servers:
        s.restart()
    assert StatelessServer("web-new", store).whoami(token) == "alice"
    servers[2].logout(token)
    assert servers[0].whoami(token) is None
    other = StatelessServer("elsewhere", SessionStore())
    assert other.whoami(servers[1].login("bob")) is None
    tokens = {s.login("x") for s in servers for _ in range(50)}
    assert len(tokens) == 200 and all(len(t) >= 16 for t in tokens)


def test_stateful_servers_lose_users() -> None:
    a, b = StatefulServer("web-1"), StatefulServer("web-2")
    token = a.login("alice")
    assert (a.whoami(token), b.whoami(token)) == ("alice", None)
    a.restart()
    assert a.whoami(token) is None


def test_round_robin_logs_out_three_requests_in_four_with_memory_sessions() -> None:
    traffic = with_sessions(
        poisson(120, 60, 0.02, np.random.default_rng(1)), 300, np.random.default_rng(2)
    )
    result = simulate(traffic, pool(4), RoundRobin(), rng=np.random.default_rng(1))
    lost = logged_out(result, shared=False)
    assert not logged_out(result, shared=True).any()
    repeat = len(traffic) - 300  # about: every user's first request is a login
    assert lost.sum() / repeat == pytest.approx(0.75, abs=0.03)


def test_a_restart_logs_out_a_single_servers_users() -> None:
    traffic = with_sessions(
        poisson(20, 60, 0.02, np.random.default_rng(3)), 5, np.random.default_rng(4)
    )
    crash = Outage(0, 30, 31)
    result = simulate(traffic, [Server()], Direct(), [crash], rng=np.random.default_rng(3))
    lost = logged_out(result, shared=False, outages=[crash])
    after = traffic.arrival >= 31
    assert 1 <= lost.sum() <= 5 and lost[after].sum() == lost.sum()
    assert not logged_out(result, shared=False).any()  # no restart: one server knows everyone


def test_big_box_crash_is_a_total_outage_and_a_small_box_crash_is_not() -> None:
    calm = run_both(120, RoundRobin())
    assert all(r.errors == 0 for r in calm.values())
    big, small = calm.values()
    assert big.percentile(99) < small.percentile(99) < 3 * big.percentile(99)
    crashed = run_both(120, RoundRobin(), HealthCheck(), crash=(20, 40))
    big, small = crashed.values()
    assert big.error_rate == pytest.approx(20 / 60, abs=0.02)
    # a quarter of the traffic fails until health checks notice: at most 6 s (inter 2 s × fall 3)
    assert 0 < small.error_rate < 0.25 * 6 / 60 + 0.005


def test_the_panel_draws_the_target_it_is_set_to_and_hatches_bars_below_the_floor() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scalelab.scaling.panel import DEFAULTS, scaling_figure
    from scalelab.scaling.plots import FLOOR_HOURS

    fig = scaling_figure(**{**DEFAULTS, "n": 12, "k": 1, "a": 0.999, "target": 0.9999})
    left = fig.axes[0]
    lines = [line.get_ydata()[0] for line in left.get_lines()]
    assert downtime_per_year(0.9999) in lines and downtime_per_year(0.999) not in lines
    assert any(t.get_text() == "target 99.99%" for t in left.texts)
    hatched = [p for p in left.patches if p.get_hatch()]
    assert hatched and all(p.get_height() == FLOOR_HOURS for p in hatched)
    assert left.get_ylim()[0] < FLOOR_HOURS  # the floor bars stay visible
    assert "100% (to float precision)" in fig._suptitle.get_text()  # 1 of 12 at 99.9%
    plt.close(fig)


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.99, "99%"), (0.999, "99.9%"), (0.999408, "99.941%"), (0.999994, "99.9994%"), (1.0, "100%")],
)
def test_shares_print_with_the_digits_their_nines_need(share, text) -> None:
    from scalelab.scaling.plots import share_text

    assert share_text(share).startswith(text)


def test_durations_print_in_the_unit_that_suits_them() -> None:
    from scalelab.scaling.plots import duration_text

    assert [duration_text(h) for h in (87.66, 0.8766, 0.01, 1e-5, 0.0)] == [
        "87.7 h",
        "52.6 min",
        "36.0 s",
        "< 1 s",
        "0 s",
    ]


def test_moving_n_below_k_lowers_k_in_one_redraw() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from scalelab.scaling.panel import panel

    p = panel()
    draws = []
    original = p.refresh
    p.refresh = lambda: (draws.append(p.values()), original())
    p.controls["k"].value = 4
    p.controls["n"].value = 2
    assert [d["n"] for d in draws] == [4, 2] and draws[-1]["k"] == 2
    assert p.controls["k"].max == 2
    p.controls["n"].value = 6
    assert p.controls["k"].max == 6 and p.controls["k"].value == 2 and len(draws) == 3
