"""The simulator and the formulas against oracles that share no code with them: a slow reference
simulator kept in tests/ (reference_sim.py), published Erlang C values and the closed form, and
counts made from the raw per-request trace."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import reference_sim

import scalelab
from scalelab import queueing
from scalelab.sim import DROPPED, LOST, OK, REFUSED, Workload, diurnal, poisson

STATUS = {
    reference_sim.OK: OK,
    reference_sim.REFUSED: REFUSED,
    reference_sim.LOST: LOST,
    reference_sim.DROPPED: DROPPED,
}


class LoadAwareRoundRobin(scalelab.RoundRobin):
    """Round robin that asks for load, which forces the one-request-at-a-time event loop."""

    uses_load = True


def _scenario(rng: np.random.Generator) -> tuple[Workload, list, list]:
    servers = [
        scalelab.Server(
            workers=int(rng.integers(1, 5)),
            speed=float(rng.choice([0.5, 1.0, 2.0])),
            queue_limit=[None, None, 0, 1, 3][int(rng.integers(5))],
        )
        for _ in range(int(rng.integers(1, 4)))
    ]
    cpu, duration = 0.05, 20.0
    capacity = sum(s.workers * s.speed for s in servers) / cpu
    service = "deterministic" if rng.random() < 0.2 else "exponential"
    work = poisson(capacity * rng.uniform(0.5, 1.6), duration, cpu, rng, service=service)
    outages = []
    for _ in range(int(rng.integers(0, 4))):
        start = float(rng.uniform(0, duration))
        # From blips shorter than an overloaded server's backlog to long outages; some for good.
        end = start + 10 ** float(rng.uniform(-1.3, 0.8)) if rng.random() < 0.85 else math.inf
        outages.append(scalelab.Outage(int(rng.integers(len(servers))), start, end))
    return work, servers, outages


@pytest.mark.parametrize("balancer", [scalelab.RoundRobin, LoadAwareRoundRobin])
def test_simulate_agrees_with_the_reference_request_by_request(balancer: type) -> None:
    """Fast path (RoundRobin) and event loop (load-aware) alike, on many small random pools:
    1–4 workers, speeds, queue limits (0 included), crashes that recover and ones that do not."""
    rng = np.random.default_rng(2024)
    seen = set()
    for _ in range(40):
        work, servers, outages = _scenario(rng)
        result = scalelab.simulate(work, servers, balancer(), outages)
        n = len(servers)
        chosen = [i % n for i in range(len(work))]  # round robin without health checks
        assert result.server.tolist() == chosen
        expected = reference_sim.simulate(
            work.arrival.tolist(),
            work.demand.tolist(),
            chosen,
            [(s.workers, s.speed, s.queue_limit) for s in servers],
            [(o.server, o.start, o.end) for o in outages],
        )
        status = np.array([STATUS[s] for s, _ in expected])
        latency = np.array([lat for _, lat in expected])
        where = f"{servers}, {outages}"
        bad = np.flatnonzero(result.status != status)
        assert len(bad) == 0, (
            f"request {bad[0]}: {result.status[bad[0]]} != {status[bad[0]]}; {where}"
        )
        assert np.allclose(result.latency, latency, rtol=0, atol=1e-9, equal_nan=True), where
        seen.update(status.tolist())
    assert seen == {OK, REFUSED, LOST, DROPPED}, "the scenarios must reach every outcome"


# --- Erlang C for pools of workers -----------------------------------------------------------------

# Published worked example: the ErlangC package for R (CRAN, README "Example" and the `process`
# table of calculate_agents), https://cran.r-project.org/package=ErlangC : 100 calls per 30 minutes,
# 180 s average handle time (A = 10 erlangs). With 14 agents the wait probability is 0.1741319 and
# the average speed of answer 7.83593701177724 s; with 11 agents the wait probability is 0.6821182.
CALLS, HANDLE = 100 / 1800, 180.0


def test_erlang_c_matches_a_published_worked_example() -> None:
    assert queueing.erlang_c(CALLS, 1 / HANDLE, 14) == pytest.approx(0.1741319, abs=1e-7)
    assert queueing.erlang_c(CALLS, 1 / HANDLE, 11) == pytest.approx(0.6821182, abs=1e-7)
    assert queueing.mmc_wait(CALLS, 1 / HANDLE, 14) == pytest.approx(7.83593701177724, rel=1e-9)


def _erlang_c_closed_form(a: Fraction, c: int) -> Fraction:
    """C(c, a) = (aᶜ/c! · c/(c − a)) / (Σₖ₌₀..c₋₁ aᵏ/k! + aᶜ/c! · c/(c − a)), in exact fractions."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize("workers", [2, 3, 5, 8, 16, 40])
@pytest.mark.parametrize(
    "load", [Fraction(1, 10), Fraction(1, 2), Fraction(9, 10), Fraction(99, 100)]
)
def test_erlang_c_matches_the_factorial_formula(workers: int, load: Fraction) -> None:
    a = load * workers  # offered traffic in erlangs: λ/μ with μ = 1
    exact = _erlang_c_closed_form(a, workers)
    assert queueing.erlang_c(float(a), 1.0, workers) == pytest.approx(float(exact), rel=1e-9)
    assert queueing.mmc_wait(float(a), 1.0, workers) == pytest.approx(
        float(exact / (workers - a)), rel=1e-9
    )


