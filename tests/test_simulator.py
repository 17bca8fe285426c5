"""The simulator's behaviour: crashes, health checks, queue limits, strategies, seeds, bad input."""

import math

import numpy as np
import pytest

import scalelab
from scalelab.balancer import views
from scalelab.sim import (
    DROPPED,
    LOST,
    NO_SERVER,
    OK,
    REFUSED,
    Workload,
    diurnal,
    flash_crowd,
    poisson,
    zipf_keys,
)


def work(rate: float = 300, duration: float = 60, cpu: float = 0.01, seed: int = 1):
    return poisson(rate, duration, cpu, np.random.default_rng(seed))


class LoadAwareRoundRobin(scalelab.RoundRobin):
    """Round robin that asks for load, which forces the one-request-at-a-time event loop."""

    uses_load = True


def test_same_seed_same_numbers_different_seed_different_numbers() -> None:
    a = scalelab.simulate(
        work(seed=3), scalelab.pool(3), scalelab.Random(), rng=np.random.default_rng(4)
    )
    b = scalelab.simulate(
        work(seed=3), scalelab.pool(3), scalelab.Random(), rng=np.random.default_rng(4)
    )
    c = scalelab.simulate(
        work(seed=3), scalelab.pool(3), scalelab.Random(), rng=np.random.default_rng(5)
    )
    assert np.array_equal(a.latency, b.latency, equal_nan=True)
    assert not np.array_equal(a.server, c.server)


@pytest.mark.parametrize(
    "servers",
    [
        scalelab.pool(4),
        scalelab.pool(4, workers=2),
        scalelab.pool(4, queue_limit=3),
        [scalelab.Server(speed=0.5), scalelab.Server(), scalelab.Server(workers=3)],
    ],
)
def test_fast_path_equals_event_loop(servers: list) -> None:
    outages = [scalelab.Outage(1, 10, 25), scalelab.Outage(0, 30, 31), scalelab.Outage(1, 40)]
    w = work(rate=len(servers) * 80)
    fast = scalelab.simulate(w, servers, scalelab.RoundRobin(), outages, scalelab.HealthCheck())
    loop = scalelab.simulate(w, servers, LoadAwareRoundRobin(), outages, scalelab.HealthCheck())
    assert np.array_equal(fast.server, loop.server)
    assert np.array_equal(fast.status, loop.status)
    assert np.allclose(fast.latency, loop.latency, equal_nan=True, rtol=0, atol=1e-9)


def test_round_robin_batch_equals_one_by_one() -> None:
    rng = np.random.default_rng(7)
    batch, single = scalelab.RoundRobin(), scalelab.RoundRobin()
    for _ in range(50):
        health = rng.random(5) < 0.6
        pool = views(health.tolist())
        count = int(rng.integers(1, 12))
        expected = [single.choose(pool) for _ in range(count)]
        got = batch.assign_many(count, pool).tolist()
        assert got == [-1 if e is None else e for e in expected]


def test_without_health_checks_a_dead_server_keeps_its_share() -> None:
    w = work()
    result = scalelab.simulate(
        w, scalelab.pool(4), scalelab.RoundRobin(), outages=[scalelab.Outage(2, 20, 40)]
    )
    during = (w.arrival >= 20) & (w.arrival < 40)
    refused = result.status[during] == REFUSED
    assert refused.mean() == pytest.approx(0.25, abs=0.01)
    assert (result.server[refused.nonzero()[0] + during.argmax()] == 2).all()


def test_health_checks_limit_errors_to_the_detection_window() -> None:
    w, check = work(), scalelab.HealthCheck(interval=2, fall=3, rise=2)
    result = scalelab.simulate(
        w,
        scalelab.pool(4),
        scalelab.RoundRobin(),
        outages=[scalelab.Outage(2, 21, 40)],
        health_check=check,
    )
    # First failed probe at 22, marked down at 26; back up at the 2nd good probe, 42.
    assert check.transitions([scalelab.Outage(2, 21, 40)]) == [(26.0, 2, False), (42.0, 2, True)]
    refused = w.arrival[result.status == REFUSED]
    assert refused.min() >= 21 and refused.max() < 26
    lost = result.status == LOST
    # What server 2 held at the crash is lost: something (this seed leaves a request in flight),
    # all of it on server 2, and all of it arrived less than a second before the crash.
    assert lost.any() and (result.server[lost] == 2).all()
    assert w.arrival[lost].min() > 20 and w.arrival[lost].max() < 21
    late = result.server[w.arrival >= 42]
    assert np.bincount(late, minlength=4)[2] == pytest.approx(len(late) / 4, abs=1)


