"""The balancing strategies and health checks, call by call: each test kills mutants that
``make mutants`` found alive (ties, a fresh balancer used before reset, no healthy server)."""

import math
import os

import numpy as np
import pytest

from scalelab import HealthCheck, LeastConnections, Random, RoundRobin, WeightedRoundRobin
from scalelab.sim import Outage, Server, ServerView, Workload, simulate
from scalelab.sim.fastloop import run_load_aware


def servers(n: int, down: tuple = (), active: tuple = (), weights: tuple = ()) -> list[ServerView]:
    views = [ServerView(i, f"web-{i + 1}", weights[i] if weights else 1) for i in range(n)]
    for i in down:
        views[i].healthy = False
    for view, load in zip(views, active, strict=False):
        view._active = load
    return views


def test_least_connections_breaks_ties_round_robin_from_a_fresh_start() -> None:
    lc = LeastConnections()
    picks = [lc.choose(servers(3, active=(0, 0, 0))) for _ in range(4)]
    assert picks == [0, 1, 2, 0]
    lc.reset(3, np.random.default_rng(0))
    assert lc.choose(servers(3, active=(0, 0, 0))) == 0


def test_least_connections_takes_the_least_loaded_and_goes_on_after_it() -> None:
    lc = LeastConnections()
    assert lc.choose(servers(3, active=(2, 1, 1))) == 1  # first of the tied least loaded
    assert lc.choose(servers(3, active=(1, 1, 1))) == 2  # round robin goes on after 1
    assert lc.choose(servers(3, down=(0, 1, 2), active=(0, 0, 0))) is None
    assert lc.choose(servers(3, active=(1, 1, 1))) == 0


def test_a_fresh_weighted_round_robin_works_before_reset() -> None:
    wrr = WeightedRoundRobin()
    picks = [wrr.choose(servers(2, weights=(2, 1))) for _ in range(6)]
    assert picks == [0, 1, 0, 0, 1, 0]


def test_weighted_round_robin_shares_follow_the_weights_exactly() -> None:
    wrr = WeightedRoundRobin()
    wrr.reset(3, np.random.default_rng(0))
    views = servers(3, weights=(5, 2, 1))
    picks = [wrr.choose(views) for _ in range(8 * 50)]
    assert np.bincount(picks).tolist() == [250, 100, 50]


def test_random_used_before_reset_repeats_itself() -> None:
    a = [Random().choose(servers(4)) for _ in range(1)] + Random().assign_many(
        20, servers(4)
    ).tolist()
    b = [Random().choose(servers(4)) for _ in range(1)] + Random().assign_many(
        20, servers(4)
    ).tolist()
    assert a == b and len(set(a)) > 1


@pytest.mark.parametrize("balancer", [RoundRobin(), Random()])
def test_assign_many_with_no_healthy_server_is_minus_one_everywhere(balancer) -> None:
    picks = balancer.assign_many(5, servers(3, down=(0, 1, 2)))
    assert picks.dtype == np.int64 and picks.tolist() == [-1] * 5


@pytest.mark.parametrize("balancer", [RoundRobin(), Random()])
def test_assign_many_with_one_healthy_server_sends_everything_there(balancer) -> None:
    assert balancer.assign_many(4, servers(3, down=(0, 2))).tolist() == [1] * 4


def test_health_check_events_come_in_time_order_across_servers() -> None:
    events = HealthCheck(interval=1.0, fall=1, rise=1).transitions(
        [Outage(1, 0.5, 3.5), Outage(0, 1.5, 2.5)]
    )
    assert events == [(1.0, 1, False), (2.0, 0, False), (3.0, 0, True), (4.0, 1, True)]


def test_a_fresh_round_robin_starts_at_server_0_before_reset() -> None:
    rr = RoundRobin()
    assert [rr.choose(servers(3)) for _ in range(4)] == [0, 1, 2, 0]
    assert RoundRobin().assign_many(4, servers(3)).tolist() == [0, 1, 2, 0]


def test_random_one_by_one_picks_only_healthy_servers_and_none_when_all_are_down() -> None:
    rnd = Random()
    picks = [rnd.choose(servers(4, down=(0, 2))) for _ in range(50)]
    assert set(picks) == {1, 3}, f"expected only the healthy servers 1 and 3, got {set(picks)}"
    assert rnd.choose(servers(3, down=(0, 1, 2))) is None


def test_health_checks_jump_over_quiet_time_instead_of_walking_every_probe() -> None:
    # A probe every millisecond and an outage a week away: walking each of the 6·10⁸ probes would
    # take minutes; jumping to the outage takes a moment.
    import time

    week = 7 * 86_400.0
    start = time.perf_counter()
    events = HealthCheck(interval=0.001, fall=3, rise=2).transitions([Outage(0, week, week + 1)])
    assert time.perf_counter() - start < 2.0, "expected the quiet week skipped, not probed"
    assert [healthy for _, _, healthy in events] == [False, True]
    assert events[0][0] == pytest.approx(week + 0.002) and events[1][0] == pytest.approx(
        week + 1.001
    )


