"""The simulator agrees with queueing theory at a million requests (within 2% on the mean wait).

Mean waiting time in line is compared, not time in system, because it is the part the queue adds
and the harder one to get right. The utilisations are high enough that a queue forms (ρ = 0.7).
"""

import numpy as np
import pytest

import scalelab
from scalelab.sim import poisson
from scalelab.theory import queueing

N = 1_000_000


def mean_wait(result: scalelab.SimResult) -> float:
    service = result.workload.demand / np.array([s.speed for s in result.servers])[result.server]
    return float((result.latency - service)[result.ok].mean())


@pytest.mark.parametrize("seed", [1, 2])
def test_mm1_mean_wait(seed: int) -> None:
    lam, mu = 0.7, 1.0
    work = poisson(lam, N / lam, 1 / mu, np.random.default_rng(seed))
    assert len(work) >= N * 0.99
    result = scalelab.simulate(work, [scalelab.Server()])
    assert mean_wait(result) == pytest.approx(queueing.mm1_wait(lam, mu), rel=0.02)
    assert result.mean_latency() == pytest.approx(queueing.mm1_time(lam, mu), rel=0.02)


@pytest.mark.parametrize("workers", [2, 8])
def test_mmc_mean_wait_erlang_c(workers: int) -> None:
    lam, mu = 0.7 * workers, 1.0
    work = poisson(lam, N / lam, 1 / mu, np.random.default_rng(workers))
    result = scalelab.simulate(work, [scalelab.Server(workers=workers)])
    assert mean_wait(result) == pytest.approx(queueing.mmc_wait(lam, mu, workers), rel=0.02)
    share_waiting = float(np.mean((result.latency - work.demand) > 1e-6))
    assert share_waiting == pytest.approx(queueing.erlang_c(lam, mu, workers), rel=0.02)


def test_random_dispatch_is_c_independent_mm1_queues() -> None:
    c, lam, mu = 4, 0.7 * 4, 1.0
    work = poisson(lam, N / lam, 1 / mu, np.random.default_rng(11))
    result = scalelab.simulate(
        work, scalelab.pool(c), scalelab.Random(), rng=np.random.default_rng(3)
    )
    assert mean_wait(result) == pytest.approx(queueing.mm1_wait(lam / c, mu), rel=0.02)
    # The shared pool waits far less than c separate queues at the same load: why least-connections
    # and a shared queue beat random dispatch.
    assert queueing.mmc_wait(lam, mu, c) < 0.5 * queueing.mm1_wait(lam / c, mu)


def test_theory_refuses_an_unstable_queue() -> None:
    with pytest.raises(ValueError, match="unstable"):
        queueing.mm1_wait(1.0, 1.0)
    with pytest.raises(ValueError, match="unstable"):
        queueing.mmc_wait(5.0, 1.0, 4)


def test_erlang_c_edge_cases() -> None:
    # One worker: Erlang C is the utilisation, and M/M/c reduces to M/M/1.
    assert queueing.erlang_c(0.3, 1.0, 1) == pytest.approx(0.3)
    assert queueing.mmc_wait(0.3, 1.0, 1) == pytest.approx(queueing.mm1_wait(0.3, 1.0))
    # Large pools do not overflow.
    assert 0 < queueing.erlang_c(900.0, 1.0, 1000) < 1


def test_hockey_stick_formula() -> None:
    assert queueing.mm1_latency_at(0.0, 0.1) == pytest.approx(0.1)
    assert queueing.mm1_latency_at(0.9, 0.1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="below 1"):
        queueing.mm1_latency_at(1.0, 0.1)


def test_capacity_and_utilisation_count_every_worker() -> None:
    assert queueing.capacity(0.1) == pytest.approx(10.0)
    assert queueing.capacity(0.1, workers=4) == pytest.approx(40.0)
    assert queueing.utilisation(30.0, 10.0) == pytest.approx(3.0)
    assert queueing.utilisation(30.0, 10.0, workers=4) == pytest.approx(0.75)
    for bad, name in [((0, 10.0), "arrival_rate"), ((30.0, 0), "service_rate")]:
        with pytest.raises(ValueError, match=f"{name} must be a positive number"):
            queueing.utilisation(*bad)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        queueing.utilisation(30.0, 10.0, workers=0)
