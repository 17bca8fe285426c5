"""Replication arithmetic: how stale a replica's reads are, and how many replicas the reads need.

Chapter 06 quotes these and the simulator is tested against them. The model: a replica applies each
write after a lag drawn from an exponential distribution of mean ``mean_lag`` (memoryless, so the
chance a write is still missing depends only on the time since it was made); the primary takes every
write, the replicas share every read in turn, and each replica also applies every write.
"""

from __future__ import annotations

import math

import numpy as np

from scalelab.validate import at_least_zero, positive


def _rate(name: str, value: float) -> None:
    at_least_zero(name, value, "a rate per second", finite=True)


def stale_probability(after: float, mean_lag: float) -> float:
    """P(a replica has not yet applied a write ``after`` seconds old) = e^(−after / mean_lag).

    With lag ~ Exponential(mean ``mean_lag``), a read made ``after`` seconds after a write of its key
    sees the old value with this probability.
    """
    positive("mean_lag", mean_lag)
    at_least_zero("after", after, "a number of seconds", finite=True)
    return math.exp(-after / mean_lag)


def replicas_needed(read_rate: float, write_rate: float, capacity: float) -> int:
    """Replicas needed to serve ``read_rate`` reads/s when each also applies ``write_rate`` writes/s.

    A node completes ``capacity`` operations per second; applying the writes takes ``write_rate`` of
    them on every replica, leaving ``capacity − write_rate`` for reads, so replicas = ⌈R / (c − W)⌉.
    Raises ``ValueError`` when ``write_rate >= capacity``: then no number of replicas helps (the
    writes alone fill every node; split the data instead, chapter 12).
    """
    _rate("read_rate", read_rate)
    _rate("write_rate", write_rate)
    positive("capacity", capacity)
    if write_rate >= capacity:
        raise ValueError(
            f"write_rate must be below a node's capacity {capacity}/s, got {write_rate}/s: every "
            "replica applies every write, so replicas cannot add read capacity (shard instead)"
        )
    return math.ceil(read_rate / (capacity - write_rate))


def utilisation(
    read_rate: float,
    write_rate: float,
    replicas: int,
    read_time: float,
    write_time: float,
    apply_time: float,
) -> np.ndarray:
    """Each node's utilisation, primary first, then each replica.

    The primary serves every write (``write_time`` CPU seconds each) and, with no replica, every read
    too; ``replicas`` replicas share the reads evenly (``read_time`` each) and each applies every write
    (``apply_time`` each). A value ≥ 1 means that node cannot keep up.
    """
    _rate("read_rate", read_rate)
    _rate("write_rate", write_rate)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ValueError(f"replicas must be a whole number of 0 or more, got {replicas!r}")
    for name, value in (("read_time", read_time), ("write_time", write_time)):
        positive(name, value)
    at_least_zero("apply_time", apply_time, "a number of seconds", finite=True)
    if replicas == 0:
        return np.array([read_rate * read_time + write_rate * write_time])
    replica = read_rate / replicas * read_time + write_rate * apply_time
    return np.array([write_rate * write_time] + [replica] * replicas)