def test_a_blip_shorter_than_detection_goes_unnoticed() -> None:
    assert scalelab.HealthCheck(2, 3, 2).transitions([scalelab.Outage(0, 10, 13)]) == []


def test_crash_loses_requests_in_flight_and_refuses_while_down() -> None:
    arrival = np.array([0.0, 29.5, 29.6, 31.0, 36.0, 36.05])
    demand = np.array([0.1, 1.0, 1.0, 0.1, 0.1, 0.1])
    w = Workload(arrival, demand, 40.0)
    result = scalelab.simulate(w, [scalelab.Server()], outages=[scalelab.Outage(0, 30, 35)])
    assert result.status.tolist() == [OK, LOST, LOST, REFUSED, OK, OK]
    # After recovery the queue starts empty: the last request waits only for the one before it.
    assert result.latency[-2:] == pytest.approx([0.1, 0.15])


def test_every_server_down_gives_503_no_server() -> None:
    outages = [scalelab.Outage(i, 10, 20) for i in range(3)]
    w = work()
    result = scalelab.simulate(
        w,
        scalelab.pool(3),
        scalelab.RoundRobin(),
        outages=outages,
        health_check=scalelab.HealthCheck(),
    )
    window = (w.arrival >= 14) & (w.arrival < 22)
    assert (result.status[window] == NO_SERVER).all()
    assert (result.server[window] == -1).all()
    assert NO_SERVER in result.error_counts()


def test_queue_limit_blocks_like_mm1k() -> None:
    # M/M/1/K: a request is refused with probability (1 − ρ)ρ^K / (1 − ρ^(K+1)), K = 1 + queue_limit.
    rho, k = 0.9, 5
    w = poisson(rho, 300_000 / rho, 1.0, np.random.default_rng(8))
    result = scalelab.simulate(w, [scalelab.Server(queue_limit=k - 1)])
    theory = (1 - rho) * rho**k / (1 - rho ** (k + 1))
    assert np.mean(result.status == DROPPED) == pytest.approx(theory, rel=0.03)


def test_least_connections_beats_round_robin_with_a_slow_server() -> None:
    servers = [scalelab.Server(speed=0.4), *scalelab.pool(3)]
    w = work(rate=250, duration=60, cpu=0.01, seed=5)
    rr = scalelab.simulate(w, servers, scalelab.RoundRobin())
    lc = scalelab.simulate(w, servers, scalelab.LeastConnections())
    assert lc.percentile(99) < 0.5 * rr.percentile(99)


def test_smooth_weighted_round_robin_sequence() -> None:
    views = [
        scalelab.ServerView(i, n, weight=wt)
        for i, (n, wt) in enumerate([("a", 5), ("b", 1), ("c", 1)])
    ]
    balancer = scalelab.WeightedRoundRobin()
    balancer.reset(3, np.random.default_rng(0))
    assert [balancer.choose(views) for _ in range(7)] == [0, 0, 1, 0, 2, 0, 0]


def test_utilisation_of_an_even_pool() -> None:
    # Several workers and speeds: tests/test_oracles.py; Little's law with failures: there too.
    w = work(rate=200, duration=200, cpu=0.01, seed=9)
    result = scalelab.simulate(w, scalelab.pool(4), scalelab.RoundRobin())
    assert result.utilisation() == pytest.approx(np.full(4, 0.5), abs=0.02)


def test_over_time_windows() -> None:
    w = work(rate=100)
    result = scalelab.simulate(
        w, scalelab.pool(2), scalelab.RoundRobin(), outages=[scalelab.Outage(0, 30, 60)]
    )
    series = result.over_time(10.0)
    assert len(series["t"]) == 6
    assert series["errors"][:2].max() == 0
    assert series["errors"][2] < 0.01  # only what was in flight at the crash
    assert series["errors"][3:] == pytest.approx(0.5, abs=0.05)


