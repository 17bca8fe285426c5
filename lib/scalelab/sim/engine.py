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

import bisect
import contextlib
import ctypes
import functools
import heapq
import math
import sys
from collections.abc import Iterator, Sequence

import numpy as np

from scalelab.sim.fastloop import run_load_aware
from scalelab.sim.faults import Outage, up_periods
from scalelab.sim.geo import Place
from scalelab.sim.result import (
    DROPPED,
    LOST,
    NO_SERVER,
    OK,
    READ_ONLY,
    REFUSED,
    PathResult,
    SimResult,
)
from scalelab.sim.route import (
    Balancer,
    Direct,
    HealthSignal,
    RequestView,
    ServerView,
    Stage,
)
from scalelab.sim.server import Server
from scalelab.sim.topology import Tier, Topology
from scalelab.sim.workload import WRITE, Workload, _demands


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


def _check_choices(picks: np.ndarray, n: int, method: str = "choose()") -> np.ndarray:
    """A fast path's choices, as given (-1: none), or a clear error naming the first bad one."""
    if picks.dtype.kind not in "iu" or (len(picks) and (picks.min() < -1 or picks.max() >= n)):
        bad = [
            p
            for p in picks.tolist()
            if isinstance(p, bool) or not (isinstance(p, int) and -1 <= p < n)
        ]
        raise ValueError(
            f"{method} must return a server index from 0 to {n - 1}, or None; got {bad[0]!r}"
        )
    return picks


def _from_answers(answers: list, n: int, method: str) -> np.ndarray:
    """Python answers (an index, or None for none) as choices, refusing anything else (-1 too)."""
    nones = answers.count(None)
    values = [-1 if p is None else p for p in answers]
    try:
        picks = np.array(values)
    except (TypeError, ValueError):
        picks = None
    if picks is None or picks.dtype.kind not in "iu":  # keep each answer as it was given
        picks = np.array(values, dtype=object)
    elif int(np.count_nonzero(picks == -1)) != nones:
        raise ValueError(f"{method} must return a server index from 0 to {n - 1}, or None; got -1")
    return _check_choices(picks, n, method)


class _Batch:
    """The requests in hand at one tier, in the order they reach it (what ``route`` may look at)."""

    __slots__ = ("index", "time", "kind", "key", "session", "place", "places")

    def __init__(
        self,
        index: np.ndarray,
        time: np.ndarray,
        kind: np.ndarray,
        key: np.ndarray | None,
        session: np.ndarray | None,
        place: np.ndarray | None = None,
        places: tuple[Place, ...] = (),
    ) -> None:
        self.index, self.time, self.kind, self.key, self.session = index, time, kind, key, session
        self.place, self.places = place, places

    def view(self, k: int) -> RequestView:
        return RequestView(
            int(self.index[k]),
            float(self.time[k]),
            None if self.key is None else int(self.key[k]),
            int(self.kind[k]),
            None if self.session is None else int(self.session[k]),
            None if self.place is None else self.places[self.place[k]],
        )

    def at(self, time: np.ndarray) -> _Batch:
        """The same requests, seen at other times (when they reached their stations)."""
        b = _Batch(self.index, time, self.kind, self.key, self.session, self.place, self.places)
        return b


class _Hop:
    """The network trip into one tier for the requests in hand (in routing order).

    ``src`` is where each request is (an index into the run's table of places, -1: nowhere), ``dst``
    where each station of the tier is (-1: no place), ``rtt`` one round trip between two places of the
    table, ``trips`` the round trips per request (a number or one per request).
    """

    __slots__ = ("src", "dst", "rtt", "trips", "_last")

    def __init__(
        self, src: np.ndarray, dst: np.ndarray, rtt: np.ndarray, trips: int | np.ndarray
    ) -> None:
        self.src, self.dst, self.rtt, self.trips = src, dst, rtt, trips
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def round_trip(self, chosen: np.ndarray) -> np.ndarray:
        """One round trip (seconds) from each request's place to its chosen station (0: no place)."""
        if self._last is not None and self._last[0] is chosen:
            return self._last[1]
        # One row of the matrix per place, one column per station (a last column of zeros for
        # "no station"), then one gather with flat indices.
        m = len(self.dst)
        table = np.zeros((len(self.rtt) + 1, m + 1))
        placed = self.dst >= 0
        table[:-1, :m][:, placed] = self.rtt[:, self.dst[placed]]
        rows = np.where(self.src >= 0, self.src, len(self.rtt))
        cols = np.where(chosen >= 0, chosen, m)
        out = table.ravel()[rows * (m + 1) + cols]
        self._last = (chosen, out)
        return out

    def forward(self, chosen: np.ndarray) -> np.ndarray:
        """Seconds from the router's decision to the request's arrival: handshakes, then the way there."""
        return (self.trips - 0.5) * self.round_trip(chosen)

    def forward_one(self, k: int, j: int) -> float:
        """``forward`` of request ``k`` sent to station ``j``."""
        a, b = int(self.src[k]), int(self.dst[j])
        if a < 0 or b < 0:
            return 0.0
        trips = self.trips if np.ndim(self.trips) == 0 else self.trips[k]
        return float((trips - 0.5) * self.rtt[a, b])


