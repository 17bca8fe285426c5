"""What a run returns: exact waits, windows of a run, outcomes by name, and the rng= convention."""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl
from scalelab.sim import Workload, poisson


@pytest.fixture(scope="module")
def busy() -> sl.SimResult:
    # The run where latency − demand came out as −4.8e-10: ρ = 0.95 on one worker.
    work = poisson(0.95 / 0.01, 1400, 0.01, np.random.default_rng(2))
    return sl.simulate(work, [sl.Server()])


def test_waits_are_exact_never_below_zero(busy: sl.SimResult) -> None:
    ok = busy.ok
    assert ok.sum() > 100_000
    assert (busy.wait[ok] >= 0).all(), f"expected no negative wait, got {busy.wait[ok].min()!r}"
    assert (busy.wait[ok] == 0).any(), "expected some requests served at once (wait exactly 0)"
    assert busy.service[ok] == pytest.approx(busy.workload.demand[ok])
    assert busy.wait[ok] + busy.service[ok] == pytest.approx(busy.latency[ok], abs=1e-9)


@pytest.mark.parametrize(
    "server",
    [sl.Server(workers=3, speed=2.0, queue_limit=4), sl.Server(speed=0.5)],
    ids=["event queue", "Lindley"],
)
def test_wait_and_service_on_every_path(server: sl.Server) -> None:
    work = poisson(250, 60, 0.01, np.random.default_rng(3))
    result = sl.simulate(work, [server, server], sl.LeastConnections())
    ok = result.ok
    assert (result.wait[ok] >= 0).all()
    assert result.service[ok] == pytest.approx(work.demand[ok] / server.speed)
    assert np.isnan(result.wait[~ok]).all() and np.isnan(result.service[~ok]).all()
    # Each worker serves one request at a time: never more than `workers` in service at once.
    for i in range(2):
        mine = ok & (result.server == i)
        events = np.concatenate([result.start[mine], result.departure[mine]])
        steps = np.concatenate([np.ones(mine.sum()), -np.ones(mine.sum())])
        order = np.lexsort((steps, events))  # a departure before an arrival at the same instant
        assert np.cumsum(steps[order]).max() <= server.workers


def test_between_is_the_requests_of_a_window() -> None:
    work = poisson(100, 60, 0.009, np.random.default_rng(1))
    crash = sl.Outage(1, 20, 30)
    result = sl.simulate(work, sl.pool(3), sl.RoundRobin(), outages=[crash])
    during = result.between(20, 30)
    mask = (work.arrival >= 20) & (work.arrival < 30)
    assert len(during.status) == mask.sum() > 0
    assert during.errors == np.count_nonzero(~result.ok[mask])
    assert during.error_rate == pytest.approx(np.mean(~result.ok[mask]))
    assert during.percentile(99) == pytest.approx(
        np.percentile(result.latency[mask & result.ok], 99)
    )
    assert during.workload.start == 20 and during.workload.duration == 10
    series = during.over_time(5.0)
    assert series["t"].tolist() == [20.0, 25.0]
    before = result.between(0, 20)
    assert before.errors == 0 and during.error_counts() == {sl.REFUSED: during.errors}
    # Busy share inside the window only: about λ·cpu / servers on each server that was up.
    assert before.utilisation() == pytest.approx([0.3, 0.3, 0.3], abs=0.05)
    assert during.utilisation()[1] == 0.0
    for t0, t1 in [(5, 5), (-1, 3), (10, 2)]:
        with pytest.raises(ValueError, match="between\\(t0, t1\\) needs 0 <= t0 < t1"):
            result.between(t0, t1)


def test_outcomes_are_importable_and_read_as_their_names() -> None:
    assert [int(o) for o in (sl.OK, sl.REFUSED, sl.LOST, sl.NO_SERVER, sl.DROPPED)] == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert repr({sl.REFUSED: 3}) == "{REFUSED: 3}"
    assert str(sl.LOST) == "lost (server crashed while it waited)"
    assert f"{sl.NO_SERVER:>25}" == "    503 no healthy server"
    work = Workload(np.array([0.0, 0.1, 0.2]), np.array([1.0, 1.0, 1.0]), 1.0)
    full = sl.simulate(work, [sl.Server(queue_limit=0)])
    assert full.error_counts() == {sl.DROPPED: 2}
    assert (full.status == sl.Outcome.DROPPED).sum() == 2


def test_rng_is_a_generator_everywhere() -> None:
    work = poisson(100, 10, 0.01, np.random.default_rng(1))
    a = sl.simulate(work, sl.pool(3), sl.Random(), rng=np.random.default_rng(4))
    b = sl.simulate(work, sl.pool(3), sl.Random(), rng=np.random.default_rng(4))
    c = sl.simulate(work, sl.pool(3), sl.Random(), rng=np.random.default_rng(5))
    assert np.array_equal(a.server, b.server) and not np.array_equal(a.server, c.server)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, .* got 4"):
        sl.simulate(work, sl.pool(3), sl.Random(), rng=4)
    with pytest.raises(TypeError, match="unexpected keyword argument 'seed'"):
        sl.simulate(work, sl.pool(3), sl.Random(), seed=4)


def test_a_pool_needs_a_balancer() -> None:
    work = poisson(10, 10, 0.01, np.random.default_rng(1))
    with pytest.raises(ValueError, match="3 servers need a balancer to choose between them"):
        sl.simulate(work, sl.pool(3))
    assert sl.simulate(work, [sl.Server()]).errors == 0