# --- utilisation, from the trace ---------------------------------------------------------------------


def test_utilisation_counts_every_worker_at_its_speed() -> None:
    servers = [
        scalelab.Server(workers=1, speed=1.0),
        scalelab.Server(workers=4, speed=1.0),
        scalelab.Server(workers=2, speed=3.0),
        scalelab.Server(workers=3, speed=0.5),
    ]
    w = poisson(600, 60, 0.01, np.random.default_rng(21))
    result = scalelab.simulate(w, servers, scalelab.RoundRobin())
    # Busy seconds of each server inside the run, request by request from the raw trace: a request
    # answered at arrival + latency was served for its demand ÷ the speed of the server it went to.
    busy = [0.0] * len(servers)
    for a, work, k, status, latency in zip(
        w.arrival, w.demand, result.server, result.status, result.latency, strict=True
    ):
        if status == OK:
            end = a + latency
            start = end - work / servers[k].speed
            busy[k] += max(0.0, min(end, w.duration) - max(start, 0.0))
    expected = [b / (s.workers * w.duration) for b, s in zip(busy, servers, strict=True)]
    assert result.utilisation() == pytest.approx(expected, rel=1e-9)
    # And what that should be: each server gets a quarter of 600/s, ρ = λ·cpu / (workers·speed).
    offered = [150 * 0.01 / (s.workers * s.speed) for s in servers]
    assert result.utilisation()[1:] == pytest.approx(offered[1:], rel=0.05)
    assert result.utilisation()[0] == pytest.approx(1.0, abs=0.01)  # overloaded: ρ = 1.5


# --- the diurnal curve's shape -----------------------------------------------------------------------


def test_diurnal_traffic_peaks_at_noon_and_bottoms_out_at_midnight() -> None:
    """The rate is lowest at t = 0 (midnight) and highest half a period later."""
    day = diurnal(5.0, 86_400, 0.01, np.random.default_rng(5))
    hours = np.bincount((day.arrival // 3600).astype(int), minlength=24)
    assert int(hours.argmax()) in {11, 12}, hours.tolist()  # the hours either side of 12:00
    assert int(hours.argmin()) in {23, 0}, hours.tolist()
    # With another period the same shape scales: the first Fourier component of the arrival times
    # points where most of them are, at the peak, t = period / 2.
    period = 600.0
    short = diurnal(50.0, 10 * period, 0.01, np.random.default_rng(6), period=period)
    phase = np.angle(np.exp(2j * np.pi * short.arrival / period).sum())
    peak = (phase % (2 * np.pi)) / (2 * np.pi) * period
    assert abs(peak - period / 2) < 0.02 * period


# --- Little's law, with the engine's own count of who is inside -------------------------------------


class Recorder(scalelab.RoundRobin):
    """Round robin that notes how many requests every server holds each time one arrives."""

    uses_load = True

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def choose(self, servers):
        self.seen.append(sum(s.active for s in servers))
        return super().choose(servers)


def test_littles_law_with_failures() -> None:
    """L = λ·W. L, the time-average number of requests inside, comes from the engine's count of who
    is inside (``ServerView.active``) as Poisson arrivals see it (PASTA); W, the mean time inside
    per arriving request, from the trace. Dropped and refused requests spend no time inside; a lost
    one spends the time from its arrival to the crash."""
    servers = scalelab.pool(2, workers=2, queue_limit=3)
    crashes = [scalelab.Outage(k % 2, 20.0 + 20 * k, 23.0 + 20 * k) for k in range(8)]
    w = poisson(380, 200, 0.01, np.random.default_rng(3))
    recorder = Recorder()
    result = scalelab.simulate(w, servers, recorder, crashes)
    counts = {s: int(np.sum(result.status == s)) for s in (OK, DROPPED, REFUSED, LOST)}
    assert min(counts.values()) >= 10, f"every kind of failure must happen: {counts}"

    inside = np.zeros(len(w))
    inside[result.ok] = result.latency[result.ok]
    for k in np.flatnonzero(result.status == LOST):
        crash = min(
            o.start for o in crashes if o.server == result.server[k] and o.start > w.arrival[k]
        )
        inside[k] = crash - w.arrival[k]
    lam, wait = w.rate, inside.mean()
    assert np.mean(recorder.seen) == pytest.approx(lam * wait, rel=0.01)

    # The same L integrated over time from arrivals and departures (a request leaves at arrival +
    # time inside): only what is still inside at the end of the run tells the two apart.
    events = sorted(
        [(a, 1) for a, s in zip(w.arrival, inside, strict=True) if s > 0]
        + [(a + s, -1) for a, s in zip(w.arrival, inside, strict=True) if s > 0]
    )
    area, level, last = 0.0, 0, 0.0
    for t, step in events:
        if t > w.duration:
            break
        area += level * (t - last)
        level, last = level + step, t
    area += level * (w.duration - last)
    assert area / w.duration == pytest.approx(np.mean(recorder.seen), rel=0.01)
