"""A topology: the tiers a request crosses, described first and then run (Ciw's network, then simulation).

From chapter 06 on, a request does not stop at the web server: it goes web server → cache → database
primary or replica, later edge → origin, gateway → service, router → shard. Each of those steps is a
:class:`Tier`: a router over stations (servers, cache nodes, database nodes), each station a FIFO queue
(:class:`~scalelab.sim.server.Server`). Tiers are crossed in order; a request's departure from one tier
is its arrival at the next. Two kinds of component change a request's path, and both are extension
points a learner can fill (:mod:`scalelab.sim.route`):

* a :class:`~scalelab.sim.route.Stage` may answer the request inside its tier (a cache hit ends it
  there, a miss goes on to the database);
* a :class:`Replication` tier keeps one primary and its replicas: the router sends writes to the primary
  and reads where it likes; each replica applies every committed write after a lag, and a read on a
  replica that has not applied the latest write of its key is *stale*. When the primary dies, a
  :class:`~scalelab.sim.route.Promotion` rule picks the replica that takes over.

``simulate(workload, servers, balancer)`` is the one-tier topology (:mod:`scalelab.sim.engine`). The model
is a chain of queues in tandem: the web server does not hold its worker while the database answers, and
the answer's trip back is free. Both are simplifications a chapter says out loud where they matter.

Geography (:mod:`scalelab.sim.geo`) is on when the workload's users have places
(:func:`~scalelab.sim.workload.with_places`) and stations have a ``place``. Each hop between two places —
user → first tier, tier → next tier — then costs ``round_trips`` round trips of the ``network`` model:
the router decides when the request leaves the previous place, the request reaches the chosen station
``round_trips − ½`` round trips later (the handshakes, then the request's way there), and the answer's
way back, ½ round trip per hop crossed, is added at the end. A hop where either end has no place costs
nothing, and a station without a place stays where the request was. ``PathResult.network`` holds each
request's network seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from scalelab.sim.faults import Outage
from scalelab.sim.geo import MODEL, RttModel
from scalelab.sim.route import Balancer, HealthSignal, Promotion, Stage
from scalelab.sim.server import Server
from scalelab.validate import at_least_zero, positive


@dataclass(frozen=True)
class Replication:
    """How a database tier keeps its replicas: ``servers[0]`` starts as the primary, the rest replicate.

    Parameters
    ----------
    mean_lag : float
        Mean seconds between a write's commit on the primary and its arrival at a replica. Each replica
        gets each write after an exponentially distributed delay with this mean (drawn independently),
        and applies the writes in log order: a write arriving early waits for those before it. That is
        asynchronous replication, as MySQL's and PostgreSQL's default.
    apply_cost : float or None
        CPU seconds a replica spends applying one write; ``None`` means as long as the write took on the
        primary. The apply is queued with the replica's reads, so replicas do the primary's write work
        too (which is why replication scales reads and not writes). A write is visible on a replica
        once its apply is done.
    promote : Promotion or None
        The rule that picks a new primary when the primary dies; ``None``: nobody is promoted and writes
        fail until the primary comes back.
    failover_after : float
        Seconds between the router learning that the primary is down (from the tier's health checks, or
        at once without them) and the promotion.
    """

    mean_lag: float = 0.1
    apply_cost: float | None = None
    promote: Promotion | None = None
    failover_after: float = 5.0

    def __post_init__(self) -> None:
        at_least_zero("mean_lag", self.mean_lag, "a number of seconds")
        if self.apply_cost is not None:
            at_least_zero("apply_cost", self.apply_cost, "None or a number of seconds")
        if self.promote is not None and not callable(getattr(self.promote, "choose", None)):
            raise TypeError(
                f"promote must be a Promotion with a choose(replicas) method, got {self.promote!r}"
            )
        at_least_zero("failover_after", self.failover_after, "a number of seconds")


@dataclass(frozen=True, eq=False)
class Tier:
    """One step of a request's path: a router over stations, maybe a stage, maybe replication.

    Parameters
    ----------
    name : str
        How results and plots call it ("web", "cache", "db").
    servers : sequence of Server
        The stations of this tier.
    router : Balancer or None
        Picks a station per request (``choose(servers)``, or ``route(request, servers)`` to see the
        request). Needed when the tier has more than one station.
    cpu_time : float, numpy array or None
        Work per request at this tier, in seconds on a station of speed 1: a mean (exponentially
        distributed, or fixed with ``service="deterministic"``), or one value per request of the
        workload. ``None`` means the workload's own ``demand`` (only the first tier may say so).
    service : {"exponential", "deterministic"}
        The distribution of the work when ``cpu_time`` is a mean.
    stage : Stage or None
        Decides, after service, whether the request is answered here (see :class:`Stage`).
    bypass_when_down : bool
        If True, a request this tier cannot take (its station is dead, or none is left) goes on to the
        next tier instead of failing: a dead cache node sends its traffic to the database.
    replication : Replication or None
        Makes this a database tier with a primary (``servers[0]``) and replicas.
    round_trips : int or numpy array
        Round trips each request makes on the hop into this tier, when geography is on: 1 on a
        connection already open, ``geo.NEW_TLS13`` = 3 on a new HTTPS connection (TCP, TLS 1.3, the
        request); or one whole number per request of the workload (some users reuse a connection).
    """

    name: str
    servers: Sequence[Server]
    router: Balancer | None = None
    cpu_time: float | np.ndarray | None = None
    service: str = "exponential"
    stage: Stage | None = None
    bypass_when_down: bool = False
    replication: Replication | None = None
    round_trips: int | np.ndarray = 1

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a tier needs a name, got {self.name!r}")
        servers = list(self.servers)
        if not servers or not all(isinstance(s, Server) for s in servers):
            raise ValueError(
                f"tier {self.name!r}: servers must be a non-empty list of Server, got {servers!r}"
            )
        object.__setattr__(self, "servers", servers)
        if self.router is None and len(servers) > 1:
            raise ValueError(
                f"tier {self.name!r} has {len(servers)} servers and needs a router to choose "
                "between them, e.g. Tier(name, servers, router=scalelab.RoundRobin())"
            )
        if self.router is not None and not (
            callable(getattr(self.router, "choose", None))
            or callable(getattr(self.router, "route", None))
        ):
            raise TypeError(
                f"tier {self.name!r}: router must have a choose(servers) or route(request, "
                f"servers) method, got {self.router!r}"
            )
        if self.stage is not None and not callable(getattr(self.stage, "visit", None)):
            raise TypeError(
                f"tier {self.name!r}: stage must have a visit(node, request) method, "
                f"got {self.stage!r}"
            )
        if isinstance(self.cpu_time, int | float) and not isinstance(self.cpu_time, bool):
            positive(f"tier {self.name!r} cpu_time", self.cpu_time)
        if self.replication is not None and not isinstance(self.replication, Replication):
            raise TypeError(
                f"tier {self.name!r}: replication must be a Replication, got {self.replication!r}"
            )
        trips = self.round_trips
        if isinstance(trips, np.ndarray):
            if trips.ndim != 1 or (
                len(trips) and (trips.dtype.kind not in "iu" or int(trips.min()) < 1)
            ):
                raise ValueError(
                    f"tier {self.name!r}: round_trips as an array needs one whole number of 1 or "
                    f"more per request, got {trips.dtype} values from {trips.min()}"
                )
        elif isinstance(trips, bool) or not isinstance(trips, int | np.integer) or trips < 1:
            raise ValueError(
                f"tier {self.name!r}: round_trips must be a whole number of 1 or more (3 for a "
                f"new TLS 1.3 connection), got {trips!r}"
            )
        if self.replication is not None and any(s.place is not None for s in servers):
            raise ValueError(
                f"tier {self.name!r} is replicated: its servers cannot have a place yet (the "
                "engine does not model distance between replicas); leave place=None and set the "
                "replication lag"
            )


@dataclass(frozen=True, eq=False)
class Topology:
    """The whole path: tiers in order, and the faults to run them with.

    Parameters
    ----------
    tiers : sequence of Tier
        Crossed in this order.
    outages : mapping of tier name to sequence of Outage
        Which station of which tier is down, and when (``Outage.server`` indexes the tier's servers).
    health_checks : mapping of tier name to HealthSignal
        What tells each tier's router that a station went down or came back.
    network : RttModel
        Round-trip time between two places when geography is on (default: the fit of
        :mod:`scalelab.sim.geo`, 15.5 ms + 1.58 × the fibre bound).
    """

    tiers: Sequence[Tier]
    outages: Mapping[str, Sequence[Outage]] = field(default_factory=dict)
    health_checks: Mapping[str, HealthSignal] = field(default_factory=dict)
    network: RttModel = MODEL

    def __post_init__(self) -> None:
        tiers = list(self.tiers)
        if not tiers or not all(isinstance(t, Tier) for t in tiers):
            raise ValueError(f"a topology needs a non-empty list of Tier, got {tiers!r}")
        object.__setattr__(self, "tiers", tiers)
        names = [t.name for t in tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must differ, got {names}")
        for what, mapping in (("outages", self.outages), ("health_checks", self.health_checks)):
            unknown = set(mapping) - set(names)
            if unknown:
                raise ValueError(
                    f"{what} names tier {sorted(unknown)[0]!r}, but the tiers are {names}"
                )
        for name, outages in self.outages.items():
            tier = tiers[names.index(name)]
            for o in outages:
                if not isinstance(o, Outage):
                    raise TypeError(f"outages of tier {name!r} must be Outage, got {o!r}")
                if o.server >= len(tier.servers):
                    raise ValueError(
                        f"an outage names server {o.server} of tier {name!r}, which has "
                        f"{len(tier.servers)} servers"
                    )
        if not isinstance(self.network, RttModel):
            raise TypeError(f"network must be a geo.RttModel, got {self.network!r}")
        for i, tier in enumerate(tiers):
            if i > 0 and tier.cpu_time is None:
                raise ValueError(
                    f"tier {tier.name!r} needs a cpu_time (seconds of work per request): only "
                    "the first tier may use the workload's own demand"
                )

    def tier_index(self, name: str | int) -> int:
        """The position of the tier called ``name`` (an int is taken as a position)."""
        names = [t.name for t in self.tiers]
        if isinstance(name, int) and not isinstance(name, bool) and 0 <= name < len(names):
            return name
        if name in names:
            return names.index(name)
        raise KeyError(f"no tier {name!r}; the tiers are {names}")

    def run(self, workload, rng: np.random.Generator | None = None):  # noqa: ANN001, ANN201
        """Send every request of ``workload`` along the path; a :class:`~scalelab.sim.result.PathResult`.

        ``rng`` is the routers' and the tiers' own randomness (the workload carries its own); without
        one, runs use ``np.random.default_rng(0)``, so they still repeat exactly.
        """
        from scalelab.sim.engine import run_topology  # the engine imports this module

        return run_topology(self, workload, rng)
