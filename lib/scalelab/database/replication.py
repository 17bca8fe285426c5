"""Replication: one primary takes the writes, replicas copy its log and serve the reads.

Chapter 06 teaches it. Every write goes to the **primary**, which appends it to its log; each
**replica** replays that log a little later (the *replication lag*) and answers reads. Reads scale
with the number of replicas; writes do not, since every replica must apply every write too
(:mod:`scalelab.theory.replication` has the arithmetic). The price of asynchronous replication is
twofold: a read on a replica may see an old value (a *stale read*), and when the primary dies the
replica promoted in its place lacks the writes it had not yet applied (they are lost).

A router in front of the database tier is a :class:`~scalelab.sim.route.Balancer` that overrides
``route(request, servers)``: it sees the request's ``kind`` and ``session`` and each node's ``role``,
``healthy`` flag and replication ``lag``. The failover rule is a
:class:`~scalelab.sim.route.Promotion`. The routers here are the library's references for the
chapter's exercise:

* :class:`ReadWriteSplit`: writes to the primary, reads round robin over the healthy replicas, and
  to the primary when no replica is up (Django's documented primary/replica router does the split,
  choosing a replica at random).
* :class:`ReplicaRouter`: the same, plus **read-your-writes** per session and a **lag limit**. After a
  session writes, its reads go to the primary for ``delay`` seconds (Rails' ``DatabaseSelector``:
  "read from the primary if a write occurred less than 2 seconds ago"); a replica lagging more than
  ``max_lag`` seconds gets no reads until it catches up (ProxySQL's ``max_replication_lag``, which
  *shuns* such a replica and sends reads to the writer when every replica is shunned).
* :class:`MostUpToDate`: promote the live replica that has applied the most writes, so that failover
  loses as few as possible.

Read-your-writes here is kept by **time**, as Rails does, not by log position: the router never has
to learn where a write landed in the log, and the guarantee holds as long as the lag stays under
``delay`` (the lag limit sees to it when ``max_lag <= delay``). The edges: a session is pinned while
``time - last_write < delay`` (at exactly ``delay`` seconds its reads go back to the replicas), and a
replica serves reads while ``lag <= max_lag``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scalelab.sim.faults import Outage
from scalelab.sim.route import Balancer, Promotion, RequestView, ServerView
from scalelab.sim.workload import WRITE
from scalelab.validate import at_least_zero


def primary_of(servers: Sequence[ServerView]) -> int | None:
    """The index of the first healthy node whose role is ``"primary"``, or ``None``."""
    for s in servers:
        if s.role == "primary" and s.healthy:
            return s.index
    return None


class ReadWriteSplit(Balancer):
    """Writes to the primary; reads to the healthy replicas in turn, or to the primary if none is up.

    The turn works as a health-aware round robin: each read goes to the first usable replica after
    the one chosen last, in pool order, wrapping around (a new router's first read goes to the usable
    replica with the lowest index). A read that falls back to the primary, or is pinned there, does not
    move the turn.
    ``route`` returns ``None`` only when no node can take the request: a write with no live primary,
    a read with no live node at all.
    """

    def __init__(self) -> None:
        self._next = 0

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self._next = 0

    def usable(self, server: ServerView, request: RequestView) -> bool:
        """Whether ``server`` may answer the read ``request``: a healthy replica."""
        return server.role == "replica" and server.healthy

    def pinned(self, request: RequestView) -> bool:
        """Whether this read must go to the primary. A plain split pins nothing."""
        return False

    def wrote(self, request: RequestView) -> None:
        """Note that ``request``, a write, reached the primary. A plain split keeps nothing."""

    def route(self, request: RequestView, servers: Sequence[ServerView]) -> int | None:
        primary = primary_of(servers)
        if request.is_write:
            if primary is not None:
                self.wrote(request)
            return primary
        if primary is not None and self.pinned(request):
            return primary
        n = len(servers)
        for step in range(n):
            i = (self._next + step) % n
            if self.usable(servers[i], request):
                self._next = i + 1
                return i
        return primary

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        """A request of unknown kind is treated as a read."""
        return self.route(RequestView(-1, 0.0), servers)

    @property
    def route_many(self):  # noqa: ANN201
        """The engine's fast path: a whole run of requests at once, while health stands still.

        Offered only by this class itself: a subclass that changes who may serve, who is pinned or
        what a write leaves behind decides request by request, through ``route``.
        """
        own = ("route", "usable", "pinned", "wrote", "choose")
        if any(getattr(type(self), name) is not getattr(ReadWriteSplit, name) for name in own):
            return None
        return self._route_many

    def _route_many(
        self,
        times: np.ndarray,
        keys: np.ndarray | None,
        kinds: np.ndarray,
        sessions: np.ndarray | None,
        servers: Sequence[ServerView],
    ) -> np.ndarray:
        primary = primary_of(servers)
        none = -1 if primary is None else primary
        out = np.full(len(kinds), none, dtype=np.int64)
        usable = np.array([s.index for s in servers if s.role == "replica" and s.healthy])
        reads = np.flatnonzero(kinds != WRITE)
        if len(usable) and len(reads):
            first = int(np.searchsorted(usable, self._next % len(servers)))  # next at or after
            turn = (first + np.arange(len(reads))) % len(usable)
            out[reads] = usable[turn]
            self._next = int(out[reads[-1]]) + 1
        return out


class ReplicaRouter(ReadWriteSplit):
    """:class:`ReadWriteSplit` with read-your-writes per session and a limit on replica lag.

    Parameters
    ----------
    max_lag : float
        A replica more than ``max_lag`` seconds behind the primary gets no reads (``lag <= max_lag``
        serves).
    delay : float
        For ``delay`` seconds after a session's write reached the primary, that session's reads go
        to the primary (pinned while ``time - last_write < delay``). Other sessions are not affected.
        If the primary is down, a pinned read goes to a usable replica rather than fail.
    """

    def __init__(self, max_lag: float = 1.0, delay: float = 2.0) -> None:
        super().__init__()
        at_least_zero("max_lag", max_lag, "a number of seconds")
        at_least_zero("delay", delay, "a number of seconds")
        self.max_lag = max_lag
        self.delay = delay
        self._last_write: dict[int, float] = {}

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        super().reset(n_servers, rng)
        self._last_write = {}

    def usable(self, server: ServerView, request: RequestView) -> bool:
        return super().usable(server, request) and server.lag <= self.max_lag

    def pinned(self, request: RequestView) -> bool:
        last = self._last_write.get(request.session, -math.inf)
        return request.session is not None and request.time - last < self.delay

    def wrote(self, request: RequestView) -> None:
        if request.session is not None:
            self._last_write[request.session] = request.time


class MostUpToDate(Promotion):
    """Promote the live replica that has applied the most writes (ties: the lowest index).

    With asynchronous replication, the writes a promoted replica had not applied are lost; the most
    up-to-date replica loses the fewest.
    """

    def choose(self, replicas: Sequence[ServerView]) -> int | None:
        best = None
        for r in replicas:
            if r.healthy and (best is None or (-r.applied, r.index) < (-best.applied, best.index)):
                best = r
        return None if best is None else best.index


class FailureDetector:
    """What tells a database tier's router that a node died or came back: ``after`` seconds later.

    A replication manager watches its nodes and declares one dead after a timeout, which is what this
    models (a fixed delay rather than probes on a timer; chapter 05's ``HealthCheck`` does those). It is
    a :class:`~scalelab.sim.route.HealthSignal`: ``Topology(..., health_checks={"db": FailureDetector(6)})``.
    """

    def __init__(self, after: float = 6.0) -> None:
        at_least_zero("after", after, "a number of seconds")
        self.after = after

    def transitions(self, outages: Sequence[Outage]) -> list[tuple[float, int, bool]]:
        """``(time, server, healthy)``: each outage noticed ``after`` s after it starts and ends."""
        events = []
        for o in outages:
            if o.end - o.start > self.after:  # a blip shorter than the timeout goes unnoticed
                events += [
                    (o.start + self.after, o.server, False),
                    (o.end + self.after, o.server, True),
                ]
        return sorted(events)


def own_stale_reads(result, within: float = 2.0) -> int:  # noqa: ANN001 (a PathResult)
    """Stale reads of a key that the same session had written less than ``within`` seconds before:
    the user who just saved something and is shown the old value (what read-your-writes prevents)."""
    w = result.workload
    if w.session is None or w.keys is None:
        return 0
    writes = np.flatnonzero(w.writes & result.ok)
    count = 0
    for k in np.flatnonzero(result.stale & result.ok):
        earlier = writes[
            (w.arrival[writes] < w.arrival[k]) & (w.arrival[writes] >= w.arrival[k] - within)
        ]
        if np.any((w.session[earlier] == w.session[k]) & (w.keys[earlier] == w.keys[k])):
            count += 1
    return count
