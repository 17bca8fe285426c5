"""Load-balancing strategies: which server gets the next request.

A strategy is a :class:`~scalelab.sim.route.Balancer` subclass with one method, ``choose(servers)``, that
returns the index of the server to use, or ``None`` when no server can take the request (the simulator then
answers HTTP 503). It sees a list of :class:`~scalelab.sim.route.ServerView`: each server's ``healthy`` flag
as last seen by health checks, its ``weight`` and, for strategies that declare ``uses_load = True``, the
number of requests it has in flight (``active``). Chapter 05 teaches them.

Real systems: HAProxy (``balance roundrobin``, ``leastconn``), Nginx (``upstream`` blocks with ``weight=``,
``least_conn``), AWS Elastic Load Balancing (target groups).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scalelab.sim.route import Balancer, ServerView


def _healthy(servers: Sequence[ServerView]) -> np.ndarray:
    """Indices of the servers health checks call up, in pool order, as an int array."""
    up = [s.index for s in servers if s.healthy]
    # Equivalent mutants (make mutants): callers return before using an empty array's dtype.
    return np.array(up, dtype=np.int64)  # pragma: no mutate


class RoundRobin(Balancer):
    """Each healthy server in turn: 0, 1, 2, …, skipping the ones health checks marked down.

    Simple and fair when requests cost about the same; blind to a server that is slow rather than dead.
    HAProxy's and Nginx's default.
    """

    def __init__(self) -> None:
        self._next = 0

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self._next = 0

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        n = len(servers)
        for step in range(n):
            i = (self._next + step) % n
            if servers[i].healthy:
                self._next = i + 1
                return i
        return None

    def assign_many(self, count: int, servers: Sequence[ServerView]) -> np.ndarray:
        """The same choices as ``count`` calls of ``choose``, computed at once (-1 for none)."""
        healthy = _healthy(servers)
        if len(healthy) == 0:
            # Equivalent mutants (make mutants): np.full of -1 is an int array anyway.
            return np.full(count, -1, dtype=np.int64)  # pragma: no mutate
        first = int(np.searchsorted(healthy, self._next % len(servers)))
        picks = healthy[(first + np.arange(count)) % len(healthy)]
        self._next = int(picks[-1]) + 1
        return picks


class Random(Balancer):
    """A healthy server chosen uniformly at random for each request.

    No shared state, so many balancer nodes can run it without talking to each other; the price is
    uneven queues by chance (each server behaves like its own M/M/1 queue).
    """

    def __init__(self) -> None:
        # Equivalent mutants (make mutants): any fixed seed repeats itself.
        self._rng = np.random.default_rng(0)  # pragma: no mutate

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self._rng = rng

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        healthy = [s.index for s in servers if s.healthy]
        return healthy[self._rng.integers(len(healthy))] if healthy else None

    def assign_many(self, count: int, servers: Sequence[ServerView]) -> np.ndarray:
        healthy = _healthy(servers)
        if len(healthy) == 0:
            # Equivalent mutants (make mutants): np.full of -1 is an int array anyway.
            return np.full(count, -1, dtype=np.int64)  # pragma: no mutate
        return healthy[self._rng.integers(len(healthy), size=count)]


def _least_connections_pick(
    active: np.ndarray, healthy: np.ndarray, weight: np.ndarray, state: np.ndarray
) -> int:
    """``LeastConnections.choose`` over arrays, for the compiled loop; ``state[0]`` is ``_next``."""
    n = len(active)
    best, best_load = -1, 0
    for step in range(n):
        i = (state[0] + step) % n
        if healthy[i] and (best == -1 or active[i] < best_load):
            best, best_load = i, active[i]
    if best != -1:
        state[0] = best + 1
    return best


class LeastConnections(Balancer):
    """The healthy server with the fewest requests in flight; ties go round robin.

    Adapts to slow servers and uneven request costs, at the price of tracking every server's load.
    HAProxy's ``balance leastconn``, Nginx's ``least_conn``. Its blind spot: a crashed server holds no
    connections, so until health checks mark it down it looks like the least loaded server and
    attracts *more* traffic than its share (chapter 05 shows this; a test keeps it so).
    """

    uses_load = True

    def __init__(self) -> None:
        self._next = 0

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self._next = 0

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        n = len(servers)
        best, best_load = None, math.inf
        for step in range(n):
            s = servers[(self._next + step) % n]
            if s.healthy and s.active < best_load:
                best, best_load = s.index, s.active
        if best is not None:
            self._next = best + 1
        return best

    def load_kernel(self) -> tuple[object, np.ndarray] | None:
        """The same rule for the engine's compiled loop (a subclass with its own ``choose``: None)."""
        if (
            type(self).choose is not LeastConnections.choose
            or type(self).route is not Balancer.route
        ):
            return None
        return _least_connections_pick, np.array([self._next], dtype=np.int64)


class WeightedRoundRobin(Balancer):
    """Round robin where a server of weight 3 gets three requests for every one a weight-1 server gets.

    Uses Nginx's *smooth* weighted round robin, which interleaves the picks (a, a, b, a → a, b, a, a)
    instead of sending bursts to the heavy server.
    """

    def __init__(self) -> None:
        self._current: list[float] = []

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        # Equivalent mutants (make mutants): adding one amount to every counter changes no pick.
        self._current = [0.0] * n_servers  # pragma: no mutate

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        if len(self._current) != len(servers):
            # Equivalent mutants (make mutants): adding one amount to every counter changes no pick.
            self._current = [0.0] * len(servers)  # pragma: no mutate
        total, best = 0, None
        for s in servers:
            if s.healthy:
                self._current[s.index] += s.weight
                total += s.weight
                if best is None or self._current[s.index] > self._current[best]:
                    best = s.index
        if best is not None:
            self._current[best] -= total
        return best
