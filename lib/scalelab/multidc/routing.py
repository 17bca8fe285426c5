"""Data centres in regions, and the routing policies that send each user to one of them.

A data centre is a :class:`~scalelab.sim.Server` with a place (:func:`datacenters`). A routing policy is a
:class:`~scalelab.sim.Balancer` that reads the user's place (``request.place``) and each data centre's
place and health (``ServerView.place``, ``ServerView.healthy``), as Route 53's routing policies do
(CHAPTERS.md 09 (a) 1, docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy.html):

- :class:`Nearest`: the healthy data centre nearest by great-circle distance (geolocation/latency routing;
  distance stands for latency since the round trip grows with it, :mod:`scalelab.sim.geo`);
- :class:`Weighted`: healthy data centres at random in proportion to their weights;
- :class:`Failover`: the first healthy data centre of a fixed order (active-passive).

Every policy says its answer as :meth:`Policy.shares` (the probability of each data centre for a user at a
place): ``route`` draws from it, and the fast model of :mod:`scalelab.multidc.failover` uses it directly.
All unhealthy: no answer (``None``, a 503).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scalelab.sim import Balancer, Server, geo
from scalelab.sim.geo import Place

#: The regions the chapter offers (CHAPTERS.md 09 (b)).
REGIONS = ("Seoul", "Tokyo", "Oregon", "N. Virginia", "Frankfurt", "São Paulo")


def datacenters(regions: Sequence[str], workers: int = 8) -> list[Server]:
    """One data centre (a server with ``workers`` workers) per region, named after it."""
    if not regions:
        raise ValueError("datacenters needs at least one region, got none")
    return [Server(workers=workers, name=geo.place(r).name, place=geo.place(r)) for r in regions]


def nearest_index(user: object, places: Sequence[object], healthy: Sequence[bool]) -> int | None:
    """Index of the healthy place nearest to ``user`` by great-circle distance; ties go to the first
    in ``places``; ``None`` when none is healthy."""
    if len(places) != len(healthy):
        raise ValueError(f"one health flag per place: {len(places)} places, {len(healthy)} flags")
    best, best_km = None, np.inf
    for i, (p, ok) in enumerate(zip(places, healthy, strict=True)):
        if ok:
            km = geo.distance_km(user, p)
            if km < best_km:  # strictly nearer: a tie keeps the earlier one
                best, best_km = i, km
    return best


class Policy(Balancer):
    """A routing policy: :meth:`shares` says where a user at a place goes; ``route`` draws from it."""

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self.rng = rng

    def shares(self, place: Place | None, servers: Sequence) -> np.ndarray:  # noqa: ANN001
        raise NotImplementedError

    def route(self, request, servers):  # noqa: ANN001, ANN201
        p = self.shares(request.place, servers)
        if p.sum() == 0:
            return None
        if p.max() == 1.0:
            return servers[int(np.argmax(p))].index
        return servers[int(self.rng.choice(len(p), p=p))].index


class Nearest(Policy):
    """The healthy data centre nearest to the user (great-circle distance; ties: the first listed)."""

    def shares(self, place, servers):  # noqa: ANN001, ANN201
        p = np.zeros(len(servers))
        i = nearest_index(place, [s.place for s in servers], [s.healthy for s in servers])
        if i is not None:
            p[i] = 1.0
        return p


class Weighted(Policy):
    """Healthy data centres at random in proportion to ``weights`` (by default their ``weight``)."""

    def __init__(self, weights: Sequence[float] | None = None) -> None:
        if weights is not None and (len(weights) == 0 or min(weights) < 0 or sum(weights) <= 0):
            raise ValueError(
                f"weights must be non-negative with a positive sum, got {list(weights)}"
            )
        self.weights = None if weights is None else [float(x) for x in weights]

    def shares(self, place, servers):  # noqa: ANN001, ANN201
        if self.weights and len(self.weights) != len(servers):
            raise ValueError(
                f"Weighted needs one weight per data centre: {len(self.weights)} weights, "
                f"{len(servers)} data centres"
            )
        w = np.array(
            [
                (self.weights[s.index] if self.weights else s.weight) if s.healthy else 0.0
                for s in servers
            ]
        )
        return w / w.sum() if w.sum() > 0 else w


class Failover(Policy):
    """Active-passive: the first healthy data centre in ``order`` (region names; by default as listed)."""

    def __init__(self, order: Sequence[str] | None = None) -> None:
        self.order = None if order is None else [geo.place(r).name for r in order]

    def shares(self, place, servers):  # noqa: ANN001, ANN201
        p = np.zeros(len(servers))
        names = [s.place.name if s.place else s.name for s in servers]
        order = self.order or names
        missing = [name for name in order if name not in names]
        if missing:
            raise ValueError(f"Failover order names {missing}, not among the data centres {names}")
        for name in order:
            if name in names and servers[names.index(name)].healthy:
                p[names.index(name)] = 1.0
                break
        return p


#: The policies by the name the panel shows.
POLICIES = {"nearest": Nearest, "weighted": Weighted, "failover": Failover}