def test_workload_shapes() -> None:
    rng = np.random.default_rng(1)
    day = diurnal(10.0, 86_400, 0.01, rng)
    hours = np.bincount((day.arrival // 3600).astype(int), minlength=24)
    assert hours.max() / hours.mean() == pytest.approx(2.0, rel=0.05)
    crowd = flash_crowd(10.0, 200.0, 60.0, 30.0, 180.0, 0.01, rng)
    assert np.sum((crowd.arrival >= 60) & (crowd.arrival < 70)) > 10 * np.sum(crowd.arrival < 10)
    keys = zipf_keys(200_000, 1000, 1.0, rng)
    top_share = np.mean(keys == 0)
    assert top_share == pytest.approx(1 / sum(1 / k for k in range(1, 1001)), rel=0.03)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: scalelab.Server(workers=0), "workers must be a positive integer, got 0"),
        (lambda: scalelab.Server(speed=-1), "speed must be a positive number, got -1"),
        (lambda: scalelab.Server(queue_limit=-2), "queue_limit must be None or an integer"),
        (lambda: scalelab.Outage(0, 5, 5), "0 <= start < end"),
        (lambda: poisson(-3, 10, 0.01, np.random.default_rng()), "rate must be a positive number"),
        (lambda: scalelab.simulate(work(), []), "non-empty list of Server"),
        (
            lambda: scalelab.simulate(
                work(), scalelab.pool(2), scalelab.RoundRobin(), outages=[scalelab.Outage(5, 1, 2)]
            ),
            "outage names server 5, but there are 2 servers",
        ),
    ],
)
def test_bad_input_gets_one_clear_sentence(make, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


class ReturnsAServerView(scalelab.Balancer):
    def choose(self, servers):
        return servers[0]


class ReturnsTooBig(scalelab.Balancer):
    def choose(self, servers):
        return len(servers)


class LoadAwareTooBig(ReturnsTooBig):
    uses_load = True


class LoadAwareNumpyIndex(scalelab.Balancer):
    uses_load = True

    def choose(self, servers):
        return np.int64(min(range(len(servers)), key=lambda i: servers[i].active))


class ReturnsTrue(scalelab.Balancer):
    def choose(self, servers):
        return True  # "yes, a server": a bool is not an index, though Python counts it as 1


class LoadAwareTrue(ReturnsTrue):
    uses_load = True


class ReturnsMinusOne(scalelab.Balancer):
    def choose(self, servers):
        return -1  # "none": the answer for none is None


class LoadAwareMinusOne(ReturnsMinusOne):
    uses_load = True


class RoutesAString(scalelab.Balancer):
    def route(self, request, servers):
        return "1"


@pytest.mark.parametrize(
    "balancer, got",
    [
        (ReturnsAServerView(), "ServerView"),
        (ReturnsTooBig(), "3"),
        (LoadAwareTooBig(), "3"),
        (ReturnsTrue(), "True"),
        (LoadAwareTrue(), "True"),
        (ReturnsMinusOne(), "-1"),
        (LoadAwareMinusOne(), "-1"),
        (RoutesAString(), "'1'"),
    ],
)
def test_a_balancer_returning_nonsense_is_told_what_was_expected(balancer, got: str) -> None:
    with pytest.raises(
        ValueError, match=f"must return a server index from 0 to 2, or None; got {got}"
    ):
        scalelab.simulate(work(), scalelab.pool(3), balancer)


def test_a_numpy_index_is_a_fine_answer_in_the_event_loop() -> None:
    result = scalelab.simulate(work(), scalelab.pool(3), LoadAwareNumpyIndex())
    assert result.errors == 0 and set(result.server.tolist()) == {0, 1, 2}


def test_reading_load_without_asking_says_how_to_fix_it() -> None:
    class Sneaky(scalelab.Balancer):
        def choose(self, servers):
            return min(range(len(servers)), key=lambda i: servers[i].active)

    with pytest.raises(RuntimeError, match="uses_load = True"):
        scalelab.simulate(work(), scalelab.pool(2), Sneaky())


def test_a_workload_that_is_not_one_is_named() -> None:
    with pytest.raises(TypeError, match="workload must be a Workload .e.g. scalelab.sim.poisson"):
        scalelab.simulate([0.1, 0.2], scalelab.pool(2))


def test_numpy_numbers_are_numbers() -> None:
    from scalelab.theory import queueing

    assert queueing.capacity(np.float32(0.05), workers=np.int64(4)) == pytest.approx(80, rel=1e-6)
    assert scalelab.pool(int(np.int64(2)))[1].name == "web-2"


def test_capacity_of_a_server() -> None:
    assert scalelab.Server(workers=4, speed=2).capacity(0.01) == pytest.approx(800)
    assert math.isinf(scalelab.Outage(0, 1).end)


def test_least_connections_sends_more_to_a_crashed_server_until_it_is_detected() -> None:
    # A dead server holds no connections, so it looks idle: by design, and taught in chapter 05.
    w = work(rate=300, duration=40, seed=4)
    outage, check = scalelab.Outage(2, 20.5, 40), scalelab.HealthCheck()
    marked = check.transitions([outage])[0][0]
    window = (w.arrival >= outage.start) & (w.arrival < marked)
    lc = scalelab.simulate(w, scalelab.pool(4), scalelab.LeastConnections(), [outage], check)
    assert np.mean(lc.status[window] == REFUSED) > 0.3
    assert (lc.server[w.arrival >= marked + 0.1] != 2).all()


def _probe_by_probe(check: scalelab.HealthCheck, outages: list, horizon: float) -> list:
    """Health beliefs from every probe up to ``horizon``: slow, obviously right."""
    events = []
    for server in sorted({o.server for o in outages}):
        healthy, fails, goods = True, 0, 0
        for k in range(int(horizon / check.interval) + 1):
            t = k * float(check.interval)
            if any(o.server == server and o.start <= t < o.end for o in outages):
                fails, goods = fails + 1, 0
                if healthy and fails >= check.fall:
                    healthy = False
                    events.append((t, server, False))
            else:
                fails, goods = 0, goods + 1
                if not healthy and goods >= check.rise:
                    healthy = True
                    events.append((t, server, True))
    return sorted(events, key=lambda e: (e[0], e[1]))


def test_health_beliefs_count_probes_across_back_to_back_outages() -> None:
    # Dead again before three good probes: the balancer must never think it came back.
    outages = [scalelab.Outage(0, 10, 20), scalelab.Outage(0, 21)]
    assert scalelab.HealthCheck(2, 1, 3).transitions(outages) == [(10.0, 0, False)]
    again = [scalelab.Outage(0, 10, 20), scalelab.Outage(0, 20.5)]
    assert scalelab.HealthCheck().transitions(again) == [(14.0, 0, False)]
    # A probe exactly at the crash counts, despite 3 × 0.1 not being 0.3 in floating point.
    assert (
        scalelab.HealthCheck(0.1, 1, 1).transitions([scalelab.Outage(0, 3 * 0.1, 1)])[0][0] < 0.31
    )


def test_health_beliefs_match_a_probe_by_probe_model() -> None:
    rng = np.random.default_rng(12)
    for _ in range(300):
        check = scalelab.HealthCheck(
            float(rng.choice([0.5, 1, 2])), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        )
        outages = []
        for _ in range(int(rng.integers(1, 5))):
            start = float(rng.integers(0, 80)) / 2
            end = start + float(rng.integers(1, 20)) / 2 if rng.random() < 0.9 else math.inf
            outages.append(scalelab.Outage(int(rng.integers(0, 3)), start, end))
        assert check.transitions(outages) == _probe_by_probe(check, outages, 200), (check, outages)


def test_utilisation_counts_only_work_inside_the_run() -> None:
    overloaded = scalelab.simulate(work(rate=200, duration=10, cpu=0.01), [scalelab.Server()])
    assert overloaded.utilisation()[0] == pytest.approx(1.0, abs=0.01)


def test_over_time_windows_cover_the_run_exactly_and_refuse_bad_windows() -> None:
    result = scalelab.simulate(
        Workload(np.array([0.05, 1.05]), np.array([0.01, 0.01]), 1.1), [scalelab.Server()]
    )
    assert len(result.over_time(0.1)["t"]) == 11
    assert len(result.over_time(5.0)["t"]) == 1
    with pytest.raises(ValueError, match="window must be a positive number, got 0"):
        result.over_time(0)


def test_a_workload_must_be_sorted_and_consistent() -> None:
    with pytest.raises(ValueError, match="sorted"):
        Workload(np.array([2.0, 1.0]), np.array([0.1, 0.1]), 3.0)
    with pytest.raises(ValueError, match="one demand per arrival"):
        Workload(np.array([1.0]), np.array([0.1, 0.1]), 3.0)


def test_workload_generators_refuse_impossible_sizes_and_rates() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="the most a workload can hold"):
        poisson(1e20, 10, 0.01, rng)
    with pytest.raises(ValueError, match="above peak=5"):
        scalelab.sim.from_rate(lambda t: np.full(len(t), 10.0), 5.0, 10, 0.01, rng)


def test_the_error_names_the_method_the_router_wrote() -> None:
    with pytest.raises(ValueError, match=r"^route\(\) must return a server index"):
        scalelab.simulate(work(), scalelab.pool(3), RoutesAString())
    with pytest.raises(ValueError, match=r"^choose\(\) must return a server index"):
        scalelab.simulate(work(), scalelab.pool(3), ReturnsMinusOne())
