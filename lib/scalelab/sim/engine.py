"""The request-level simulator: users → load balancer → servers, one request at a time.

Every request arrives, is given a server by the balancer, waits in that server's FIFO queue, is served
and leaves; or it fails, and the result says why. Two exact shortcuts keep it fast enough for a million
users, and both give the same numbers as the one-by-one loop (the tests check this):

* when the balancer does not look at server load, all choices are made first (in one numpy call for
  the library's strategies) and each server's queue is then solved on its own;
* a one-worker queue with no limit is Lindley's recursion, D[n] = max(D[n-1], A[n]) + S[n], which has
  the closed form D = C + running_max(A - C + S) with C the cumulative service time.

A balancer that reads ``ServerView.active`` (least connections) needs the queues as they are at each
arrival, so it runs the plain event loop.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np

from scalelab.sim.fastloop import run_load_aware
from scalelab.sim.faults import Outage, up_periods
from scalelab.sim.result import DROPPED, LOST, NO_SERVER, OK, REFUSED, SimResult
from scalelab.sim.route import Balancer, Direct, HealthSignal, ServerView
from scalelab.sim.server import Server
from scalelab.sim.workload import Workload


class _Queue:
    """One server's state during the event loop: when each worker frees up, who is still inside."""

    def __init__(self, server: Server, periods: list[tuple[float, float]]) -> None:
        self.workers = server.workers
        self.limit = None if server.queue_limit is None else server.workers + server.queue_limit
        self.speed = server.speed
        self.periods = periods
        self.period = 0
        self.current = -1
        self.free: list[float] = []
        self.inside: list[float] = []

    def _locate(self, t: float) -> bool:
        """Move to the up-period containing ``t``; False if the server is down at ``t``."""
        periods = self.periods
        while self.period < len(periods) and periods[self.period][1] <= t:
            self.period += 1
        if self.period == len(periods) or t < periods[self.period][0]:
            return False
        if self.period != self.current:  # back from a crash (or first request): empty queue
            self.current = self.period
            self.free = [periods[self.period][0]] * self.workers
            self.inside = []
        return True

    def in_system(self, t: float) -> int:
        if not self._locate(t):
            return 0
        inside = self.inside
        while inside and inside[0] <= t:
            heapq.heappop(inside)
        return len(inside)

    def admit(self, t: float, demand: float) -> tuple[int, float, float]:
        """Queue a request arriving at ``t``; return (status, service start, departure time)."""
        if not self._locate(t):
            return REFUSED, math.nan, math.nan
        if self.limit is not None and self.in_system(t) >= self.limit:
            return DROPPED, math.nan, math.nan
        start = max(t, heapq.heappop(self.free))
        departure = start + demand / self.speed
        heapq.heappush(self.free, departure)
        heapq.heappush(self.inside, departure)
        if departure > self.periods[self.period][1]:
            return LOST, math.nan, math.nan  # still inside when the server crashed
        return OK, start, departure


def _lindley(
    arrival: np.ndarray, service: np.ndarray, start: np.ndarray, departure: np.ndarray
) -> None:
    """Fill ``start`` and ``departure`` of a one-worker FIFO queue that starts empty.

    The closed form of Lindley's recursion gives the departures; each start is then the later of the
    arrival and the previous departure, so that a wait (start − arrival) is never below zero. It
    writes into the caller's arrays: this runs on every request of a million-request run.
    """
    done = np.cumsum(service)
    np.subtract(arrival, done, out=departure)
    departure += service
    np.maximum.accumulate(departure, out=departure)
    departure += done
    start[:1] = arrival[:1]
    np.maximum(arrival[1:], departure[:-1], out=start[1:])
    np.add(start, service, out=departure)


