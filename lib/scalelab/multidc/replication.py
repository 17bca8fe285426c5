"""Replication between regions: what a failover loses.

Synchronous replication waits for the other region before each commit (at least one round trip: Seoul–Tokyo
~31 ms, Seoul–N. Virginia ~178 ms measured in 2017, CHAPTERS.md 09 (a) 4; the model says 34 and 191 ms) and
loses nothing. Asynchronous replication commits at once and ships the write ``lag`` seconds later: when the
primary region dies, the writes it committed in the last ``lag`` seconds, ``(fail − lag, fail]``, never
reached the other region. That window is the RPO (how much data may be lost); the failover time is the RTO
(how long until it serves again). The engine keeps replication within one region (a replicated tier refuses
placed servers), so the cross-region loss is counted here.
"""

from __future__ import annotations

import numpy as np

from scalelab.sim import geo


def writes_lost(write_times: np.ndarray, fail: float, lag: float) -> int:
    """Writes committed in ``(fail − lag, fail]``: shipped too late to reach the surviving region."""
    if lag < 0:
        raise ValueError(f"lag must be 0 or more seconds, got {lag}")
    t = np.asarray(write_times, dtype=float)
    return int(np.count_nonzero((t > fail - lag) & (t <= fail)))


def sync_commit_penalty(primary: str, replica: str) -> float:
    """Seconds a synchronous commit waits: one modelled round trip to the other region."""
    return geo.rtt(primary, replica)
