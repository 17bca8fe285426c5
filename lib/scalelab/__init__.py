"""scalelab: the library behind the course "From 1 to 1,000,000 users".

The learner's face, grouped by family (the folders under ``scalelab/``):

* the engine, :mod:`scalelab.sim`: :func:`simulate`, :class:`Server`, :func:`pool`, :class:`Outage`,
  :class:`SimResult` and the request outcomes (:class:`Outcome`: OK, REFUSED, LOST, NO_SERVER,
  DROPPED, READ_ONLY); paths across tiers (:class:`Topology` of :class:`Tier`, :class:`Replication`,
  :class:`PathResult`), workloads (:func:`poisson` …), and the router every balancer subclasses
  (:class:`Balancer`, :class:`ServerView`, :class:`Direct`); geography (:mod:`scalelab.sim.geo`, also
  ``scalelab.geo``: :class:`Place`, great-circle ``distance_km``, the fibre bound and the measured
  round-trip model ``rtt``; users' places by :func:`with_places`, a station's by ``Server(place=…)``,
  round trips per hop by ``Tier(round_trips=…)``, each request's network seconds in
  ``PathResult.network``);
* closed forms, :mod:`scalelab.theory`: ``queueing``, ``caching``;
* chapters 00–01, :mod:`scalelab.capacity`: the utilisation sweep, the hockey stick, the panels;
* chapter 02, :mod:`scalelab.frontend`: a page's manifest and the browser cache (``count_requests``,
  ``size_tiers``, ``load_rounds``), page views on a shared pool or split tiers (``page_views``,
  ``serve``), and the loopback lab's SPA on two real servers (``spa.SPALab``, ``spa.Browser``);
* chapter 03, :mod:`scalelab.database`: :func:`~scalelab.database.sample_db` (the video site in real
  SQLite), query plans and work (``plan``, ``uses_index``, ``work``), and the app-and-database box
  model (``Table``, ``query_time``, ``run``);
* chapter 04, :mod:`scalelab.scaling`: ``availability`` (k of n servers), ``series``, ``parallel``,
  ``downtime_per_year``, ``n_plus_one``, ``price_list`` and ``cheapest_pool``, the USL (``usl_capacity``,
  ``usl_peak``), ``SessionStore`` and ``StatelessServer``, one big box against a pool (``run_both``);
* chapter 05, :mod:`scalelab.balancer`: :class:`RoundRobin`, :class:`Random`,
  :class:`LeastConnections`, :class:`WeightedRoundRobin`, :class:`HealthCheck`;
* chapter 06, :mod:`scalelab.database`: :class:`~scalelab.database.ReadWriteSplit`,
  :class:`~scalelab.database.ReplicaRouter`, :class:`~scalelab.database.MostUpToDate`;
* chapter 07, :mod:`scalelab.cache`: ``LRUCache`` (a dictionary and a doubly linked list), ``FIFOCache``,
  ``RandomCache``, ``MISS``, ``CacheStage`` and ``KeyRouter`` for a cache tier, ``stampede``;
* chapter 08, :mod:`scalelab.cdn`: ``NearestEdge`` (router), ``EdgeCache`` (an edge's TTL cache),
  ``origin_only`` and ``with_edges`` (paths), ``monthly_cost`` (tiered prices), ``sign`` and ``verify``
  (signed, expiring links);
* chapter 09, :mod:`scalelab.multidc`: ``datacenters``, the routing policies ``Nearest`` (great-circle
  distance), ``Weighted``, ``Failover``, ``CachedDns`` (DNS answers cached for the TTL), ``failover_seconds``,
  ``writes_lost`` (async replication's lag window), ``outage`` (a regional outage, fast);
* chapter 12, :mod:`scalelab.sharding`: ``RangeRouter``, ``ModuloRouter``, ``HashRing`` (a consistent-hash
  ring with virtual nodes), ``jump_hash``, ``stable_hash``, ``moved_fraction``, and ``ShardRouter`` to make
  any of them a database tier's router;
* pictures, :mod:`scalelab.viz` (style, plots, diagrams, architecture, widgets), imported on demand so
  that ``import scalelab`` needs no plotting stack;
* the learner's assertions, :mod:`scalelab.check`.

Why it is shaped this way, and where to change what: ``lib/scalelab/DESIGN.md``. Models never import
matplotlib, ipywidgets or nbgrader; the teacher's tools (:mod:`scalelab.teach`) are
imported by nothing here. ``tests/test_layout.py`` keeps these boundaries.
"""

from importlib import import_module

from scalelab.balancer import (
    HealthCheck,
    LeastConnections,
    Random,
    RoundRobin,
    WeightedRoundRobin,
)
from scalelab.sim import (
    DROPPED,
    LOST,
    NO_SERVER,
    OK,
    READ_ONLY,
    REFUSED,
    Balancer,
    Direct,
    Outage,
    Outcome,
    PathResult,
    Place,
    Replication,
    Server,
    ServerView,
    SimResult,
    Tier,
    Topology,
    geo,
    poisson,
    pool,
    simulate,
    with_places,
)

__version__ = "0.1.0"

__all__ = [
    "Balancer",
    "Direct",
    "HealthCheck",
    "LeastConnections",
    "Random",
    "RoundRobin",
    "ServerView",
    "WeightedRoundRobin",
    "Outage",
    "Server",
    "pool",
    "SimResult",
    "simulate",
    "poisson",
    "Outcome",
    "OK",
    "REFUSED",
    "LOST",
    "NO_SERVER",
    "DROPPED",
    "READ_ONLY",
    "Topology",
    "Tier",
    "Replication",
    "PathResult",
    "geo",
    "Place",
    "with_places",
]

# Where the modules of the flat layout went: ``from scalelab import plots`` still works.
_MOVED = {
    "queueing": "scalelab.theory.queueing",
    "sweeps": "scalelab.capacity.sweeps",
    "server": "scalelab.sim.server",
    "plots": "scalelab.viz.plots",
    "diagrams": "scalelab.viz.diagrams",
    "widgets": "scalelab.viz.widgets",
    "style": "scalelab.viz.style",
}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        return import_module(_MOVED[name])
    raise AttributeError(f"module 'scalelab' has no attribute {name!r}")
