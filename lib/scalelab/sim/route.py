"""Routing: the one protocol every router in the simulator follows, and what a router may see.

The engine knows stations and routes, never a chapter's component by name (as Ciw's ``NodeRouting``).
A router is a :class:`Balancer` subclass with one documented method, ``choose(servers)``; the library's
strategies (:mod:`scalelab.balancer`) and a learner's own class are the same kind of object and run in the
same simulator. Optional fast paths are declared here too: ``uses_load`` asks the engine to keep
``ServerView.active`` up to date; ``assign_many(count, servers)`` makes ``count`` choices at once;
``load_kernel()`` hands a ``uses_load`` balancer's rule to the compiled loop
(:mod:`scalelab.sim.fastloop`). A balancer without them runs one ``choose`` call per request, the same
results, only slower.

A router that needs to see the request itself (a read/write splitter sends writes to the primary, a shard
router looks at the key) overrides ``route(request, servers)`` instead; it is given a :class:`RequestView`.
The default ``route`` calls ``choose``, so a balancer never notices the difference.

Two more extension points live in a tier of a :class:`~scalelab.sim.topology.Topology`:

* a :class:`Stage` decides, once a node has served a request, whether the request is answered there (a
  cache hit) or goes on to the next tier (a miss);
* a :class:`Promotion` rule picks which replica becomes the primary when the primary dies.

What the router believes about health comes from a :class:`HealthSignal`: anything with a
``transitions(outages)`` method (chapter 05's :class:`~scalelab.balancer.HealthCheck` is one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from scalelab.sim.faults import Outage
from scalelab.sim.geo import Place
from scalelab.sim.workload import WRITE


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

    role : str
        ``"server"``, or in a replicated database tier ``"primary"`` or ``"replica"``.
    applied : int
        In a replicated tier: how many writes this node has applied (its log position). The primary's
        is every write it has committed; a replica's trails it by the replication lag.
    lag : float
        In a replicated tier: seconds this node is behind the primary (0 when it has applied every
        committed write; for the primary always 0).
    place : Place or None
        Where the server is (:attr:`Server.place <scalelab.sim.server.Server.place>`), for a router
        that sends users to the nearest one; ``None`` when it has no place.
    """

    __slots__ = (
        "index",
        "name",
        "weight",
        "healthy",
        "role",
        "applied",
        "lag",
        "place",
        "_active",
    )

    def __init__(
        self,
        index: int,
        name: str,
        weight: int = 1,
        healthy: bool = True,
        role: str = "server",
        applied: int = 0,
        lag: float = 0.0,
        place: Place | None = None,
    ) -> None:
        self.index = index
        self.name = name
        self.weight = weight
        self.healthy = healthy
        self.role = role
        self.applied = applied
        self.lag = lag
        self.place = place
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
        if self.role == "server":
            return f"ServerView({self.index}, {self.name!r}, {state}, weight={self.weight}{load})"
        return (
            f"ServerView({self.index}, {self.name!r}, {self.role}, {state}, "
            f"applied={self.applied}, lag={self.lag:.3f}{load})"
        )