def _overrides_route(router: object) -> bool:
    """True if the router looks at the request (it defines its own ``route``)."""
    route = getattr(type(router), "route", None)
    return route is not None and route is not Balancer.route


def _dispatch(
    balancer: Balancer,
    views: list[ServerView],
    arrival: np.ndarray,
    belief: list[tuple[float, int, bool]],
    batch: _Batch | None = None,
) -> np.ndarray:
    """The server chosen for every request (-1: none), honouring health-check changes in time order."""
    n = len(views)
    chosen = np.empty(len(arrival), dtype=np.int64)
    route_many = getattr(balancer, "route_many", None) if batch is not None else None
    assign_many = getattr(balancer, "assign_many", None)
    sees_request = batch is not None and _overrides_route(balancer)

    def run(lo: int, hi: int) -> None:
        if hi <= lo:
            return
        if route_many is not None:
            b = batch
            picks = route_many(
                b.time[lo:hi],
                None if b.key is None else b.key[lo:hi],
                b.kind[lo:hi],
                None if b.session is None else b.session[lo:hi],
                views,
            )
            chosen[lo:hi] = _check_choices(np.asarray(picks), n, "route_many()")
            return
        if assign_many is not None and not sees_request:
            chosen[lo:hi] = assign_many(hi - lo, views)
            return
        if sees_request:
            route = balancer.route
            answers = [route(batch.view(k), views) for k in range(lo, hi)]
        else:
            choose = balancer.choose
            answers = [choose(views) for _ in range(hi - lo)]
        chosen[lo:hi] = _from_answers(answers, n, "route()" if sees_request else "choose()")

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
    batch: _Batch | None = None,
) -> None:
    """One request at a time, with each server's load visible to the balancer."""
    decide = _Decider(balancer, views, queues, belief, batch)
    for k, (t, demand) in enumerate(
        zip(workload.arrival.tolist(), workload.demand.tolist(), strict=True)
    ):
        pick = decide(k, t)
        if pick is None:
            chosen[k], status[k] = -1, NO_SERVER
            continue
        chosen[k] = pick
        status[k], start[k], departure[k] = queues[pick].admit(t, demand)


class _Decider:
    """One routing decision of the request-at-a-time loops: the health the checks believe at ``t``,
    each station's load at ``t``, then the router's answer (``route`` if it sees the request, else
    ``choose``), checked. Shared by ``_event_loop`` and ``_event_loop_geo``."""

    def __init__(
        self,
        balancer: Balancer,
        views: list[ServerView],
        queues: list[_Queue],
        belief: list[tuple[float, int, bool]],
        batch: _Batch | None,
    ) -> None:
        self.balancer, self.views, self.queues, self.belief, self.batch = (
            balancer,
            views,
            queues,
            belief,
            batch,
        )
        self.sees_request = batch is not None and _overrides_route(balancer)
        self.b = 0

    def __call__(self, k: int, t: float) -> int | None:
        views, belief, n = self.views, self.belief, len(self.views)
        while self.b < len(belief) and belief[self.b][0] <= t:
            views[belief[self.b][1]].healthy = belief[self.b][2]
            self.b += 1
        for view, queue in zip(views, self.queues, strict=True):
            view._active = queue.in_system(t)
        if self.sees_request:
            pick = self.balancer.route(self.batch.view(k), views)  # type: ignore[union-attr]
        else:
            pick = self.balancer.choose(views)
        if pick is None:
            return None
        if pick.__class__ is not int or not 0 <= pick < n:  # the slow, explaining check
            pick = int(_from_answers([pick], n, "route()" if self.sees_request else "choose()")[0])
        return pick


