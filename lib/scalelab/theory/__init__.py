"""Closed forms the simulator is tested against, and that the chapters quote (queueing theory)."""

from scalelab.theory import queueing

__all__ = ["queueing"]