class RequestView:
    """What a router or a stage may know about the request in hand.

    Attributes
    ----------
    index : int
        Its position in the workload.
    time : float
        When it reached this tier, in seconds. With geography on, when it left the previous place (its
        user, or the tier before): the router decides then, as a DNS answer does, and the request
        reaches the chosen station one one-way trip later.
    key : int or None
        The item it asks for (``None`` when the workload has no keys).
    kind : int
        ``READ`` (0) or ``WRITE`` (1); see :data:`scalelab.sim.workload.READ`.
    session : int or None
        The user session that sent it (``None`` when the workload has no sessions).
    place : Place or None
        Where its user is (``None`` when the workload has no places): a geo-router compares it with
        each ``ServerView.place``.
    """

    __slots__ = ("index", "time", "key", "kind", "session", "place")

    def __init__(
        self,
        index: int,
        time: float,
        key: int | None = None,
        kind: int = 0,
        session: int | None = None,
        place: Place | None = None,
    ) -> None:
        self.index = index
        self.time = time
        self.key = key
        self.kind = kind
        self.session = session
        self.place = place

    @property
    def is_write(self) -> bool:
        """True for a write, False for a read."""
        return self.kind == WRITE

    def __repr__(self) -> str:
        what = "write" if self.is_write else "read"
        where = "" if self.place is None else f", from {self.place.name}"
        return (
            f"RequestView({self.index}, {what}, key={self.key}, session={self.session}, "
            f"t={self.time:.6f}{where})"
        )


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

    def route(self, request: RequestView, servers: Sequence[ServerView]) -> int | None:
        """Like ``choose``, for a router that needs to see the request (its kind, key or session).

        The default ignores the request and calls ``choose(servers)``; override one or the other.
        """
        return self.choose(servers)

    def load_kernel(self) -> tuple[Callable[..., int], np.ndarray] | None:
        """Optional fast path of a ``uses_load`` balancer: ``(pick, state)``, or ``None`` (the default).

        The engine calls it after ``reset``. With ``None`` the run calls ``choose`` once per request.
        Otherwise ``pick(active, healthy, weight, state) -> int`` must make exactly the choices
        ``choose`` makes, returning -1 where ``choose`` returns ``None``: it gets one entry per server
        (``active`` and ``weight`` int64 arrays, ``healthy`` a bool array) and ``state``, an int64
        array that starts as the one returned here and that ``pick`` updates in place (its memory
        between requests, e.g. where a rotation resumes). numba compiles ``pick``, so write it as plain
        loops over those arrays (see ``LeastConnections``). The balancer's own attributes are not
        updated by such a run. A subclass that changes ``choose`` or ``route`` must return ``None`` here.
        """
        return None


class Direct(Balancer):
    """No balancer at all: every request goes to server 0, dead or alive (the single-server setup)."""

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        return 0

    def assign_many(self, count: int, servers: Sequence[ServerView]) -> np.ndarray:
        return np.zeros(count, dtype=np.int64)


class HealthSignal(Protocol):
    """What tells the router that a server went down or came back (health checks, for example)."""

    def transitions(self, outages: Sequence[Outage]) -> list[tuple[float, int, bool]]:
        """Sorted ``(time, server, healthy)`` events: when the router changes its mind."""
        ...


class Stage:
    """A component inside a tier that may answer a request itself (a cache), or pass it on.

    The simulator calls ``reset(n_nodes, rng)`` once before a run, then, in the order requests reach
    the tier, ``visit(node, request)`` after node ``node`` has served ``request``: return ``True`` if the
    request is answered here (a hit), ``False`` if it goes on to the next tier (a miss). A stage keeps
    its own state (what each cache node holds) between calls.

    Optional fast path: ``visit_many(nodes, keys, kinds, times)`` answers a whole tier's requests at
    once (arrays in arrival order) with a boolean array, and must give the same answers as calling
    ``visit`` one request at a time.
    """

    def reset(self, n_nodes: int, rng: np.random.Generator) -> None:  # noqa: B027
        """Forget any state from an earlier run. The default keeps nothing, so does nothing."""

    def visit(self, node: int, request: RequestView) -> bool:
        """True if node ``node`` answers ``request`` itself; False to send it on."""
        raise NotImplementedError("a Stage subclass must implement visit(node, request)")


class Promotion:
    """The rule that picks a new primary when the primary of a replicated tier dies.

    The simulator calls ``choose(replicas)`` once, when the failure is detected, with a view of every
    replica (``healthy``, ``applied``, ``lag``): return the ``index`` of the one to promote, or ``None`` to
    promote none (writes then keep failing).
    """

    def choose(self, replicas: Sequence[ServerView]) -> int | None:
        """The index (``ServerView.index``) of the replica to promote, or ``None``."""
        raise NotImplementedError("a Promotion subclass must implement choose(replicas)")
