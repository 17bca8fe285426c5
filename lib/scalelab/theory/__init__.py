"""Closed forms the simulator is tested against, and that the chapters quote (queueing, caching)."""

from scalelab.theory import caching, queueing

__all__ = ["caching", "queueing"]
