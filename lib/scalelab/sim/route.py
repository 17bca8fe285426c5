"""Routing: the one protocol every router in the simulator follows, and what a router may see.

The engine knows stations and routes, never a chapter's component by name (as Ciw's ``NodeRouting``).
A router is a :class:`Balancer` subclass with one documented method, ``choose(servers)``; the library's
strategies (:mod:`scalelab.balancer`) and a learner's own class are the same kind of object and run in the
same simulator. Optional fast paths are declared here too: ``uses_load`` asks the engine to keep
``ServerView.active`` up to date; ``assign_many(count, servers)`` makes ``count`` choices at once;
``load_kernel()`` hands a ``uses_load`` balancer's rule to the compiled loop
(:mod:`scalelab.sim.fastloop`). A balancer without them runs one ``choose`` call per request, the same
results, only slower.

What the router believes about health comes from a :class:`HealthSignal`: anything with a
``transitions(outages)`` method (chapter 05's :class:`~scalelab.balancer.HealthCheck` is one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from scalelab.sim.faults import Outage


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

    def load_kernel(self) -> tuple[Callable[..., int], np.ndarray] | None:
        """Optional fast path of a ``uses_load`` balancer: ``(pick, state)``, or ``None`` (the default).

        The engine calls it after ``reset``. With ``None`` the run calls ``choose`` once per request.
        Otherwise ``pick(active, healthy, weight, state) -> int`` must make exactly the choices
        ``choose`` makes, returning -1 where ``choose`` returns ``None``: it gets one entry per server
        (``active`` and ``weight`` int64 arrays, ``healthy`` a bool array) and ``state``, an int64
        array that starts as the one returned here and that ``pick`` updates in place (its memory
        between requests, e.g. where a rotation resumes). numba compiles ``pick``, so write it as plain
        loops over those arrays (see ``LeastConnections``). The balancer's own attributes are not
        updated by such a run. A subclass that changes ``choose`` must return ``None`` here.
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
