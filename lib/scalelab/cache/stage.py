"""A cache tier in the engine: one cache per node, and a router that sends each key to its node.

Plugged into a :class:`~scalelab.sim.topology.Tier` as its ``stage`` (a
:class:`~scalelab.sim.route.Stage`), a :class:`CacheStage` answers a read that hits (the request ends
there) and passes a miss on to the database; the miss stores the key, as a read-through cache does once
the database has answered (the simulator stores it at once: the few milliseconds in between only matter
to a stampede, which :mod:`~scalelab.cache.stampede` models on its own). A write passes on to the database
and drops the key from its cache node (cache-aside invalidation: the next read fetches the new value).

Which node holds a key is the router's choice: :class:`KeyRouter` takes the key modulo the number of healthy
nodes, as a client library configured with a list of Memcached servers does. When a node dies, the count
changes and almost every key moves to a node that has never seen it: the hit ratio collapses and the
database takes every read until the caches warm up again. Consistent hashing (chapter 12) moves only the
dead node's keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scalelab.cache.lru import SimCache
from scalelab.sim.route import Balancer, RequestView, ServerView, Stage
from scalelab.sim.workload import WRITE


class CacheStage(Stage):
    """One cache of ``capacity`` entries per node, evicting by ``policy``, entries living ``ttl`` seconds.

    Parameters
    ----------
    capacity : int
        Entries each node holds.
    policy : str
        "LRU", "FIFO" or "random".
    ttl : float or None
        Seconds an entry lives from when it is stored (``None``: until evicted).
    """

    def __init__(self, capacity: int, policy: str = "LRU", ttl: float | None = None) -> None:
        SimCache(capacity, policy, ttl)  # checks the arguments now rather than at reset
        self.capacity = capacity
        self.policy = policy
        self.ttl = ttl
        self.caches: list[SimCache] = []

    def reset(self, n_nodes: int, rng: np.random.Generator) -> None:
        # One generator per node, so a node's random evictions do not depend on the order nodes are visited.
        self.caches = [
            SimCache(self.capacity, self.policy, self.ttl, rng=child)
            for child in rng.spawn(n_nodes)
        ]

    def visit(self, node: int, request: RequestView) -> bool:
        cache = self.caches[node]
        if request.is_write:
            cache.write(request.key)
            return False
        return cache.read(request.key, request.time)

    def visit_many(
        self,
        nodes: np.ndarray,
        keys: np.ndarray,
        kinds: np.ndarray | None,
        times: np.ndarray,
    ) -> np.ndarray:
        hits = np.zeros(len(keys), dtype=bool)
        nodes, kinds = np.asarray(nodes), None if kinds is None else np.asarray(kinds)
        for node, cache in enumerate(self.caches):
            mine = np.flatnonzero(nodes == node)
            if mine.size == 0:
                continue
            if self.policy != "random":  # the compiled loop takes reads and writes together
                writing = np.zeros(mine.size, bool) if kinds is None else kinds[mine] == WRITE
                hits[mine] = cache.run(keys[mine], writing, times[mine])
                continue
            writes = [] if kinds is None else mine[kinds[mine] == WRITE].tolist()
            start = 0
            for stop in [*np.searchsorted(mine, writes).tolist(), mine.size]:
                reads = mine[start:stop]  # the reads between two writes, in order
                hits[reads] = cache.reads(keys[reads], times[reads])
                if stop < mine.size:
                    cache.write(int(keys[mine[stop]]))
                start = stop + 1
        return hits

    def __repr__(self) -> str:
        ttl = "no TTL" if self.ttl is None else f"TTL {self.ttl:g} s"
        return f"CacheStage({self.policy}, {self.capacity} entries per node, {ttl})"


class KeyRouter(Balancer):
    """Sends each request to cache node ``key mod (number of healthy nodes)``, among the healthy ones.

    Returns ``None`` when no node is healthy (the tier then has nothing to answer with).
    """

    def route(self, request: RequestView, servers: Sequence[ServerView]) -> int | None:
        healthy = [s.index for s in servers if s.healthy]
        if not healthy:
            return None
        return healthy[(request.key or 0) % len(healthy)]

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        raise TypeError("KeyRouter routes by key: the engine must call route(request, servers)")