def _event_loop_geo(
    balancer: Balancer,
    views: list[ServerView],
    queues: list[_Queue],
    workload: Workload,
    belief: list[tuple[float, int, bool]],
    status: np.ndarray,
    start: np.ndarray,
    departure: np.ndarray,
    chosen: np.ndarray,
    at: np.ndarray,
    hop: _Hop,
    batch: _Batch | None = None,
) -> None:
    """``_event_loop`` with a network trip between the router and the stations.

    The router decides at ``workload.arrival`` (when the request leaves its previous place); the
    request joins its station's queue ``hop.forward_one`` seconds later. Arrivals are admitted in the
    order they reach the stations: before each decision, every request that has arrived by then is
    queued, so the loads the router sees are those of requests that have reached their stations
    (a request on the wire is not counted yet).
    """
    decide = _Decider(balancer, views, queues, belief, batch)
    wire: list[
        tuple[float, int, int, float]
    ] = []  # (arrival at the station, request, station, work)

    def land(until: float) -> None:
        while wire and wire[0][0] <= until:
            t_at, k, j, work = heapq.heappop(wire)
            status[k], start[k], departure[k] = queues[j].admit(t_at, work)

    for k, (t, demand) in enumerate(
        zip(workload.arrival.tolist(), workload.demand.tolist(), strict=True)
    ):
        land(t)
        pick = decide(k, t)
        if pick is None:
            chosen[k], status[k] = -1, NO_SERVER
            continue
        chosen[k] = pick
        at[k] = t + hop.forward_one(k, pick)
        heapq.heappush(wire, (at[k], k, pick, demand))
    land(math.inf)


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
    _check_workload(workload)
    servers = list(servers)
    if not servers or not all(isinstance(s, Server) for s in servers):
        raise ValueError(f"servers must be a non-empty list of Server, got {servers!r}")
    for o in outages:
        if o.server >= len(servers):
            raise ValueError(
                f"outage names server {o.server}, but there are {len(servers)} servers"
            )
    if any(s.place is not None for s in servers):
        raise ValueError(
            "simulate() has no geography: for servers with a place, run "
            "Topology([Tier(name, servers, balancer)]).run(workload, rng=rng)"
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
    rng = _checked_rng(rng)
    topology = Topology(
        [Tier("servers", servers, balancer)],
        outages={"servers": list(outages)},
        health_checks={"servers": health_check} if health_check else {},
    )
    run = run_topology(topology, workload, rng)
    return SimResult(
        workload, servers, run.node[0], run.tier_status[0], run.tier_start[0], run.tier_departure[0]
    )


def _pass_tier(
    router: Balancer,
    servers: list[Server],
    periods: list[list[tuple[float, float]]],
    belief: list[tuple[float, int, bool]],
    views: list[ServerView],
    arrival: np.ndarray,
    demand: np.ndarray,
    batch: _Batch,
    duration: float,
    hop: _Hop | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Route and serve one tier's requests (in the order the router sees them); (chosen, status,
    start, departure, arrival at the station). Without a ``hop`` a request reaches its station when
    the router sees it; with one, ``hop.forward`` seconds later."""
    n = len(arrival)
    if getattr(router, "uses_load", False):
        status = np.full(n, NO_SERVER, dtype=np.int8)
        start, departure = np.full(n, np.nan), np.full(n, np.nan)
        chosen = np.empty(n, dtype=np.int64)
        queues = [_Queue(s, p) for s, p in zip(servers, periods, strict=True)]
        here = Workload(arrival, demand, duration)
        if hop is not None:
            at = arrival.copy()
            _event_loop_geo(
                router,
                views,
                queues,
                here,
                belief,
                status,
                start,
                departure,
                chosen,
                at,
                hop,
                batch,
            )
            return chosen, status, start, departure, at
        if _overrides_route(router) or not run_load_aware(
            router, servers, periods, belief, here, status, start, departure, chosen
        ):
            _event_loop(
                router, views, queues, here, belief, status, start, departure, chosen, batch
            )
        return chosen, status, start, departure, arrival
    chosen = _dispatch(router, views, arrival, belief, batch)
    # Requests grouped by server (arrival order kept within a group), served in place, then put
    # back in arrival order in one move: one gather and one scatter per array for the whole run.
    if hop is None:
        at = arrival
        order = np.argsort(chosen, kind="stable")
    else:  # each reaches its station after its own trip: group by station, then by arrival there
        at = arrival + hop.forward(chosen)
        order = np.lexsort((at, chosen))
    bounds = np.searchsorted(chosen[order], np.arange(len(servers) + 1))
    by_arrival, by_demand = at[order], demand[order]
    by_status = np.full(n, REFUSED, dtype=np.int8)  # until an up period of its server takes it
    by_status[: bounds[0]] = NO_SERVER
    by_start, by_departure = np.full(n, np.nan), np.full(n, np.nan)
    for i, server in enumerate(servers):
        lo, hi = bounds[i], bounds[i + 1]
        _serve(
            server,
            periods[i],
            by_arrival[lo:hi],
            by_demand[lo:hi],
            by_status[lo:hi],
            by_start[lo:hi],
            by_departure[lo:hi],
        )
    status, start, departure = np.empty_like(by_status), np.empty(n), np.empty(n)
    status[order], start[order], departure[order] = by_status, by_start, by_departure
    return chosen, status, start, departure, at


def _tier_demand(tier: Tier, workload: Workload, rng: np.random.Generator) -> np.ndarray:
    """Seconds of work at ``tier`` for every request of the workload (drawn whether or not it comes)."""
    n = len(workload)
    if tier.cpu_time is None:
        return workload.demand
    if isinstance(tier.cpu_time, np.ndarray):
        if tier.cpu_time.shape != (n,):
            raise ValueError(
                f"tier {tier.name!r}: cpu_time as an array needs one value per request "
                f"({n}), got shape {tier.cpu_time.shape}"
            )
        return np.asarray(tier.cpu_time, dtype=float)
    return _demands(n, tier.cpu_time, tier.service, rng)


def _check_workload(workload: object) -> None:
    if not isinstance(workload, Workload):
        raise TypeError(
            f"workload must be a Workload (e.g. scalelab.sim.poisson(...)), got {type(workload).__name__}"
        )


def _checked_rng(rng: np.random.Generator | None) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng(0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(5), got {rng!r}"
        )
    return rng


#: From this many requests on, a run keeps the memory it frees for its next arrays (see below).
_BIG_RUN = 2_000_000


@contextlib.contextmanager
def _reusing_memory(n: int) -> Iterator[None]:
    """For a big run, let freed arrays' memory serve the next ones instead of going back to the OS.

    A run of 10⁷ requests makes gigabytes of short-lived arrays; glibc hands each back to the kernel
    and maps fresh pages for the next, and touching fresh pages cost more than half of the run's time
    (11.7 s → 7.7 s at 10⁷ with this). So, during the run only, large blocks come from the heap and
    free memory is kept (``mallopt``); afterwards the defaults are back and ``malloc_trim`` returns it.
    Elsewhere than Linux with glibc this does nothing.
    """
    libc = _glibc() if n >= _BIG_RUN else None
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 2**30 - 1)
    libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)  # glibc's defaults
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
        libc.malloc_trim(0)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (both must exist: glibc, not musl)
    except (OSError, AttributeError):
        return None
    return libc


def run_topology(
    topology: Topology, workload: Workload, rng: np.random.Generator | None = None
) -> PathResult:
    """Send every request along ``topology``'s tiers; see :meth:`Topology.run`."""
    _check_workload(workload)
    with _reusing_memory(len(workload)):
        return _run(topology, workload, _checked_rng(rng))


def _run(topology: Topology, workload: Workload, rng: np.random.Generator) -> PathResult:
    tiers = topology.tiers
    n, count = len(workload), len(tiers)
    node = np.full((count, n), -1, dtype=np.int64)
    tier_status = np.full((count, n), -1, dtype=np.int8)
    tier_arrival = np.full((count, n), np.nan)
    tier_start = np.full((count, n), np.nan)
    tier_departure = np.full((count, n), np.nan)
    status = np.full(n, NO_SERVER, dtype=np.int8)
    answered_by = np.full(n, -1, dtype=np.int64)
    stale = np.zeros(n, dtype=bool)
    kinds = workload.kind if workload.kind is not None else np.zeros(n, dtype=np.int8)
    lost_writes, apply_busy = 0, {}
    geo = _Geography(topology, workload)

    going = np.arange(n)
    arrives = workload.arrival
    for i, tier in enumerate(tiers):
        demand_all = _tier_demand(tier, workload, rng)
        if not len(going):
            break
        if i == 0:  # the workload's arrivals are sorted already
            idx, arrival = going, arrives
        else:
            order = np.argsort(arrives, kind="stable")
            idx, arrival = going[order], arrives[order]
        servers = tier.servers
        outages = list(topology.outages.get(tier.name, ()))
        periods = [up_periods(outages, j) for j in range(len(servers))]
        health = topology.health_checks.get(tier.name)
        belief = health.transitions(outages) if health else []
        router = tier.router if tier.router is not None else Direct()
        views = [ServerView(j, s.name, s.weight) for j, s in enumerate(servers)]
        router.reset(len(servers), rng)
        for view, server in zip(views, servers, strict=True):
            view.place = server.place
        batch = _Batch(
            idx,
            arrival,
            kinds[idx],
            None if workload.keys is None else workload.keys[idx],
            None if workload.session is None else workload.session[idx],
            None if workload.place is None else workload.place[idx],
            workload.places,
        )
        demand = demand_all[idx]
        hop = geo.hop(i, idx)
        if tier.replication is None:
            chosen, st, start, departure, arrival = _pass_tier(
                router,
                servers,
                periods,
                belief,
                views,
                arrival,
                demand,
                batch,
                workload.duration,
                hop,
            )
        else:
            horizon = workload.start + workload.duration
            run = _Replicated(
                tier, router, periods, belief, views, arrival, demand, batch, rng, horizon
            )
            chosen, st, start, departure = run.chosen, run.status, run.start, run.departure
            lost_writes += run.lost
            apply_busy[i] = run.apply_busy
            stale[idx] = run.stale()
        rows = slice(None) if i == 0 else idx  # every request reaches the first tier, in order
        node[i, rows], tier_status[i, rows] = chosen, st
        tier_arrival[i, rows], tier_start[i, rows], tier_departure[i, rows] = (
            arrival,
            start,
            departure,
        )

        served = st == OK
        if hop is not None:
            geo.crossed(i, idx, chosen, served, hop)
        ends = np.zeros(len(idx), dtype=bool)
        if tier.stage is not None:
            tier.stage.reset(len(servers), rng)
            if served.any() and hop is None:
                ends[served] = _visit(tier.stage, chosen[served], batch, np.flatnonzero(served))
            elif served.any():  # in the order they reached their nodes, seen at that time
                which = np.flatnonzero(served)
                which = which[np.argsort(arrival[which], kind="stable")]
                ends[which] = _visit(tier.stage, chosen[which], batch.at(arrival), which)
        if i == count - 1:
            ends |= served
        done = ends & served
        status[idx[done]], answered_by[idx[done]] = OK, i
        failed = ~served
        go_on = served & ~ends
        if tier.bypass_when_down and i < count - 1:
            go_on |= failed
            next_time = np.where(served, departure, batch.time)
        else:
            status[idx[failed]] = st[failed]
            next_time = departure
        going, arrives = idx[go_on], next_time[go_on]

    return PathResult(
        topology,
        workload,
        node,
        tier_status,
        tier_arrival,
        tier_start,
        tier_departure,
        status,
        answered_by,
        stale,
        lost_writes,
        apply_busy,
        *geo.result(status == OK),
    )


class _Geography:
    """Where each request is during a run, and the network seconds it has paid (see ``Topology``).

    Off (every method a no-op) unless a station of the topology has a place: then the run's places
    (the users' table, then the stations') get one matrix of round trips, each request's place starts
    at its user's (-1: none), and moves to each station with a place that serves it.
    """

    def __init__(self, topology: Topology, workload: Workload) -> None:
        n = len(workload)
        self.on = any(s.place is not None for t in topology.tiers for s in t.servers)
        if not self.on:
            return
        table = list(workload.places)
        for tier in topology.tiers:
            for s in tier.servers:
                if s.place is not None and s.place not in table:
                    table.append(s.place)
        self.rtt = topology.network.matrix(table, table)
        self.dst = [
            np.array([-1 if s.place is None else table.index(s.place) for s in t.servers])
            for t in topology.tiers
        ]
        self.tiers = topology.tiers
        self.n = n
        self.loc = (
            np.full(n, -1, dtype=np.int64)
            if workload.place is None
            else workload.place.astype(np.int64)
        )
        self.network, self.back = np.zeros(n), np.zeros(n)

    def _trips(self, i: int, idx: np.ndarray) -> int | np.ndarray:
        tier = self.tiers[i]
        trips = tier.round_trips
        if isinstance(trips, np.ndarray):
            if trips.shape != (self.n,):
                raise ValueError(
                    f"tier {tier.name!r}: round_trips as an array needs one value per request "
                    f"({self.n}), got shape {trips.shape}"
                )
            return trips[idx]
        return int(trips)

    def hop(self, i: int, idx: np.ndarray) -> _Hop | None:
        """The trip into tier ``i`` of the requests ``idx``, or None when it costs nothing."""
        if not self.on or not (self.dst[i] >= 0).any():
            return None
        src = self.loc[idx]
        if not (src >= 0).any():
            return None
        return _Hop(src, self.dst[i], self.rtt, self._trips(i, idx))

    def crossed(
        self, i: int, idx: np.ndarray, chosen: np.ndarray, served: np.ndarray, hop: _Hop
    ) -> None:
        """Record the trip into tier ``i`` of the requests it served, and move them there."""
        r = hop.round_trip(chosen)
        trips = hop.trips
        if not served.all():
            r, idx, chosen = r[served], idx[served], chosen[served]
            trips = trips if np.ndim(trips) == 0 else trips[served]
        self.network[idx] += trips * r
        self.back[idx] += 0.5 * r
        there = self.dst[i][chosen]
        self.loc[idx] = np.where(there >= 0, there, self.loc[idx])

    def result(self, ok: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(network seconds, way back seconds) of each answered request (NaN else), or Nones."""
        if not self.on:
            return None, None
        return np.where(ok, self.network, np.nan), np.where(ok, self.back, np.nan)


def _visit(stage: Stage, nodes: np.ndarray, batch: _Batch, which: np.ndarray) -> np.ndarray:
    """Ask the stage, in arrival order, whether each served request is answered at its node."""
    visit_many = getattr(stage, "visit_many", None)
    if visit_many is not None:
        answers = np.asarray(
            visit_many(
                nodes,
                None if batch.key is None else batch.key[which],
                batch.kind[which],
                batch.time[which],
            )
        )
        if answers.shape != (len(which),) or answers.dtype != bool:
            raise ValueError(
                f"visit_many must return one True/False per request ({len(which)}), "
                f"got {answers.dtype} of shape {answers.shape}"
            )
        return answers
    answers = []
    for j, k in zip(nodes.tolist(), which.tolist(), strict=True):
        answer = stage.visit(j, batch.view(k))
        if answer is not True and answer is not False and not isinstance(answer, np.bool_):
            raise ValueError(f"visit() must return True (answered here) or False, got {answer!r}")
        answers.append(bool(answer))
    return np.array(answers, dtype=bool)


class _Replicated:
    """One replicated tier: a primary, its replicas, the write log, the applies and the failover.

    With a router that decides without looking at lag or load (it has ``route_many`` or
    ``assign_many``) and no outage in the tier, the tier is solved in arrays: the primary's queue first
    (its departures are the commits), then each replica's queue with the applies merged in. Otherwise
    it runs one request at a time, so that the router sees each node's ``applied`` and ``lag`` as they
    are at that moment, and a dead primary can be replaced. Both give the same numbers where both apply.
    """

    def __init__(
        self,
        tier: Tier,
        router: Balancer,
        periods: list[list[tuple[float, float]]],
        belief: list[tuple[float, int, bool]],
        views: list[ServerView],
        arrival: np.ndarray,
        demand: np.ndarray,
        batch: _Batch,
        rng: np.random.Generator,
        horizon: float = math.inf,
    ) -> None:
        self.rep = tier.replication
        self.horizon = horizon  # applying counts as busy time up to the end of the run
        self.servers, self.periods, self.views = tier.servers, periods, views
        self.batch = batch
        m, n = len(tier.servers), len(arrival)
        self.chosen = np.full(n, -1, dtype=np.int64)
        self.status = np.full(n, NO_SERVER, dtype=np.int8)
        self.start, self.departure = np.full(n, np.nan), np.full(n, np.nan)
        self.apply_busy = np.zeros(m)
        self.lost = 0
        self.lags = np.random.default_rng(rng.integers(2**63))  # the replication's own stream
        for j, view in enumerate(views):
            view.role = "primary" if j == 0 else "replica"
        static = (
            not getattr(router, "uses_load", False)
            and (
                getattr(router, "route_many", None) is not None
                or getattr(router, "assign_many", None) is not None
            )
            and all(p == [(0.0, math.inf)] for p in periods)
            and not belief
        )
        if static:
            self._arrays(router, arrival, demand)
        else:
            self._loop(router, belief, arrival, demand)

    # -- the write log -------------------------------------------------------------------------

    def _apply_demand(self, demand: float) -> float:
        return demand if self.rep.apply_cost is None else float(self.rep.apply_cost)

    def stale(self) -> np.ndarray:
        """Per request: a read served where the latest committed write of its key was not yet visible."""
        n = len(self.status)
        keys = self.batch.key
        if keys is None or not len(self.commits):
            return np.zeros(n, dtype=bool)
        primary_now = self.chosen == self.final_primary
        # A read on the primary sees every committed write: when the primary never changed, only
        # reads elsewhere can be stale.
        reads = np.flatnonzero((self.status == OK) & (self.batch.kind != WRITE) & ~primary_now)
        keep = ~self.lost_mask
        w_pos = np.flatnonzero(keep)
        w_time, w_key = self.commits[keep], self.write_keys[keep]
        r_time, r_key = self.start[reads], keys[reads]
        # All writes and reads in one sequence ordered by key, then time, a write before a read at
        # the same instant; each read then looks back to the latest write of its own key.
        time = np.concatenate([w_time, r_time])
        key = np.concatenate([w_key, r_key])
        is_read = np.concatenate([np.zeros(len(w_time), bool), np.ones(len(r_time), bool)])
        order = np.lexsort((time, key))  # stable: writes (first) before reads at the same instant
        last = np.where(~is_read[order], np.arange(len(order)), -1)
        np.maximum.accumulate(last, out=last)
        at_read = np.flatnonzero(is_read[order])
        previous = last[at_read]
        read_id = order[at_read] - len(w_time)
        found = (previous >= 0) & (key[order[np.maximum(previous, 0)]] == key[order[at_read]])
        out = np.zeros(n, dtype=bool)
        rows = reads[read_id[found]]
        positions = w_pos[order[previous[found]]]
        out[rows] = self.visible[self.chosen[rows], positions] > self.start[rows]
        return out

    # -- in arrays -----------------------------------------------------------------------------

    def _arrays(self, router: Balancer, arrival: np.ndarray, demand: np.ndarray) -> None:
        m = len(self.servers)
        chosen = _dispatch(router, self.views, arrival, [], self.batch)
        self.chosen[:] = chosen
        self.final_primary = 0
        writes = self.batch.kind == WRITE
        wrong = writes & (chosen > 0)
        self.status[wrong] = READ_ONLY
        # The primary: its departures are the commits.
        mine = np.flatnonzero(chosen == 0)
        self.status[mine], self.start[mine], self.departure[mine] = self._served(
            0, arrival[mine], demand[mine]
        )
        committed = mine[(self.status[mine] == OK) & writes[mine]]
        commits = (
            np.maximum.accumulate(self.departure[committed]) if len(committed) else np.zeros(0)
        )
        self.commits, self.write_keys = commits, self._keys(committed)
        self.lost_mask = np.zeros(len(commits), dtype=bool)
        self.visible = np.full((m, len(commits)), np.inf)
        self.visible[0] = commits
        lags = self.lags.exponential(self.rep.mean_lag, (len(commits), m))
        if self.rep.apply_cost is None:
            cost = demand[committed]
        else:
            cost = np.full(len(committed), float(self.rep.apply_cost))
        for j in range(1, m):
            reads = np.flatnonzero((chosen == j) & ~wrong)
            applies = np.maximum.accumulate(commits + lags[:, j]) if len(commits) else commits
            times = np.concatenate([applies, arrival[reads]])
            order = np.argsort(times, kind="stable")  # stable: an apply before a read at a tie
            work = np.concatenate([cost, demand[reads]])[order]
            st, s, d = self._served(j, times[order], work)
            back = np.empty_like(order)
            back[order] = np.arange(len(order))
            a, r = back[: len(applies)], back[len(applies) :]
            self.status[reads], self.start[reads], self.departure[reads] = st[r], s[r], d[r]
            if len(applies):
                self.visible[j] = np.maximum.accumulate(d[a])
                end = self.horizon
                self.apply_busy[j] = float(np.sum(np.minimum(d[a], end) - np.minimum(s[a], end)))

    def _keys(self, rows: np.ndarray) -> np.ndarray:
        keys = self.batch.key
        return np.zeros(len(rows), dtype=np.int64) if keys is None else keys[rows]

    def _served(
        self, j: int, arrival: np.ndarray, demand: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(status, start, departure) of requests arriving at node ``j`` (arrivals sorted)."""
        st = np.full(len(arrival), REFUSED, dtype=np.int8)
        s, d = np.full(len(arrival), np.nan), np.full(len(arrival), np.nan)
        _serve(self.servers[j], self.periods[j], arrival, demand, st, s, d)
        return st, s, d

    # -- one request at a time -----------------------------------------------------------------

    def _loop(
        self,
        router: Balancer,
        belief: list[tuple[float, int, bool]],
        arrival: np.ndarray,
        demand: np.ndarray,
    ) -> None:
        m = len(self.servers)
        views, periods, rep = self.views, self.periods, self.rep
        queues = [_Queue(s, p) for s, p in zip(self.servers, periods, strict=True)]
        sees_request = _overrides_route(router)
        commits: list[float] = []
        write_rows: list[int] = []
        cost: list[float] = []
        lost: list[bool] = []
        source: list[int] = []  # the primary that committed each write
        visible: list[dict[int, float]] = [{} for _ in range(m)]
        done_at: list[list[float]] = [[] for _ in range(m)]  # apply completions, in order
        applied_order: list[list[int]] = [[] for _ in range(m)]  # which write each one was
        pending: list[list[tuple[float, int]]] = [[] for _ in range(m)]
        last_sent = [0.0] * m
        primary = 0
        told_down = math.inf  # when the router learnt that the primary is down
        b = 0

        def up_after(j: int, t: float) -> float:
            for lo, hi in periods[j]:
                if hi > t:
                    return max(lo, t)
            return math.inf

        def flush(j: int, t: float) -> None:
            heap = pending[j]
            while heap and heap[0][0] <= t:
                at, p = heapq.heappop(heap)
                if lost[p]:
                    continue
                if not _is_up(periods[source[p]], at):  # its primary died before sending it
                    again = up_after(source[p], at) if source[p] == primary else math.inf
                    if math.isfinite(again):
                        heapq.heappush(heap, (again, p))
                    continue
                st, s, d = queues[j].admit(at, cost[p])
                if st != OK:  # down: the replica catches up when it is back
                    again = up_after(j, at + 1e-9)
                    if math.isfinite(again):
                        heapq.heappush(heap, (again, p))
                    continue
                self.apply_busy[j] += min(d, self.horizon) - min(s, self.horizon)
                v = max(d, done_at[j][-1]) if done_at[j] else d
                visible[j][p] = v
                done_at[j].append(v)
                applied_order[j].append(p)

        def refresh(t: float) -> None:
            for j, view in enumerate(views):
                view.role = "primary" if j == primary else "replica"
                applied = bisect.bisect_right(done_at[j], t)
                view.applied = applied
                view.lag = 0.0
                if j == primary:
                    continue
                # The oldest write this node has not made visible yet: in flight, or queued.
                if applied < len(done_at[j]):
                    oldest = applied_order[j][applied]
                elif pending[j]:
                    oldest = pending[j][0][1]
                else:
                    continue
                if commits[oldest] <= t:
                    view.lag = t - commits[oldest]

        def failover(at: float) -> None:
            nonlocal primary, told_down
            told_down = math.inf
            old = primary
            if queues[old]._locate(at) or rep.promote is None:
                return
            for j in range(m):
                if j != old:
                    flush(j, at)
            refresh(at)
            candidates = [views[j] for j in range(m) if j != old]
            pick = rep.promote.choose(candidates)
            if pick is None:
                return
            if (
                isinstance(pick, bool)
                or not isinstance(pick, int | np.integer)
                or not any(v.index == pick for v in candidates)
            ):
                raise ValueError(
                    "promote.choose() must return the index of a replica "
                    f"({[v.index for v in candidates]}) or None, got {pick!r}"
                )
            new = int(pick)
            for p in range(len(commits)):  # what the new primary never received is gone
                if not lost[p] and p not in visible[new]:
                    lost[p] = True
                    self.lost += 1
            pending[new].clear()
            primary = new
            if not belief:  # the failover found it dead; nothing tells the router it came back
                views[old].healthy = False

        for k, (t, work) in enumerate(zip(arrival.tolist(), demand.tolist(), strict=True)):
            while b < len(belief) and belief[b][0] <= t:
                at, j, healthy = belief[b]
                views[j].healthy = healthy
                if j == primary and not healthy:
                    told_down = at
                b += 1
            if not belief and not queues[primary]._locate(t) and told_down == math.inf:
                # at the crash: the end of the last up period before t (0 if it was never up)
                told_down = max((hi for _, hi in periods[primary] if hi <= t), default=0.0)
            if t >= told_down + rep.failover_after:
                failover(told_down + rep.failover_after)
            for j in range(m):
                if j != primary:
                    flush(j, t)
            refresh(t)
            pick = router.route(self.batch.view(k), views) if sees_request else router.choose(views)
            if pick is None:
                continue
            if pick.__class__ is not int or not 0 <= pick < m:
                pick = int(_from_answers([pick], m, "route()" if sees_request else "choose()")[0])
            self.chosen[k] = pick
            is_write = self.batch.kind[k] == WRITE
            if is_write and pick != primary:
                self.status[k] = READ_ONLY
                continue
            st, s, d = queues[pick].admit(t, work)
            self.status[k], self.start[k], self.departure[k] = st, s, d
            if is_write and st == OK:
                p = len(commits)
                commit = max(d, commits[-1]) if commits else d
                commits.append(commit)
                write_rows.append(k)
                cost.append(self._apply_demand(work))
                lost.append(False)
                source.append(primary)
                visible[primary][p] = commit
                done_at[primary].append(commit)
                applied_order[primary].append(p)
                lags = self.lags.exponential(rep.mean_lag, m)
                for j in range(m):
                    if j != primary:
                        last_sent[j] = max(last_sent[j], commit + lags[j])
                        heapq.heappush(pending[j], (last_sent[j], p))
        for j in range(m):
            if j != primary:
                flush(j, math.inf)
        self.final_primary = 0 if primary == 0 else -1  # after a failover, any node may lag
        rows = np.array(write_rows, dtype=np.int64)
        self.commits = np.array(commits)
        self.write_keys = self._keys(rows)
        self.lost_mask = np.array(lost, dtype=bool)
        self.visible = np.full((m, len(commits)), np.inf)
        for j in range(m):
            for p, v in visible[j].items():
                self.visible[j, p] = v


def _is_up(periods: list[tuple[float, float]], t: float) -> bool:
    """Whether a station with these up periods is up at ``t``."""
    k = bisect.bisect_right(periods, (t, math.inf)) - 1
    return k >= 0 and periods[k][0] <= t < periods[k][1]
