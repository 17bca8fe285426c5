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
    return float(result.wait[result.ok].mean())


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
    share_waiting = float(np.mean(result.wait[result.ok] > 0))
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


# Erlang B tables (e.g. ITU-T E.520; any teletraffic textbook): 10 erlangs on 10 lines block 21.46%
# of calls; 1% blocking on 10 lines is reached at 4.46 erlangs; 1 erlang on 1 line blocks half.
@pytest.mark.parametrize(
    "erlangs, lines, blocking", [(10.0, 10, 0.2146), (4.461, 10, 0.0100), (1.0, 1, 0.5)]
)
def test_erlang_b_matches_published_tables(erlangs: float, lines: int, blocking: float) -> None:
    assert queueing.erlang_b(erlangs, 1.0, lines) == pytest.approx(blocking, abs=5e-5)
    assert queueing.erlang_b(2 * erlangs, 2.0, lines) == pytest.approx(blocking, abs=5e-5)


def _mmck_by_factorials(lam: float, mu: float, c: int, limit: int) -> list[float]:
    """The textbook M/M/c/K state probabilities, written out with powers and factorials."""
    from math import factorial

    a, k = lam / mu, c + limit
    raw = [
        a**n / factorial(n) if n <= c else a**n / (factorial(c) * c ** (n - c))
        for n in range(k + 1)
    ]
    return [x / sum(raw) for x in raw]


@pytest.mark.parametrize(
    "lam, mu, c, limit", [(0.5, 1, 1, 3), (3, 1, 4, 0), (7, 2, 3, 5), (20, 1, 8, 12)]
)
def test_mmck_agrees_with_the_factorial_formula(lam: float, mu: float, c: int, limit: int) -> None:
    states = _mmck_by_factorials(lam, mu, c, limit)
    assert queueing.mmck_blocking(lam, mu, c, limit) == pytest.approx(states[-1], rel=1e-12)
    admitted = lam * (1 - states[-1])
    mean_time = sum(n * p for n, p in enumerate(states)) / admitted
    assert queueing.mmck_time(lam, mu, c, limit) == pytest.approx(mean_time, rel=1e-12)


def test_mmck_meets_erlang_b_m_m_1_k_and_m_m_c_at_its_limits() -> None:
    assert queueing.mmck_blocking(7.0, 1.0, 10, 0) == pytest.approx(queueing.erlang_b(7.0, 1.0, 10))
    rho, k = 0.8, 6  # M/M/1/K: (1 − ρ)ρ^K / (1 − ρ^(K+1))
    assert queueing.mmck_blocking(rho, 1.0, 1, k - 1) == pytest.approx(
        (1 - rho) * rho**k / (1 - rho ** (k + 1))
    )
    assert queueing.mmck_time(3.0, 1.0, 4, 5000) == pytest.approx(
        queueing.mmc_wait(3.0, 1.0, 4) + 1
    )


def test_mmck_holds_past_capacity_and_for_long_lines() -> None:
    # Far past capacity nearly everything beyond what the workers finish is refused: 1 − cμ/λ.
    assert queueing.mmck_blocking(1000.0, 1.0, 1, 100_000) == pytest.approx(0.999, rel=1e-9)
    assert queueing.mmck_blocking(1e-3, 1.0, 1, 100_000) == 0.0


def test_mmck_refuses_a_bad_queue_limit() -> None:
    with pytest.raises(ValueError, match="queue_limit must be an integer of 0 or more, got -1"):
        queueing.mmck_blocking(1.0, 1.0, 1, -1)


@pytest.mark.parametrize("workers, limit, rho", [(1, 0, 0.9), (2, 3, 0.95), (4, 2, 1.3)])
def test_the_simulator_blocks_as_mmck_predicts(workers: int, limit: int, rho: float) -> None:
    lam, mu = rho * workers, 1.0
    work = poisson(lam, 300_000 / lam, 1 / mu, np.random.default_rng(workers + limit))
    result = scalelab.simulate(work, [scalelab.Server(workers=workers, queue_limit=limit)])
    dropped = float(np.mean(result.status == scalelab.DROPPED))
    assert dropped == pytest.approx(queueing.mmck_blocking(lam, mu, workers, limit), rel=0.03)
    assert result.mean_latency() == pytest.approx(
        queueing.mmck_time(lam, mu, workers, limit), rel=0.03
    )
