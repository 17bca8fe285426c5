"""Load balancers: one public address in front of many private servers.

Users know one URL. The load balancer owns its public IP address, takes every request and forwards it
to one of the servers behind it (on private addresses nobody outside can reach). Which server gets a
request is the balancer's *strategy*; whether the server is alive is what its *health checks* tell it.

A strategy is a small class with one method, ``choose(servers)``, that returns the index of the server
to use, or ``None`` when no server can take the request (the simulator then answers HTTP 503). The
simulator hands it a list of :class:`ServerView`, one per server, saying what the balancer knows: the
server's ``healthy`` flag as last seen by health checks, its ``weight`` and, for strategies that declare
``uses_load = True``, the number of requests it has in flight (``active``).

Real systems: HAProxy (``balance roundrobin``, ``leastconn``, ``check inter 2s fall 3 rise 2``), Nginx
(``upstream`` blocks with ``weight=``, ``least_conn``, passive ``max_fails``), AWS Elastic Load Balancing
(target groups with health checks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scalelab.server import Outage
from scalelab.validate import positive, positive_int


class ServerView:
    """What the balancer knows about one server when it picks one.

    Attributes
    ----------
    index : int
        Position of the server in the pool; ``choose`` returns one of these.
    name : str
        The server's label.
    weight : int
        Its share of traffic for weighted strategies.
    healthy : bool
        Whether health checks last saw it up. Without health checks it is always ``True``: the balancer
        cannot know better.
    """

    __slots__ = ("index", "name", "weight", "healthy", "_active")

    def __init__(self, index: int, name: str, weight: int = 1, healthy: bool = True) -> None:
        self.index = index
        self.name = name
        self.weight = weight
        self.healthy = healthy
        self._active: int | None = None

    @property
    def active(self) -> int:
        """Requests this server is serving or holding in its queue right now."""
        if self._active is None:
            raise RuntimeError(
                "ServerView.active is only kept up to date for balancers that say they need it: "
                "set the class attribute uses_load = True on your balancer"
            )
        return self._active

    def __repr__(self) -> str:
        state = "healthy" if self.healthy else "DOWN"
        load = "" if self._active is None else f", active={self._active}"
        return f"ServerView({self.index}, {self.name!r}, {state}, weight={self.weight}{load})"


class Balancer:
    """The interface every strategy follows; subclass it and write ``choose``.

    The simulator calls ``reset(n_servers, rng)`` once before a run, then ``choose(servers)`` once per
    request, in arrival order.
    """

    #: Set to True if ``choose`` reads ``ServerView.active`` (the simulator then tracks it).
    uses_load: bool = False

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:  # noqa: B027
        """Forget any state from an earlier run. The default keeps nothing, so does nothing."""

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        """Return the index of the server for the next request, or ``None`` if none can take it."""
        raise NotImplementedError("a Balancer subclass must implement choose(servers)")


class Direct(Balancer):
    """No balancer at all: every request goes to server 0, dead or alive (the single-server setup)."""

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        return 0

    def assign_many(self, count: int, servers: Sequence[ServerView]) -> np.ndarray:
        return np.zeros(count, dtype=np.int64)


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
        healthy = np.array([s.index for s in servers if s.healthy], dtype=np.int64)
        if len(healthy) == 0:
            return np.full(count, -1, dtype=np.int64)
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
        self._rng = np.random.default_rng(0)

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self._rng = rng

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        healthy = [s.index for s in servers if s.healthy]
        return healthy[self._rng.integers(len(healthy))] if healthy else None

    def assign_many(self, count: int, servers: Sequence[ServerView]) -> np.ndarray:
        healthy = np.array([s.index for s in servers if s.healthy], dtype=np.int64)
        if len(healthy) == 0:
            return np.full(count, -1, dtype=np.int64)
        return healthy[self._rng.integers(len(healthy), size=count)]


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


class WeightedRoundRobin(Balancer):
    """Round robin where a server of weight 3 gets three requests for every one a weight-1 server gets.

    Uses Nginx's *smooth* weighted round robin, which interleaves the picks (a, a, b, a → a, b, a, a)
    instead of sending bursts to the heavy server.
    """

    def __init__(self) -> None:
        self._current: list[float] = []

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self._current = [0.0] * n_servers

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        if len(self._current) != len(servers):
            self._current = [0.0] * len(servers)
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


@dataclass(frozen=True)
class HealthCheck:
    """Active health checks: probe every server every ``interval`` seconds.

    A server is marked down after ``fall`` failed probes in a row and back up after ``rise`` good ones:
    HAProxy's defaults are ``inter 2s fall 3 rise 2``. Shorter intervals find a crash sooner but cost
    probe traffic; ``fall`` > 1 avoids taking a server out for one lost packet.
    """

    interval: float = 2.0
    fall: int = 3
    rise: int = 2

    def __post_init__(self) -> None:
        positive("interval", self.interval)
        positive_int("fall", self.fall)
        positive_int("rise", self.rise)

    def _first_probe(self, t: float) -> int:
        """Index of the first probe at or after ``t`` (probes run at 0, interval, 2·interval, …)."""
        return math.ceil(t / self.interval - 1e-9)  # 3 × 0.1 s is probe 3, not probe 4

    def transitions(self, outages: Sequence[Outage]) -> list[tuple[float, int, bool]]:
        """When the balancer changes its mind: sorted ``(time, server, healthy)`` events.

        Walks each server's probes in order, counting failures and successes in a row across
        outages, as a real checker does: a server that fails again before ``rise`` good probes
        were seen is never marked up in between.
        """
        events = []
        for server in sorted({o.server for o in outages}):
            down = sorted((o.start, o.end) for o in outages if o.server == server)
            events += self._server_transitions(server, down)
        return sorted(events, key=lambda e: (e[0], e[1]))

    def _server_transitions(
        self, server: int, down: list[tuple[float, float]]
    ) -> list[tuple[float, int, bool]]:
        events: list[tuple[float, int, bool]] = []
        healthy, fails, goods = True, 0, 0
        k = self._first_probe(down[0][0])
        last_end = max(end for _, end in down)
        while True:
            t = k * float(self.interval)
            is_down = any(start <= t < end for start, end in down)
            if is_down:
                fails, goods = fails + 1, 0
                if healthy and fails >= self.fall:
                    healthy = False
                    events.append((t, server, False))
            else:
                fails, goods = 0, goods + 1
                if not healthy and goods >= self.rise:
                    healthy = True
                    events.append((t, server, True))
            if t >= last_end and (healthy or not math.isfinite(last_end)):
                return events  # nothing can change any more
            if not math.isfinite(last_end) and not healthy and is_down and t >= down[-1][0]:
                return events  # down for good, and known to be
            if healthy and not is_down and fails == 0:  # steady: jump to the next outage
                upcoming = [start for start, _ in down if start > t]
                if not upcoming:
                    return events
                k = max(k + 1, self._first_probe(upcoming[0]))
            else:
                k += 1
