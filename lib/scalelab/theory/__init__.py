"""Closed forms the simulator is tested against, and that the chapters quote (queueing theory,
replication)."""

from scalelab.theory import queueing, replication

__all__ = ["queueing", "replication"]
