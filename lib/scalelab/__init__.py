"""scalelab: the library behind the course "From 1 to 1,000,000 users".

Models (servers, balancers, the simulator, queueing theory) never import matplotlib or ipywidgets;
pictures live in :mod:`scalelab.plots` and :mod:`scalelab.diagrams`, control panels in
:mod:`scalelab.widgets`, and the learner's self-check helpers in :mod:`scalelab.check`.
"""

from scalelab.balancer import (
    Balancer,
    Direct,
    HealthCheck,
    LeastConnections,
    Random,
    RoundRobin,
    ServerView,
    WeightedRoundRobin,
)
from scalelab.server import Outage, Server, pool
from scalelab.sim import SimResult, simulate

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
]
