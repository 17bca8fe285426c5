"""What a simulation run saw: one outcome, wait and latency per request, and the load on each server.

Times are kept as the engine computed them (arrival, start of service, departure), so a wait is
``start − arrival`` and never comes out slightly negative from subtracting two rounded sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    READ_ONLY = 5

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
    Outcome.READ_ONLY: "refused (a write sent to a read-only replica)",
}

OK, REFUSED, LOST, NO_SERVER, DROPPED, READ_ONLY = Outcome
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


@dataclass(frozen=True, eq=False)
class PathResult:
    """Per-request outcomes of a :class:`~scalelab.sim.topology.Topology` run, end to end and per tier.

    Arrays are indexed ``[tier, request]`` (tiers in path order, requests in workload order).

    Attributes
    ----------
    topology : Topology
        What was run.
    workload : Workload
        The requests.
    node : np.ndarray
        Station of each tier each request went to (-1: it did not reach the tier, or no station took it).
    tier_status : np.ndarray
        Outcome at each tier (-1 where the request did not reach the tier).
    tier_arrival, tier_start, tier_departure : np.ndarray
        When each request reached, began service at and left each tier (NaN where it did not).
    status : np.ndarray
        The end-to-end :class:`Outcome` of each request.
    answered_by : np.ndarray
        The tier that answered each request (a cache hit: the cache tier); -1 if it failed.
    stale : np.ndarray
        True for a read answered by a replica that had not yet applied the latest write of its key
        (a workload without keys has no "its key": then no read is marked stale).
    lost_writes : int
        Committed writes that a failover threw away (the promoted replica had not applied them).
    apply_busy : dict
        Per replicated tier (by position), the busy seconds of each station spent applying writes.
    network_s, way_back : np.ndarray or None
        With geography on (:mod:`scalelab.sim.geo`): each answered request's network seconds (every
        hop it crossed, all its round trips; NaN for failed ones), and the part of them spent on the
        answer's way back after the last departure (½ round trip per hop). ``None`` when it is off.
        Read :attr:`network`, which is 0 then.
    """

    topology: object
    workload: Workload
    node: np.ndarray
    tier_status: np.ndarray
    tier_arrival: np.ndarray
    tier_start: np.ndarray
    tier_departure: np.ndarray
    status: np.ndarray
    answered_by: np.ndarray
    stale: np.ndarray
    lost_writes: int = 0
    apply_busy: dict = field(default_factory=dict)
    network_s: np.ndarray | None = None
    way_back: np.ndarray | None = None

    @cached_property
    def departure(self) -> np.ndarray:
        """When each answered request's answer left the last tier it visited; NaN for failed ones."""
        out = np.full(len(self.status), np.nan)
        ok = self.ok
        out[ok] = self.tier_departure[self.answered_by[ok], np.flatnonzero(ok)]
        return out

    @cached_property
    def answered(self) -> np.ndarray:
        """When each answered request's answer reached its user: the departure, plus the way back
        when geography is on; NaN for failed ones."""
        return self.departure if self.way_back is None else self.departure + self.way_back

    @cached_property
    def network(self) -> np.ndarray:
        """Seconds each answered request spent on the network (all hops, all round trips; 0 when
        geography is off), NaN for failed ones: ``latency − network`` is the time in the tiers."""
        if self.network_s is None:
            return np.where(self.ok, 0.0, np.nan)
        return self.network_s

    @property
    def in_tiers(self) -> np.ndarray:
        """Seconds each answered request spent in the tiers (waiting and served): latency − network."""
        return self.latency - self.network

    @property
    def wait(self) -> np.ndarray:
        """Seconds each request waited in line at each tier, ``[tier, request]``; NaN where it was not
        served there."""
        return self.tier_start - self.tier_arrival

    @property
    def service(self) -> np.ndarray:
        """Seconds each request was served at each tier, ``[tier, request]``; NaN where it was not."""
        return self.tier_departure - self.tier_start

    def path(self, request: int) -> dict[str, str]:
        """Where request number ``request`` went: tier name → station name (tiers it reached)."""
        out = {}
        for i, tier in enumerate(self.topology.tiers):  # type: ignore[attr-defined]
            if self.tier_status[i, request] >= 0:
                j = self.node[i, request]
                out[tier.name] = tier.servers[j].name if j >= 0 else "none"
        return out

    @cached_property
    def end_to_end(self) -> SimResult:
        """The whole path seen as one station: percentiles, errors and ``over_time`` of the path."""
        n = len(self.status)
        return SimResult(
            self.workload,
            [Server(name="path")],
            np.zeros(n, dtype=np.int64),
            self.status,
            np.where(self.ok, self.workload.arrival, np.nan),
            self.answered,
        )

    @property
    def latency(self) -> np.ndarray:
        """Seconds from arrival to answer for answered requests, all tiers (and with geography the
        network) included; NaN else."""
        return self.end_to_end.latency

    @property
    def ok(self) -> np.ndarray:
        """Mask of the requests that got an answer."""
        return self.status == OK

    @property
    def errors(self) -> int:
        """How many requests failed, for any reason."""
        return self.end_to_end.errors

    @property
    def error_rate(self) -> float:
        """Share of requests that failed."""
        return self.end_to_end.error_rate

    def error_counts(self) -> dict[Outcome, int]:
        """Failed requests by outcome."""
        return self.end_to_end.error_counts()

    def percentile(self, q: float, where: np.ndarray | None = None) -> float:
        """The q-th percentile of end-to-end latency in seconds (of the answered requests in ``where``)."""
        mask = self.ok if where is None else self.ok & where
        good = self.latency[mask]
        return float(np.percentile(good, q)) if len(good) else float("nan")

    def mean_latency(self) -> float:
        """Mean end-to-end seconds of answered requests (NaN if none)."""
        return self.end_to_end.mean_latency()

    def over_time(self, window: float, q: Sequence[float] = (50, 99)) -> dict[str, np.ndarray]:
        """End-to-end latency percentiles and error share per window (see ``SimResult.over_time``)."""
        return self.end_to_end.over_time(window, q)

    @property
    def reads(self) -> np.ndarray:
        """Mask of the read requests."""
        return ~self.workload.writes

    def stale_share(self) -> float:
        """Share of answered reads that saw an old value (0 when there were none)."""
        answered = self.ok & self.reads
        count = int(np.count_nonzero(answered))
        return int(np.count_nonzero(self.stale & answered)) / count if count else 0.0

    def hit_ratio(self, name: str | int) -> float:
        """Share of the requests reaching tier ``name`` that it answered itself (a cache's hit ratio)."""
        i = self.topology.tier_index(name)  # type: ignore[attr-defined]
        reached = self.tier_status[i] >= 0
        count = int(np.count_nonzero(reached))
        return int(np.count_nonzero(self.answered_by[reached] == i)) / count if count else 0.0

    def tier(self, name: str | int) -> SimResult:
        """What tier ``name`` saw, as a SimResult of its own: the requests that reached it, in the
        order they reached it, with their wait, service and latency at that tier only."""
        i = self.topology.tier_index(name)  # type: ignore[attr-defined]
        reached = np.flatnonzero(self.tier_status[i] >= 0)
        order = reached[np.argsort(self.tier_arrival[i, reached], kind="stable")]
        w = self.workload
        demand = self.tier_departure[i, order] - self.tier_start[i, order]
        speed = np.array([s.speed for s in self.topology.tiers[i].servers])  # type: ignore[attr-defined]
        nodes = self.node[i, order]
        known = nodes >= 0
        demand = np.where(known & ~np.isnan(demand), demand * speed[np.maximum(nodes, 0)], 0.0)

        return SimResult(
            w.rows(order, arrival=self.tier_arrival[i, order], demand=demand),
            self.topology.tiers[i].servers,  # type: ignore[attr-defined]
            nodes,
            self.tier_status[i, order],
            self.tier_start[i, order],
            self.tier_departure[i, order],
        )

    def utilisation(self, name: str | int) -> np.ndarray:
        """Busy share of each station of tier ``name``, replication work included."""
        i = self.topology.tier_index(name)  # type: ignore[attr-defined]
        busy = self.tier(i).utilisation()
        extra = self.apply_busy.get(i)
        if extra is not None:
            servers = self.topology.tiers[i].servers  # type: ignore[attr-defined]
            workers = np.array([s.workers for s in servers])
            busy = busy + extra / (workers * self.workload.duration)
        return busy

    def summary(self) -> str:
        """One line: requests, end-to-end p50/p99 in ms, errors (and stale reads, if any)."""
        line = self.end_to_end.summary()
        if self.stale.any():
            line += f", stale reads {100 * self.stale_share():.1f}%"
        return line

    def __repr__(self) -> str:
        return f"<PathResult {self.summary()}>"
