"""Benchmark: the data tier's three-tier model in scalelab and in SimPy, fed the same numbers.

Model (issue 8): Poisson arrivals → round robin over 4 web servers → one LRU cache node holding 10⁴ of
10⁶ Zipf-popular keys (α = 1) → a database with one primary and two replicas, 10% writes. Reads that
miss go to the replicas in turn, writes to the primary (and invalidate the cached key); each replica
applies every write after an exponential lag. Both simulators get the same arrivals, work per tier,
keys and lags, and must give the same latencies on the first 10⁵ requests.
"""

from __future__ import annotations

import time
from collections import OrderedDict

import numpy as np
import simpy
from compare import best_of, side_by_side

import scalelab
from scalelab.sim import Replication, Server, Tier, Topology, Workload

WEB, WEB_CPU = 4, 0.001
RATE = 0.8 * WEB / WEB_CPU
CACHE_CPU, DB_CPU = 0.0001, 0.0004
KEYS, CACHED, ALPHA, WRITES, MEAN_LAG = 1_000_000, 10_000, 1.0, 0.1, 0.05
SEED = 4


def workload(n: int) -> Workload:
    """About ``n`` requests of the bench's model, seeded."""
    rng = np.random.default_rng(1)
    w = scalelab.sim.poisson(RATE, n / RATE, WEB_CPU, rng)
    w = scalelab.sim.with_keys(w, KEYS, ALPHA, rng)
    return scalelab.sim.with_writes(w, WRITES, rng)


def topology(w: Workload) -> Topology:
    """The model in scalelab, with the work per tier drawn once so SimPy can be given the same."""
    from scalelab.cache import CacheStage  # noqa: PLC0415
    from scalelab.database import ReadWriteSplit  # noqa: PLC0415

    work = np.random.default_rng(2)
    return Topology(
        [
            Tier("web", scalelab.pool(WEB), scalelab.RoundRobin()),
            Tier(
                "cache",
                [Server(name="cache")],
                cpu_time=work.exponential(CACHE_CPU, len(w)),
                stage=CacheStage(CACHED),
            ),
            Tier(
                "db",
                [Server(name="primary"), Server(name="replica-1"), Server(name="replica-2")],
                ReadWriteSplit(),
                cpu_time=work.exponential(DB_CPU, len(w)),
                replication=Replication(mean_lag=MEAN_LAG),
            ),
        ]
    )


def simpy_latencies(w: Workload, path: Topology) -> np.ndarray:
    """The same model in SimPy, one process per request, as its documentation writes models."""
    cache_cpu, db_cpu = path.tiers[1].cpu_time, path.tiers[2].cpu_time
    # The lags scalelab draws: the replication's own stream, seeded from the run's generator.
    lag_rng = np.random.default_rng(np.random.default_rng(SEED).integers(2**63))
    lags = lag_rng.exponential(MEAN_LAG, (int(np.count_nonzero(w.writes)), 3))
    env = simpy.Environment()
    web = [simpy.Resource(env, capacity=1) for _ in range(WEB)]
    cache = simpy.Resource(env, capacity=1)
    db = [simpy.Resource(env, capacity=1) for _ in range(3)]
    lru: OrderedDict[int, None] = OrderedDict()
    latency = np.full(len(w), np.nan)
    state = {"turn": 0, "writes": 0, "commit": 0.0, "sent": [0.0, 0.0, 0.0]}

    def apply(j: int, at: float, work: float):
        yield env.timeout(at - env.now)
        with db[j].request() as slot:
            yield slot
            yield env.timeout(work)

    def request(k: int, key: int, write: bool):
        start = env.now
        with web[k % WEB].request() as slot:
            yield slot
            yield env.timeout(w.demand[k])
        with cache.request() as slot:
            yield slot
            yield env.timeout(cache_cpu[k])
        if write:
            lru.pop(key, None)
            hit = False
        elif key in lru:
            lru.move_to_end(key)
            hit = True
        else:
            lru[key] = None
            if len(lru) > CACHED:
                lru.popitem(last=False)
            hit = False
        if not hit:
            if write:
                j = 0
            else:
                j = 1 + state["turn"] % 2
                state["turn"] += 1
            with db[j].request() as slot:
                yield slot
                yield env.timeout(db_cpu[k])
            if write:
                p = state["writes"]
                state["writes"] += 1
                state["commit"] = commit = max(env.now, state["commit"])
                for r in (1, 2):
                    state["sent"][r] = max(state["sent"][r], commit + lags[p, r])
                    env.process(apply(r, state["sent"][r], db_cpu[k]))
        latency[k] = env.now - start

    def source():
        for k, (t, key, write) in enumerate(
            zip(w.arrival.tolist(), w.keys.tolist(), w.writes.tolist(), strict=True)
        ):
            yield env.timeout(t - env.now)
            env.process(request(k, key, write))

    env.process(source())
    env.run()
    return latency


def report() -> None:
    """Print the model's speed beside SimPy's, and the time of 10⁷ requests."""
    small = 100_000
    sub = workload(small)
    path = topology(sub)
    simpy_s, simpy_lat = best_of(1, lambda: simpy_latencies(sub, path))
    ours_lat = path.run(sub, rng=np.random.default_rng(SEED)).latency
    big = workload(1_000_000)
    ours_s, _ = best_of(3, lambda: topology(big).run(big, rng=np.random.default_rng(SEED)))
    side_by_side(
        f"three tiers: web ×{WEB} → LRU cache ({CACHED:,} of {KEYS:,} Zipf keys) → primary + 2 "
        f"replicas, {WRITES:.0%} writes",
        (len(big), ours_s),
        (len(sub), simpy_s),
        (simpy_lat, ours_lat),
        100,
    )

    start = time.perf_counter()
    huge = workload(10_000_000)
    made = time.perf_counter()
    result = topology(huge).run(huge, rng=np.random.default_rng(SEED))
    seconds = time.perf_counter() - made
    print(
        f"10⁷ requests: {len(huge):,} through three tiers in {seconds:,.1f} s (target ≤ 10 s; "
        f"making the workload took {made - start:,.1f} s more); hit ratio "
        f"{result.hit_ratio('cache'):.3f}, {result.summary()}"
    )
