"""What a simulation run saw: one latency and one outcome per request, and the load on each server."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scalelab.server import Server
from scalelab.sim.workload import Workload
from scalelab.validate import positive

#: Outcomes of a request. Only OK requests have a latency.
OK, REFUSED, LOST, NO_SERVER, DROPPED = range(5)
STATUS = {
    OK: "ok",
    REFUSED: "refused (sent to a dead server)",
    LOST: "lost (server crashed while it waited)",
    NO_SERVER: "503 no healthy server",
    DROPPED: "503 queue full",
}


@dataclass(frozen=True)
class SimResult:
    """Per-request outcomes of :func:`scalelab.sim.simulate`.

    Attributes
    ----------
    workload : Workload
        The requests that were simulated.
    servers : list of Server
        The pool they were sent to.
    server : np.ndarray
        Index of the server each request went to (-1: the balancer found none).
    status : np.ndarray
        One of OK, REFUSED, LOST, NO_SERVER, DROPPED per request.
    latency : np.ndarray
        Seconds from arrival to response for OK requests; NaN for failed ones.
    """

    workload: Workload
    servers: Sequence[Server]
    server: np.ndarray
    status: np.ndarray
    latency: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Mask of the requests that got an answer."""
        return self.status == OK

    @property
    def errors(self) -> int:
        """How many requests failed, for any reason."""
        return int(np.count_nonzero(self.status != OK))

    @property
    def error_rate(self) -> float:
        """Share of requests that failed (0 when there were none)."""
        return self.errors / len(self.status) if len(self.status) else 0.0

    def error_counts(self) -> dict[str, int]:
        """Failed requests by reason, only the reasons that occurred."""
        counts = np.bincount(self.status, minlength=len(STATUS))
        return {STATUS[k]: int(counts[k]) for k in STATUS if k != OK and counts[k]}

    def percentile(self, q: float) -> float:
        """The q-th percentile of latency in seconds over answered requests (NaN if none)."""
        good = self.latency[self.ok]
        return float(np.percentile(good, q)) if len(good) else float("nan")

    def mean_latency(self) -> float:
        """Mean seconds in the system of answered requests (NaN if none)."""
        good = self.latency[self.ok]
        return float(good.mean()) if len(good) else float("nan")

    def requests_per_server(self) -> np.ndarray:
        """How many requests the balancer sent to each server."""
        chosen = self.server[self.server >= 0]
        return np.bincount(chosen, minlength=len(self.servers))

    def utilisation(self) -> np.ndarray:
        """Busy share of each server's workers during the run, from the requests it answered.

        Work that goes on after the end of the run (an overloaded server's backlog) is not counted,
        so the share is at most 1.
        """
        served = self.ok
        speed = np.array([s.speed for s in self.servers])[self.server[served]]
        departure = self.workload.arrival[served] + self.latency[served]
        start = departure - self.workload.demand[served] / speed
        busy_in_run = np.clip(departure, 0, self.workload.duration) - np.clip(
            start, 0, self.workload.duration
        )
        busy = np.bincount(self.server[served], weights=busy_in_run, minlength=len(self.servers))
        workers = np.array([s.workers for s in self.servers])
        return busy / (workers * self.workload.duration)

    def over_time(self, window: float, q: Sequence[float] = (50, 99)) -> dict[str, np.ndarray]:
        """Latency percentiles and error share in consecutive windows of ``window`` seconds.

        Returns a dict with ``"t"`` (window starts), ``"p50"``-style keys and ``"errors"`` (share failed).
        """
        positive("window", window)
        count = max(1, math.ceil(self.workload.duration / window - 1e-9))
        edges = np.arange(count + 1) * float(window)
        slot = np.clip(np.searchsorted(edges, self.workload.arrival, side="right") - 1, 0, None)
        out: dict[str, np.ndarray] = {"t": edges[:-1]}
        total = np.bincount(slot, minlength=len(edges) - 1)[: len(edges) - 1]
        failed = np.bincount(slot[~self.ok], minlength=len(edges) - 1)[: len(edges) - 1]
        out["errors"] = np.divide(failed, total, out=np.zeros(len(total)), where=total > 0)
        ok_slot, ok_lat = slot[self.ok], self.latency[self.ok]
        order = np.argsort(ok_slot, kind="stable")
        ok_slot, ok_lat = ok_slot[order], ok_lat[order]
        bounds = np.searchsorted(ok_slot, np.arange(len(edges)))
        for p in q:
            out[f"p{p:g}"] = np.array(
                [
                    np.percentile(ok_lat[a:b], p) if b > a else np.nan
                    for a, b in zip(bounds[:-1], bounds[1:], strict=True)
                ]
            )
        return out

    def summary(self) -> str:
        """One line a learner can read: requests, p50/p99 in ms, errors."""
        n = len(self.status)
        return (
            f"{n:,} requests: p50 {1000 * self.percentile(50):,.0f} ms, "
            f"p99 {1000 * self.percentile(99):,.0f} ms, "
            f"errors {self.errors:,} ({100 * self.error_rate:.1f}%)"
        )

    def __repr__(self) -> str:
        return f"<SimResult {self.summary()}>"
