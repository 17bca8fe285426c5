"""The database family: the data tier behind the web servers.

Chapter 06, replication (:mod:`~scalelab.database.replication`): one primary takes the writes,
replicas serve the reads; the read/write routers and the failover rule plug into the engine as a
:class:`~scalelab.sim.route.Balancer` and a :class:`~scalelab.sim.route.Promotion`.
"""

from scalelab.database.fixtures import nodes, read, routes, stream, write
from scalelab.database.replication import (
    FailureDetector,
    MostUpToDate,
    ReadWriteSplit,
    ReplicaRouter,
    own_stale_reads,
)

__all__ = [
    # chapter 06, replication
    "ReadWriteSplit",
    "ReplicaRouter",
    "MostUpToDate",
    "FailureDetector",
    "own_stale_reads",
    "nodes",
    "read",
    "write",
    "routes",
    "stream",
]
