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
import sys
import time

import geo
import matplotlib.pyplot as plt
import numpy as np
import simpy
import three_tier
from compare import best_of, side_by_side

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


def main() -> None:
    """The simulator against SimPy, then every panel's redraw; ``--widgets [NN-slug …]`` times only the
    panels (of the chapters named, or all)."""
    if "--widgets" in sys.argv:
        widgets(sys.argv[sys.argv.index("--widgets") + 1 :])
        return
    big = poisson(RATE, 1_000_000 / RATE, CPU, np.random.default_rng(1))
    small = 100_000
    sub = scalelab.sim.Workload(big.arrival[:small], big.demand[:small], big.duration)
    for name, strategy, simpy_model, runs, target in (
        ("round robin", scalelab.RoundRobin, simpy_latencies, 5, 50),
        ("least connections", scalelab.LeastConnections, simpy_least_connections, 3, 10),
    ):
        ours_s, _ = best_of(
            runs,
            lambda strategy=strategy: scalelab.simulate(big, scalelab.pool(SERVERS), strategy()),
        )
        simpy_s, simpy_lat = best_of(
            1, lambda simpy_model=simpy_model: simpy_model(sub.arrival, sub.demand)
        )
        ours_lat = scalelab.simulate(sub, scalelab.pool(SERVERS), strategy()).latency
        side_by_side(
            f"Poisson → {name} → {SERVERS} FIFO servers at ρ = {RHO}",
            (len(big), ours_s),
            (small, simpy_s),
            (simpy_lat, ours_lat),
            target,
        )

    three_tier.report()
    geo.report()
    print()
    widgets()


def widgets(only: list[str] | None = None) -> None:
    """Each panel's redraw over its settings (median and worst), for the chapters in ``only`` or all."""
    for chapter, makers in chapters.panels().items():
        if only and chapter not in only:
            continue
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