def _serve(
    server: Server,
    periods: list[tuple[float, float]],
    arrival: np.ndarray,
    demand: np.ndarray,
    status: np.ndarray,
    start: np.ndarray,
    departure: np.ndarray,
) -> None:
    """Fill status, service start and departure of each request sent to one server (arrivals
    sorted; the three arrays are the caller's, NaN and REFUSED where no up period covers a request)."""
    if server.workers == 1 and server.queue_limit is None:
        for up, down in periods:
            lo, hi = np.searchsorted(arrival, [up, down])
            if hi > lo:
                s, d = start[lo:hi], departure[lo:hi]
                _lindley(arrival[lo:hi], demand[lo:hi] / server.speed, s, d)
                lost = d > down
                status[lo:hi] = OK
                if lost.any():  # still inside when the server crashed
                    s[lost] = d[lost] = np.nan
                    status[lo:hi][lost] = LOST
        return
    queue = _Queue(server, periods)
    for k, (t, s) in enumerate(zip(arrival.tolist(), demand.tolist(), strict=True)):
        status[k], start[k], departure[k] = queue.admit(t, s)


def _check_choices(picks: np.ndarray, n: int) -> np.ndarray:
    if picks.dtype.kind not in "iu" or (len(picks) and (picks.min() < -1 or picks.max() >= n)):
        bad = [
            p
            for p in picks.tolist()
            if isinstance(p, bool) or not (isinstance(p, int) and -1 <= p < n)
        ]
        raise ValueError(
            f"choose() must return a server index from 0 to {n - 1}, or None; got {bad[0]!r}"
        )
    return picks


def _dispatch(
    balancer: Balancer,
    views: list[ServerView],
    arrival: np.ndarray,
    belief: list[tuple[float, int, bool]],
) -> np.ndarray:
    """The server chosen for every request (-1: none), honouring health-check changes in time order."""
    n = len(views)
    chosen = np.empty(len(arrival), dtype=np.int64)
    assign_many = getattr(balancer, "assign_many", None)

    def run(lo: int, hi: int) -> None:
        if hi <= lo:
            return
        if assign_many is not None:
            chosen[lo:hi] = assign_many(hi - lo, views)
            return
        choose = balancer.choose
        answers = [-1 if p is None else p for p in (choose(views) for _ in range(hi - lo))]
        try:
            values = np.array(answers)
        except (TypeError, ValueError):
            values = None
        if values is None or values.dtype.kind not in "iu":  # keep each answer as it was given
            values = np.array(answers, dtype=object)
        chosen[lo:hi] = _check_choices(values, n)

    lo = 0
    for time, server, healthy in belief:
        hi = int(np.searchsorted(arrival, time))
        run(lo, hi)
        lo = max(lo, hi)
        views[server].healthy = healthy
    run(lo, len(arrival))
    return chosen


def _event_loop(
    balancer: Balancer,
    views: list[ServerView],
    queues: list[_Queue],
    workload: Workload,
    belief: list[tuple[float, int, bool]],
    status: np.ndarray,
    start: np.ndarray,
    departure: np.ndarray,
    chosen: np.ndarray,
) -> None:
    """One request at a time, with each server's load visible to the balancer."""
    n, b = len(views), 0
    for k, (t, demand) in enumerate(
        zip(workload.arrival.tolist(), workload.demand.tolist(), strict=True)
    ):
        while b < len(belief) and belief[b][0] <= t:
            views[belief[b][1]].healthy = belief[b][2]
            b += 1
        for view, queue in zip(views, queues, strict=True):
            view._active = queue.in_system(t)
        pick = balancer.choose(views)
        if pick is None:
            chosen[k], status[k] = -1, NO_SERVER
            continue
        if pick.__class__ is not int or not 0 <= pick < n:  # the slow, explaining check
            pick = int(_check_choices(np.array([pick]), n)[0])
        chosen[k] = pick
        status[k], start[k], departure[k] = queues[pick].admit(t, demand)


