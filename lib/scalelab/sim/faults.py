"""Faults: when a server is down, and what that does to the requests it holds.

Chapter 01 crashes the only server; chapter 05 crashes one of a pool and lets health checks find out.
An outage is plain data (which server, from when, until when); the engine turns a server's outages into
the periods it is up, and a request that meets a crash is lost or refused (see :mod:`scalelab.sim.result`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Outage:
    """Server ``server`` is down from ``start`` until ``end`` seconds (``math.inf``: it never comes back).

    Requests in flight or waiting when it crashes are lost; requests sent to it while it is down are
    refused. When it comes back its queue is empty.
    """

    server: int
    start: float
    end: float = math.inf

    def __post_init__(self) -> None:
        if isinstance(self.server, bool) or not isinstance(self.server, int) or self.server < 0:
            raise ValueError(f"server must be an index of 0 or more, got {self.server!r}")
        if not self.start >= 0 or not self.end > self.start:
            raise ValueError(
                f"an outage needs 0 <= start < end, got start={self.start}, end={self.end}"
            )


def up_periods(outages: Sequence[Outage], server: int) -> list[tuple[float, float]]:
    """The intervals during which ``server`` is up, from its outages (overlapping ones merged)."""
    periods, start = [], 0.0
    for o in sorted((o for o in outages if o.server == server), key=lambda o: o.start):
        if o.start > start:
            periods.append((start, o.start))
        start = max(start, o.end)
    if math.isfinite(start):
        periods.append((start, math.inf))
    return periods
