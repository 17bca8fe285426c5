"""Benchmark: the simulator against SimPy on the same model, and every chapter's widget redraw time.

Model: Poisson arrivals, a round-robin load balancer, 4 one-worker FIFO servers at 80% utilisation,
exponential service; then the same with least connections (the load-aware path). Both simulators get
the very same arrival times and service demands, and must give the same latencies (checked below), so
the ratio compares equal work.

Run with ``make bench``. Prints numbers; asserts nothing about speed (machines differ).
"""

from __future__ import annotations

import io
import statistics
import time

import matplotlib.pyplot as plt
import numpy as np
import simpy
import three_tier

import scalelab
from scalelab import chapters
from scalelab.sim import poisson

SERVERS, CPU, RHO = 4, 0.01, 0.8
RATE = RHO * SERVERS / CPU


def simpy_latencies(arrival: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """The same model in SimPy, written the way its documentation does (one process per request)."""
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=1) for _ in range(SERVERS)]
    latency = np.empty(len(arrival))

    def request(k: int, server: simpy.Resource):
        start = env.now
        with server.request() as slot:
            yield slot
            yield env.timeout(demand[k])
        latency[k] = env.now - start

    def source():
        for k, t in enumerate(arrival.tolist()):
            yield env.timeout(t - env.now)
            env.process(request(k, servers[k % SERVERS]))

    env.process(source())
    env.run()
    return latency


def simpy_least_connections(arrival: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Least connections in SimPy: each arrival goes to the server with the fewest requests inside
    (served or waiting); ties go round robin from the server after the last one picked."""
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=1) for _ in range(SERVERS)]
    inside = [0] * SERVERS
    latency = np.empty(len(arrival))

    def request(k: int, i: int):
        start = env.now
        with servers[i].request() as slot:
            yield slot
            yield env.timeout(demand[k])
        inside[i] -= 1
        latency[k] = env.now - start

    def source():
        after = 0
        for k, t in enumerate(arrival.tolist()):
            yield env.timeout(t - env.now)
            rotation = [(after + step) % SERVERS for step in range(SERVERS)]
            i = min(rotation, key=lambda j: inside[j])  # the first of the least loaded
            inside[i] += 1
            after = i + 1
            env.process(request(k, i))

    env.process(source())
    env.run()
    return latency


def best_of(runs: int, func) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    big = poisson(RATE, 1_000_000 / RATE, CPU, np.random.default_rng(1))
    n = len(big)
    ours_s, result = best_of(
        5, lambda: scalelab.simulate(big, scalelab.pool(SERVERS), scalelab.RoundRobin())
    )

    small = 100_000
    simpy_s, simpy_lat = best_of(
        1, lambda: simpy_latencies(big.arrival[:small], big.demand[:small])
    )
    sub = scalelab.sim.Workload(big.arrival[:small], big.demand[:small], big.duration)
    ours_small = scalelab.simulate(sub, scalelab.pool(SERVERS), scalelab.RoundRobin())
    agree = np.allclose(simpy_lat, ours_small.latency, rtol=0, atol=1e-6)

    ours_rate, simpy_rate = n / ours_s, small / simpy_s
    print(f"model: Poisson → round robin → {SERVERS} FIFO servers at ρ = {RHO}")
    print(f"scalelab : {n:,} requests in {ours_s * 1000:,.0f} ms → {ours_rate:,.0f} requests/s")
    print(
        f"SimPy    : {small:,} requests in {simpy_s * 1000:,.0f} ms → {simpy_rate:,.0f} requests/s"
    )
    print(f"ratio    : scalelab is {ours_rate / simpy_rate:,.0f}× SimPy (target ≥ 50×)")
    print(f"same latencies as SimPy on the first {small:,} requests: {agree}")

    lc_s, _ = best_of(
        3, lambda: scalelab.simulate(big, scalelab.pool(SERVERS), scalelab.LeastConnections())
    )
    simpy_lc_s, simpy_lc_lat = best_of(
        1, lambda: simpy_least_connections(big.arrival[:small], big.demand[:small])
    )
    lc_small = scalelab.simulate(sub, scalelab.pool(SERVERS), scalelab.LeastConnections())
    lc_agree = np.allclose(simpy_lc_lat, lc_small.latency, rtol=0, atol=1e-6)
    lc_rate, simpy_lc_rate = n / lc_s, small / simpy_lc_s
    print(f"model: Poisson → least connections → {SERVERS} FIFO servers at ρ = {RHO}")
    print(f"scalelab : {n:,} requests in {lc_s * 1000:,.0f} ms → {lc_rate:,.0f} requests/s")
    print(
        f"SimPy    : {small:,} requests in {simpy_lc_s * 1000:,.0f} ms → "
        f"{simpy_lc_rate:,.0f} requests/s"
    )
    print(f"ratio    : scalelab is {lc_rate / simpy_lc_rate:,.1f}× SimPy (target ≥ 10×)")
    print(f"same latencies as SimPy on the first {small:,} requests: {lc_agree}")

    three_tier.report(best_of)
    print()

    for chapter, makers in chapters.panels().items():
        for make in makers:
            settings = widget_settings(make)
            redraw_seconds(*settings[0])  # the panel's first figure, drawn before any slider moves
            times = [redraw_seconds(draw, values) for draw, values in settings]
            print(
                f"widget redraw, {chapter}: {len(times)} settings, "
                f"median {1000 * statistics.median(times):,.0f} ms, "
                f"worst {1000 * max(times):,.0f} ms (target ≤ 300 ms)"
            )


def widget_settings(make) -> list[tuple]:
    """(draw, values) for one panel: its defaults, then each dropdown option with every slider at its
    maximum and every checkbox on (the heaviest redraws)."""
    built = make()
    plt.close("all")
    draw, controls = built._draw, built.controls
    defaults = {name: c.value for name, c in controls.items()}
    heavy = {
        name: (c.max if hasattr(c, "max") else True if isinstance(c.value, bool) else c.value)
        for name, c in controls.items()
    }
    settings = [(draw, defaults)]
    choices = [(n, c.options) for n, c in controls.items() if hasattr(c, "options")]
    for name, options in choices or [(None, [None])]:
        for option in options:
            settings.append((draw, heavy | ({name: option} if name else {})))
    return settings


def redraw_seconds(draw, values: dict) -> float:
    """Re-simulate and render to PNG, as the inline backend does after a slider moves."""
    start = time.perf_counter()
    fig = draw(**values)
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
