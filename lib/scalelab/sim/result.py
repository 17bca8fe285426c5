"""What a simulation run saw: one outcome, wait and latency per request, and the load on each server.

Times are kept as the engine computed them (arrival, start of service, departure), so a wait is
``start − arrival`` and never comes out slightly negative from subtracting two rounded sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

import numpy as np

from scalelab.sim.server import Server
from scalelab.sim.workload import Workload
from scalelab.validate import positive


class Outcome(IntEnum):
    """What happened to one request. Only OK requests have a wait and a latency.

    Prints as its description (``str``), reads as its name (``repr``), compares as a small integer,
    so ``result.status == Outcome.REFUSED`` is a mask and ``error_counts()`` a readable dict.
    """

    OK = 0
    REFUSED = 1
    LOST = 2
    NO_SERVER = 3
    DROPPED = 4

    @property
    def description(self) -> str:
        """What a user saw, in a few words."""
        return _DESCRIPTIONS[self]

    def __str__(self) -> str:
        return self.description

    def __format__(self, spec: str) -> str:
        return format(self.description, spec)

    def __repr__(self) -> str:
        return self.name


_DESCRIPTIONS = {
    Outcome.OK: "ok",
    Outcome.REFUSED: "refused (sent to a dead server)",
    Outcome.LOST: "lost (server crashed while it waited)",
    Outcome.NO_SERVER: "503 no healthy server",
    Outcome.DROPPED: "503 queue full",
}

OK, REFUSED, LOST, NO_SERVER, DROPPED = Outcome
#: Each outcome's description, by outcome.
STATUS = dict(_DESCRIPTIONS)


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
        One :class:`Outcome` per request (OK, REFUSED, LOST, NO_SERVER, DROPPED).
    start : np.ndarray
        When each OK request's service began, in seconds; NaN for failed ones.
    departure : np.ndarray
        When each OK request's answer left the server, in seconds; NaN for failed ones.
    """

    workload: Workload
    servers: Sequence[Server]
    server: np.ndarray
    status: np.ndarray
    start: np.ndarray
    departure: np.ndarray

    @cached_property
    def latency(self) -> np.ndarray:
        """Seconds from arrival to answer for OK requests (wait plus service); NaN for failed ones."""
        return self.departure - self.workload.arrival

    @cached_property
    def wait(self) -> np.ndarray:
        """Seconds each OK request waited in line before a worker took it (never below 0); NaN else."""
        return self.start - self.workload.arrival

    @cached_property
    def service(self) -> np.ndarray:
        """Seconds of work each OK request took on its server (demand ÷ speed); NaN for failed ones."""
        speed = np.array([s.speed for s in self.servers], dtype=float)
        out = np.full(len(self.status), np.nan)
        ok = self.ok
        out[ok] = self.workload.demand[ok] / speed[self.server[ok]]
        return out

    def between(self, t0: float, t1: float) -> SimResult:
        """The requests that arrived from ``t0`` up to (not including) ``t1`` seconds.

        The result is a SimResult of its own, observed over that window: its summary, percentiles,
        error counts, utilisation and ``over_time`` speak of those requests only.
        """
        if not 0 <= t0 < t1:
            raise ValueError(f"between(t0, t1) needs 0 <= t0 < t1, got t0={t0!r}, t1={t1!r}")
        lo, hi = np.searchsorted(self.workload.arrival, [t0, t1])
        window = self.workload.slice(lo, hi, t0, t1 - t0)
        return SimResult(
            window,
            self.servers,
            self.server[lo:hi],
            self.status[lo:hi],
            self.start[lo:hi],
            self.departure[lo:hi],
        )

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

    def error_counts(self) -> dict[Outcome, int]:
        """Failed requests by outcome, only the outcomes that occurred (prints as their names)."""
        counts = np.bincount(self.status, minlength=len(Outcome))
        return {k: int(counts[k]) for k in Outcome if k != OK and counts[k]}

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
        t0 = self.workload.start
        t1 = t0 + self.workload.duration
        busy_in_run = np.clip(self.departure[served], t0, t1) - np.clip(self.start[served], t0, t1)
        busy = np.bincount(self.server[served], weights=busy_in_run, minlength=len(self.servers))
        workers = np.array([s.workers for s in self.servers])
        return busy / (workers * self.workload.duration)

    def over_time(self, window: float, q: Sequence[float] = (50, 99)) -> dict[str, np.ndarray]:
        """Latency percentiles and error share in consecutive windows of ``window`` seconds.

        Returns a dict with ``"t"`` (window starts), ``"p50"``-style keys and ``"errors"`` (share failed).
        """
        positive("window", window)
        count = max(1, math.ceil(self.workload.duration / window - 1e-9))
        edges = self.workload.start + np.arange(count + 1) * float(window)
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
