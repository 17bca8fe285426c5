"""Queueing theory: what the simulator should agree with, and what chapter 01 quotes.

All formulas assume Poisson arrivals at rate λ and exponential service at rate μ per worker
(Kleinrock, *Queueing Systems* vol. 1, 1975). They hold only while the queue is stable, λ < cμ:
at or past capacity the queue grows without bound and the mean wait is infinite.
"""

from __future__ import annotations

import numpy as np

from scalelab.validate import positive, positive_int


def capacity(cpu_time: float, workers: int = 1) -> float:
    """Requests per second a server completes when busy all the time: workers / cpu_time."""
    positive("cpu_time", cpu_time)
    positive_int("workers", workers)
    return workers / cpu_time


def _stable(arrival_rate: float, service_rate: float, workers: int) -> float:
    positive("arrival_rate", arrival_rate)
    positive("service_rate", service_rate)
    positive_int("workers", workers)
    rho = arrival_rate / (workers * service_rate)
    if rho >= 1:
        raise ValueError(
            f"the queue is unstable: arrival rate {arrival_rate} must be below capacity "
            f"{workers * service_rate} (utilisation {rho:.2f} >= 1), so the wait grows forever"
        )
    return rho


def mm1_wait(arrival_rate: float, service_rate: float) -> float:
    """Mean seconds waiting in line in an M/M/1 queue: W_q = ρ / (μ − λ)."""
    rho = _stable(arrival_rate, service_rate, 1)
    return rho / (service_rate - arrival_rate)


def mm1_time(arrival_rate: float, service_rate: float) -> float:
    """Mean seconds in an M/M/1 system (waiting plus service): W = 1 / (μ − λ)."""
    _stable(arrival_rate, service_rate, 1)
    return 1.0 / (service_rate - arrival_rate)


def erlang_c(arrival_rate: float, service_rate: float, workers: int) -> float:
    """Probability that a request has to wait in an M/M/c queue (the Erlang C formula)."""
    rho = _stable(arrival_rate, service_rate, workers)
    # C from Erlang B, itself computed by a recursion that never forms a^c or c!.
    blocking = erlang_b(arrival_rate, service_rate, workers)
    return blocking / (1.0 - rho * (1.0 - blocking))


def mmc_wait(arrival_rate: float, service_rate: float, workers: int) -> float:
    """Mean seconds waiting in line in an M/M/c queue: W_q = C(c, a) / (cμ − λ)."""
    return erlang_c(arrival_rate, service_rate, workers) / (workers * service_rate - arrival_rate)


def utilisation(arrival_rate: float, service_rate: float, workers: int = 1) -> float:
    """Share of time each worker is busy: ρ = λ / (cμ)."""
    positive("arrival_rate", arrival_rate)
    positive("service_rate", service_rate)
    positive_int("workers", workers)
    return arrival_rate / (workers * service_rate)


def mm1_latency_at(utilisation: float, cpu_time: float) -> float:
    """Mean response time of one server at a given utilisation: W = cpu_time / (1 − ρ).

    The hockey stick: at ρ = 0.5 a request takes twice its CPU time, at 0.9 ten times, at 0.99 a hundred.
    """
    positive("cpu_time", cpu_time)
    if isinstance(utilisation, bool) or not 0 <= utilisation < 1:
        raise ValueError(f"utilisation must be at least 0 and below 1, got {utilisation!r}")
    return cpu_time / (1.0 - utilisation)


def erlang_b(arrival_rate: float, service_rate: float, workers: int) -> float:
    """Probability that a request finds all ``workers`` busy and is turned away (M/M/c/c, Erlang B).

    No line at all: what a pool with ``queue_limit=0`` refuses. Holds at any load, since nothing
    queues. Computed by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)), with a = λ/μ.
    """
    positive("arrival_rate", arrival_rate)
    positive("service_rate", service_rate)
    positive_int("workers", workers)
    a = arrival_rate / service_rate
    blocking = 1.0
    for k in range(1, workers + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def _mmck_states(
    arrival_rate: float, service_rate: float, workers: int, queue_limit: int
) -> list[float]:
    """P(n requests in the system), n = 0 … workers + queue_limit, for an M/M/c/K queue."""
    positive("arrival_rate", arrival_rate)
    positive("service_rate", service_rate)
    positive_int("workers", workers)
    if isinstance(queue_limit, bool) or not isinstance(queue_limit, int) or queue_limit < 0:
        raise ValueError(f"queue_limit must be an integer of 0 or more, got {queue_limit!r}")
    # p(n) / p(n−1) = λ / (min(n, c)·μ): summed as logarithms and scaled by the largest term, so
    # that no a^n or n! is ever formed and long lines neither overflow nor underflow.
    n = np.arange(1, workers + queue_limit + 1)
    log_ratio = np.log(arrival_rate / service_rate) - np.log(np.minimum(n, workers))
    log_weight = np.concatenate(([0.0], np.cumsum(log_ratio)))
    weight = np.exp(log_weight - log_weight.max())
    return (weight / weight.sum()).tolist()


def mmck_blocking(
    arrival_rate: float, service_rate: float, workers: int, queue_limit: int
) -> float:
    """Share of requests refused by a server with ``workers`` and room for ``queue_limit`` waiting.

    The M/M/c/K queue with K = workers + queue_limit: an arrival that finds K requests inside is
    turned away (the simulator's DROPPED, an HTTP 503). Holds at any load, even past capacity.
    """
    return _mmck_states(arrival_rate, service_rate, workers, queue_limit)[-1]


def mmck_time(arrival_rate: float, service_rate: float, workers: int, queue_limit: int) -> float:
    """Mean seconds in the system (waiting plus service) of the requests an M/M/c/K queue admits.

    Little's law on the admitted traffic: W = L / (λ·(1 − P(full))), L the mean number inside.
    """
    states = _mmck_states(arrival_rate, service_rate, workers, queue_limit)
    inside = sum(n * p for n, p in enumerate(states))
    return inside / (arrival_rate * (1.0 - states[-1]))
