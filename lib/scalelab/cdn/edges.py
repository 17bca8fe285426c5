"""Edges in front of an origin: a nearest-edge router, an edge cache with a TTL, and the path they make.

The **origin** is where the objects live: an S3 bucket, say, in us-east-1. A CDN such as CloudFront puts
**edges** (points of presence) in many cities in front of it: a user's request goes to the nearest edge;
if that edge holds a fresh copy it answers at once (a hit), else it fetches the object from the origin
(a miss), keeps it for ``ttl`` seconds and answers. The origin then serves only the misses, and pays the
egress of only those bytes.

A TTL too short sends users to the origin for objects that had not changed; a TTL too long serves a stale
copy after the origin changed it (:class:`EdgeCache` counts both).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from scalelab.sim import geo
from scalelab.sim.route import Balancer, RequestView, ServerView, Stage
from scalelab.sim.server import Server
from scalelab.sim.topology import Tier, Topology

#: Where the chapter's origin is (an S3 bucket in N. Virginia).
ORIGIN = "us-east-1"
#: Seconds of work at an edge (look up, answer) and at the origin (read the object from storage).
EDGE_TIME, ORIGIN_TIME = 0.001, 0.020


@functools.lru_cache(maxsize=4096)
def _km(a: geo.Place, b: geo.Place) -> float:
    """Great-circle distance between two places, remembered (a router asks it once per request)."""
    return float(geo.distance_km(a, b))


class NearestEdge(Balancer):
    """Sends each user to the healthy edge with the shortest great-circle distance (ties: the first)."""

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        healthy = [s.index for s in servers if s.healthy]
        return healthy[0] if healthy else None

    def route(self, request: RequestView, servers: Sequence[ServerView]) -> int | None:
        healthy = [s for s in servers if s.healthy]
        if not healthy:
            return None
        if request.place is None:
            return healthy[0].index
        return min(healthy, key=lambda s: _km(request.place, s.place)).index


def nearest(user: str, edges: Sequence[str]) -> str:
    """The name of the edge nearest to ``user`` (place names or region codes)."""
    if not edges:
        raise ValueError("edges must name at least one place, got none")
    return min(edges, key=lambda e: geo.distance_km(user, e))


class EdgeCache(Stage):
    """One cache per edge, no size limit, each copy fresh for ``ttl`` seconds from when it was fetched.

    ``updated_every`` (seconds, or None): the origin publishes a new version of every object at
    multiples of it; a hit on a copy fetched before the latest version is counted **stale**.
    After a run: ``hits``, ``misses``, ``stale`` (counts) per edge.
    """

    def __init__(self, ttl: float, updated_every: float | None = None) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl >= 0:
            raise ValueError(f"ttl must be a number of seconds >= 0, got {ttl!r}")
        if updated_every is not None and not updated_every > 0:
            raise ValueError(f"updated_every must be > 0 seconds or None, got {updated_every!r}")
        self.ttl = float(ttl)
        self.updated_every = updated_every
        self.stored: list[dict[int, float]] = []
        self.hits = self.misses = self.stale = np.zeros(0, dtype=int)

    def reset(self, n_nodes: int, rng: np.random.Generator) -> None:
        self.stored = [{} for _ in range(n_nodes)]
        self.hits = np.zeros(n_nodes, dtype=int)
        self.misses = np.zeros(n_nodes, dtype=int)
        self.stale = np.zeros(n_nodes, dtype=int)

    def visit(self, node: int, request: RequestView) -> bool:
        held, now = self.stored[node], request.time
        fetched = held.get(request.key)
        if fetched is not None and now < fetched + self.ttl:
            self.hits[node] += 1
            if self.updated_every is not None and (
                now // self.updated_every > fetched // self.updated_every
            ):
                self.stale[node] += 1
            return True
        held[request.key] = now
        self.misses[node] += 1
        return False

    @property
    def hit_ratio(self) -> float:
        total = int(self.hits.sum() + self.misses.sum())
        return float(self.hits.sum()) / total if total else 0.0


#: The chapter's network: the engine's distance model, but a user in an edge's own city is ~5 ms away per
#: round trip (the access network to a nearby edge: the course's fact sheet, CHAPTERS.md ch. 08 (a)7, "from
#: a Seoul edge (RTT ~5 ms)"), not the engine's 0.5 ms default, a round trip inside one data centre.
NETWORK = geo.RttModel(same_place=0.005)


def origin_only(origin: str = ORIGIN) -> Topology:
    """Every user fetches from the origin over a new HTTPS connection (3 round trips)."""
    return Topology(
        [
            Tier(
                "origin",
                [Server(workers=64, place=origin, name="origin")],
                cpu_time=ORIGIN_TIME,
                round_trips=geo.NEW_TLS13,
            )
        ],
        network=NETWORK,
    )


def with_edges(edges: Sequence[str], cache: EdgeCache, origin: str = ORIGIN) -> Topology:
    """Users → nearest edge (new HTTPS connection; a hit ends there) → origin (a kept-open connection)."""
    if not edges:
        raise ValueError("with_edges needs at least one edge place, got none")
    stations = [Server(workers=64, place=e, name=f"edge {geo.place(e).name}") for e in edges]
    return Topology(
        [
            Tier(
                "edge",
                stations,
                router=NearestEdge(),
                cpu_time=EDGE_TIME,
                stage=cache,
                round_trips=geo.NEW_TLS13,
            ),
            Tier(
                "origin",
                [Server(workers=64, place=origin, name="origin")],
                cpu_time=ORIGIN_TIME,
                round_trips=geo.REUSED,
            ),
        ],
        network=NETWORK,
    )


def origin_requests(path: object) -> int:
    """How many requests reached the origin tier in a run (its answered and failed ones)."""
    return int(len(path.tier("origin").latency))  # type: ignore[attr-defined]
