"""Chapter 05, the load balancer: one public address in front of many private servers.

Users know one URL. The load balancer owns its public IP address, takes every request and forwards it
to one of the servers behind it (on private addresses nobody outside can reach). Which server gets a
request is the balancer's *strategy* (:mod:`~scalelab.balancer.strategies`); whether the server is
alive is what its *health checks* tell it (:mod:`~scalelab.balancer.health`). Both plug into the
engine through :class:`~scalelab.sim.route.Balancer`, the class a learner subclasses too.
"""

from scalelab.balancer.fixtures import picks, views
from scalelab.balancer.health import HealthCheck
from scalelab.balancer.strategies import LeastConnections, Random, RoundRobin, WeightedRoundRobin
from scalelab.sim.route import Balancer, Direct, ServerView

__all__ = [
    "Balancer",
    "Direct",
    "ServerView",
    "RoundRobin",
    "Random",
    "LeastConnections",
    "WeightedRoundRobin",
    "HealthCheck",
    "views",
    "picks",
]
