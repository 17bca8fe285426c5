"""What every side-by-side line of the benchmark shares: the best of a few runs, and the report."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def best_of(runs: int, func: Callable[[], object]) -> tuple[float, object]:
    """The shortest of ``runs`` timed calls of ``func``, in seconds, and the last call's result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def side_by_side(
    model: str,
    ours: tuple[int, float],
    simpy: tuple[int, float],
    latencies: tuple[np.ndarray, np.ndarray],
    target: float,
) -> None:
    """Print scalelab's and SimPy's speed on ``model`` (requests, seconds each), their ratio against
    ``target``, and whether both gave the same latencies on the requests SimPy ran."""
    (n, ours_s), (small, simpy_s) = ours, simpy
    ours_rate, simpy_rate = n / ours_s, small / simpy_s
    agree = np.allclose(*latencies, rtol=0, atol=1e-6)
    print(f"model: {model}")
    print(f"scalelab : {n:,} requests in {ours_s * 1000:,.0f} ms → {ours_rate:,.0f} requests/s")
    print(
        f"SimPy    : {small:,} requests in {simpy_s * 1000:,.0f} ms → {simpy_rate:,.0f} requests/s"
    )
    print(f"ratio    : scalelab is {ours_rate / simpy_rate:,.0f}× SimPy (target ≥ {target:g}×)")
    print(f"same latencies as SimPy on the first {small:,} requests: {agree}")