class PythonLeastConnections(LeastConnections):
    """LeastConnections with its own choose (the same rule): it runs the engine's Python loop."""

    def choose(self, servers: list[ServerView]) -> int | None:
        return super().choose(servers)


def random_scenario(rng: np.random.Generator) -> dict:
    """A pool, a workload and faults chosen at random, with many ties by construction: on the grid,
    times are multiples of 1/8 s (exact in binary), so departures meet arrivals to the bit."""
    n = int(rng.integers(1, 7))
    pool = [
        Server(
            workers=int(rng.integers(1, 4)),
            speed=float(rng.choice([0.5, 1.0, 2.0])),
            queue_limit=[None, 0, 2][int(rng.integers(3))],
            weight=int(rng.integers(1, 4)),
        )
        for _ in range(n)
    ]
    count = int(rng.integers(50, 600))
    on_grid = rng.random() < 0.5
    if on_grid:  # ties in time and in active counts
        arrival = np.cumsum(rng.integers(0, 3, count)) / 8
        demand = rng.integers(1, 12, count) / 8
    else:
        gap = rng.exponential(1.0 / (n * rng.uniform(1, 12)), count)
        arrival, demand = np.cumsum(gap), rng.exponential(0.12, count)
    end = float(arrival[-1]) + 1
    step = 1 / 8 if on_grid else 2.0**-40  # on the grid, crashes meet departures to the bit too

    def at(t: float) -> float:
        return round(t / step) * step

    outages = []
    for _ in range(int(rng.integers(0, 4))):
        start = at(rng.uniform(0, end))
        outages.append(Outage(int(rng.integers(n)), start, start + at(rng.uniform(0.5, end / 3))))
    if rng.random() < 0.3:  # every server down at once: NO_SERVER once health checks see it
        start = at(rng.uniform(0, end / 2))
        outages += [Outage(i, start, start + at(end / 4 + 0.5)) for i in range(n)]
    if rng.random() < 0.1:
        outages.append(Outage(int(rng.integers(n)), at(rng.uniform(0, end))))  # never back
    check = HealthCheck(
        interval=float(rng.choice([0.25, 1.0])), fall=1, rise=int(rng.integers(1, 3))
    )
    return dict(
        workload=Workload(arrival, demand, end),
        servers=pool,
        outages=outages,
        health_check=check if rng.random() < 0.6 else None,
    )


def test_least_connections_fast_path_equals_the_python_loop_request_by_request() -> None:
    rng = np.random.default_rng(8)
    seen = np.zeros(5, dtype=int)
    for _ in range(150):
        scenario = random_scenario(rng)
        fast = simulate(balancer=LeastConnections(), **scenario)
        slow = simulate(balancer=PythonLeastConnections(), **scenario)
        assert np.array_equal(fast.server, slow.server)
        assert np.array_equal(fast.status, slow.status)
        assert np.array_equal(fast.start, slow.start, equal_nan=True)
        assert np.array_equal(fast.departure, slow.departure, equal_nan=True)
        seen += np.bincount(fast.status, minlength=5)
    assert (seen > 0).all(), seen  # every outcome met: OK, REFUSED, LOST, NO_SERVER, DROPPED


@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ, reason="mutmut's trampolines don't compile")
def test_least_connections_takes_the_compiled_loop_and_a_changed_choose_does_not() -> None:
    work = Workload(np.arange(4.0), np.ones(4), 4.0)
    args = ([Server()] * 2, [[(0.0, math.inf)]] * 2, [], work)
    for balancer, compiled in ((LeastConnections(), True), (PythonLeastConnections(), False)):
        out = (np.zeros(4, np.int8), np.zeros(4), np.zeros(4), np.zeros(4, np.int64))
        assert run_load_aware(balancer, *args, *out) is compiled
    assert out[3].tolist() == [0, 0, 0, 0]  # the Python loop's job: left untouched


def test_a_fast_path_numba_cannot_compile_warns_and_runs_the_python_loop() -> None:
    class Odd(LeastConnections):
        def load_kernel(self):
            return (lambda active, healthy, weight, state: {"a": object()}), np.zeros(1, np.int64)

    work = Workload(np.arange(6.0), np.full(6, 1.5), 6.0)
    with pytest.warns(RuntimeWarning, match="does not compile"):
        odd = simulate(work, [Server(), Server()], Odd())
    assert odd.server.tolist() == simulate(work, [Server()] * 2, LeastConnections()).server.tolist()
