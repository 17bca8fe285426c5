"""The engine and its vocabulary: seeded workloads and servers in, per-request outcomes out.

Imports no component family: a balancer, a cache or a shard router is a :class:`Balancer`-style
subclass (or a :class:`Stage`, a :class:`Promotion`) handed to :func:`simulate` or to a :class:`Tier` of a
:class:`Topology`, never a name the engine knows.

Geography lives in :mod:`scalelab.sim.geo` (places, great-circle distance, the round-trip model):
users get places with :func:`with_places`, stations with ``Server(place=...)``.
"""

from scalelab.sim import geo
from scalelab.sim.engine import run_topology, simulate
from scalelab.sim.faults import Outage, up_periods
from scalelab.sim.geo import Place, RttModel
from scalelab.sim.result import (
    DROPPED,
    LOST,
    NO_SERVER,
    OK,
    READ_ONLY,
    REFUSED,
    STATUS,
    Outcome,
    PathResult,
    SimResult,
)
from scalelab.sim.route import (
    Balancer,
    Direct,
    HealthSignal,
    Promotion,
    RequestView,
    ServerView,
    Stage,
)
from scalelab.sim.server import Server, pool
from scalelab.sim.topology import Replication, Tier, Topology
from scalelab.sim.workload import (
    READ,
    WRITE,
    Workload,
    diurnal,
    flash_crowd,
    from_rate,
    poisson,
    with_keys,
    with_places,
    with_sessions,
    with_writes,
    zipf_keys,
)

__all__ = [
    "simulate",
    "run_topology",
    "Topology",
    "Tier",
    "Replication",
    "PathResult",
    "READ_ONLY",
    "Outage",
    "up_periods",
    "SimResult",
    "Outcome",
    "STATUS",
    "OK",
    "REFUSED",
    "LOST",
    "NO_SERVER",
    "DROPPED",
    "Balancer",
    "Direct",
    "HealthSignal",
    "ServerView",
    "RequestView",
    "Stage",
    "Promotion",
    "Server",
    "pool",
    "Workload",
    "poisson",
    "diurnal",
    "flash_crowd",
    "from_rate",
    "zipf_keys",
    "with_keys",
    "with_writes",
    "with_sessions",
    "with_places",
    "geo",
    "Place",
    "RttModel",
    "READ",
    "WRITE",
]