def simulate(
    workload: Workload,
    servers: Sequence[Server],
    balancer: Balancer | None = None,
    outages: Sequence[Outage] = (),
    health_check: HealthSignal | None = None,
    rng: np.random.Generator | None = None,
) -> SimResult:
    """Run ``workload`` through ``balancer`` onto ``servers`` and record what every request saw.

    Parameters
    ----------
    workload : Workload
        The requests (see :mod:`scalelab.sim.workload`).
    servers : sequence of Server
        The pool behind the balancer.
    balancer : Balancer, optional
        The router (a strategy from :mod:`scalelab.balancer`, or your own subclass). Needed when there
        is more than one server; one server needs none (:class:`~scalelab.sim.route.Direct`).
    outages : sequence of Outage
        When servers crash and recover.
    health_check : HealthSignal, optional
        What tells the balancer a server is down (e.g. :class:`~scalelab.balancer.HealthCheck`). Without
        one the balancer never learns it.
    rng : numpy.random.Generator, optional
        The balancer's own randomness, e.g. ``np.random.default_rng(5)`` (the workload carries its
        own). Without one, runs use ``np.random.default_rng(0)``, so they still repeat exactly.
    """
    if not isinstance(workload, Workload):
        raise TypeError(
            f"workload must be a Workload (e.g. scalelab.sim.poisson(...)), got {type(workload).__name__}"
        )
    servers = list(servers)
    if not servers or not all(isinstance(s, Server) for s in servers):
        raise ValueError(f"servers must be a non-empty list of Server, got {servers!r}")
    for o in outages:
        if o.server >= len(servers):
            raise ValueError(
                f"outage names server {o.server}, but there are {len(servers)} servers"
            )
    if balancer is None:
        if len(servers) > 1:
            raise ValueError(
                f"{len(servers)} servers need a balancer to choose between them: pass one, "
                "e.g. simulate(workload, servers, scalelab.RoundRobin())"
            )
        balancer = Direct()
    if not callable(getattr(balancer, "choose", None)):
        raise TypeError(f"balancer must have a choose(servers) method, got {balancer!r}")
    if rng is None:
        rng = np.random.default_rng(0)
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(5), got {rng!r}"
        )

    periods = [up_periods(outages, i) for i in range(len(servers))]
    belief = health_check.transitions(outages) if health_check else []
    views = [ServerView(i, s.name, s.weight) for i, s in enumerate(servers)]
    balancer.reset(len(servers), rng)

    n = len(workload)
    if getattr(balancer, "uses_load", False):
        status = np.full(n, NO_SERVER, dtype=np.int8)
        start, departure = np.full(n, np.nan), np.full(n, np.nan)
        chosen = np.empty(n, dtype=np.int64)
        queues = [_Queue(s, p) for s, p in zip(servers, periods, strict=True)]
        if not run_load_aware(
            balancer, servers, periods, belief, workload, status, start, departure, chosen
        ):
            _event_loop(balancer, views, queues, workload, belief, status, start, departure, chosen)
    else:
        chosen = _dispatch(balancer, views, workload.arrival, belief)
        # Requests grouped by server (arrival order kept within a group), served in place, then put
        # back in arrival order in one move: one gather and one scatter per array for the whole run.
        order = np.argsort(chosen, kind="stable")
        bounds = np.searchsorted(chosen[order], np.arange(len(servers) + 1))
        arrival, demand = workload.arrival[order], workload.demand[order]
        by_status = np.full(n, REFUSED, dtype=np.int8)  # until an up period of its server takes it
        by_status[: bounds[0]] = NO_SERVER
        by_start, by_departure = np.full(n, np.nan), np.full(n, np.nan)
        for i, server in enumerate(servers):
            lo, hi = bounds[i], bounds[i + 1]
            _serve(
                server,
                periods[i],
                arrival[lo:hi],
                demand[lo:hi],
                by_status[lo:hi],
                by_start[lo:hi],
                by_departure[lo:hi],
            )
        status, start, departure = np.empty_like(by_status), np.empty(n), np.empty(n)
        status[order], start[order], departure[order] = by_status, by_start, by_departure
    return SimResult(workload, servers, chosen, status, start, departure)
