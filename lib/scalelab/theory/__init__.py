"""Closed forms the simulator is tested against, and that the chapters quote (queueing, replication,
caching)."""

from scalelab.theory import caching, queueing, replication

__all__ = ["caching", "queueing", "replication"]
