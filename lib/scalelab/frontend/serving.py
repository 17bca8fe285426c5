"""Page views as requests on servers: one shared pool for everything, or a static tier and an API tier.

Each page view sends its shell, then its assets, then its API calls (:mod:`~scalelab.frontend.page`
counts them), each a request with its own work on a server:

* a **static** request holds a worker while the file goes out to the browser: a little CPU plus
  ``size / bandwidth`` of the user's connection. Connections differ a lot (a phone on a train, a
  fibre line), so this time has a long tail. A thread-per-connection server (Apache's prefork,
  a Python app server) keeps the worker for all of it;
* an **API** request is a short computation (10 ms by default, exponential).

A browser sends a page view's requests on **connections**: over HTTP/1.1 at most 6 per host, each
carrying one request at a time (the next goes out an RTT after the previous file would have arrived),
over HTTP/2 all at once on one connection (:func:`page_views` says what this ignores). So a page view
is a burst of tens of requests, over HTTP/1.1 at most 6 at a time per host. :func:`page_views` times
them as if the server answered at once (an open model: under a queue it piles up to every file of a
page view at once, :func:`most_at_server`); :func:`closed_loop` replays them with each browser waiting
for its answers, so a slow server slows the browsers down.

:func:`serve` runs the same requests through one shared pool of workers (every request waits in
one line: an API call waits behind the page views' file transfers) or through two pools with the
same total workers (the front end serves files, the back end the API), on the engine's
:class:`~scalelab.sim.Topology` with a per-request ``cpu_time``; :func:`compare` does both at several
loads, the median over seeds. The API's tail latency is the number to watch: at moderate load over
HTTP/1.1 one shared pool serves it as well as a split (pooling; HTTP/2's bursts break this), a surge
that saturates the shared pool makes the API wait behind the files, while the split keeps the API's
pool at its own load (chapter 02's demo and panel).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scalelab.frontend.page import (
    HTTP1_CONNECTIONS,
    HTTP2_STREAMS,
    MEDIAN_PAGE_KB,
    PROTOCOLS,
    Asset,
    PageManifest,
    count_requests,
)
from scalelab.sim import PathResult, Server, Tier, Topology, Workload
from scalelab.validate import at_least_zero, positive, positive_int

RTT = 0.050
"""Seconds of one round trip between the browser and the servers."""
BANDWIDTH_KB_S = 1_250.0
"""The median user's download speed, KB/s (10 Mbit/s); users spread around it (lognormal, σ = 1)."""
BANDWIDTH_SIGMA = 1.0
STATIC_CPU = 0.0005
"""CPU seconds to find and start sending a file, before the transfer itself."""
API_TIME = 0.010
"""Mean seconds of work per API call."""
API_TARGET_S = 0.200
"""The API's own p99 target, seconds. A click in an SPA waits for one API call, then redraws: to feel
immediate it must answer within a couple of hundred milliseconds (0.1 s for "instantaneous", Jakob
Nielsen, "Response Times: The 3 Important Limits", nngroup.com; plus the network's round trip). A whole
page view, shell and files included, keeps chapter 01's 500–700 ms target. The p99 :func:`serve`
measures is server-side (arrival to answer): it leaves out the round trip this target includes."""


@dataclass(frozen=True)
class PageTraffic:
    """The requests of many page views, in arrival order, and which of them are API calls."""

    workload: Workload
    is_api: np.ndarray
    page_views: int
    duration: float
    view: np.ndarray
    """Which page view (0, 1, …, in order of their start) sent each request."""
    batch: np.ndarray | None = None
    """0 for the shell, 1 for an asset, 2 for an API call (what :func:`closed_loop` replays)."""
    slot: np.ndarray | None = None
    """Each request's place in its batch (0, 1, …): slot ``i`` goes on connection ``i % width``."""
    send_gap: np.ndarray | None = None
    """Seconds between what lets a request go (its batch's start, or the answer before it on its
    connection) and its sending: an RTT with jitter."""
    width: int = HTTP1_CONNECTIONS
    """Requests a browser has in flight per host: 6 connections, or HTTP/2's streams."""

    def rate(self, api: bool) -> float:
        """Requests per second to the API (``True``) or to the static files (``False``)."""
        return float(np.count_nonzero(self.is_api == api)) / self.duration


def synthetic_page(
    requests: int, static_share: float, size_kb: float | None = None
) -> PageManifest:
    """A page of ``requests`` requests, ``static_share`` of them static (the shell included), every
    asset fingerprinted and ``size_kb`` large; by default the median page's weight over its static
    requests (2,652 KB / 66 ≈ 40.2 KB for 71 requests, 93% static): the API's answers weigh little,
    so the static files carry the page's bytes."""
    positive_int("requests", requests)
    if not 0 < static_share <= 1:
        raise ValueError(f"static_share must be in (0, 1], got {static_share}")
    static = max(1, round(requests * static_share))
    if size_kb is None:
        size_kb = MEDIAN_PAGE_KB / static
    assets = tuple(Asset(f"/static/a{i}.{i:06x}.js", "js", size_kb) for i in range(static - 1))
    api = tuple(f"/api/call-{j}" for j in range(requests - static))
    return PageManifest(Asset("/", "html", size_kb, fingerprinted=False), assets, api)


def _fetched(manifest: PageManifest, returning: bool) -> list[Asset]:
    """The static files one page view asks for: all of them, or the shell and the unfingerprinted."""
    cached = manifest.first_visit_cache() if returning else set()
    return [manifest.shell] + [
        a for a in manifest.assets if not (a.fingerprinted and a.path in cached)
    ]


MAX_REQUESTS = 2_000_000
"""Requests :func:`page_views` simulates at most (a few seconds of work and some hundred MB)."""


def _chains(
    start: np.ndarray, work: np.ndarray, width: int, gap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Send times of ``work``'s columns on ``width`` connections per row, and when the last one ends.

    Column ``i`` goes on connection ``i % width``; a connection's first request is sent at ``start``,
    each next one when the one before it would have finished plus an RTT (``gap``, per request).
    """
    sent = np.empty_like(work)
    free = np.repeat(start[:, None], min(width, max(work.shape[1], 1)), axis=1)
    for i in range(work.shape[1]):
        c = i % width
        sent[:, i] = free[:, c] + (gap[:, i] if i >= width else 0.0)
        free[:, c] = sent[:, i] + work[:, i]
    return sent, free.max(axis=1) if work.shape[1] else start


def page_views(
    rate: float,
    duration: float,
    manifest: PageManifest,
    rng: np.random.Generator,
    returning_share: float = 0.0,
    protocol: str = "HTTP/1.1",
    rtt: float = RTT,
    bandwidth_kb_s: float = BANDWIDTH_KB_S,
    api_time: float = API_TIME,
) -> PageTraffic:
    """Poisson page views at ``rate`` per second for ``duration`` seconds, as requests.

    ``returning_share`` of the views come from a browser that has the page cached
    (:func:`~scalelab.frontend.page.count_requests` with a warm cache).

    How one browser sends its requests. The shell first; one RTT after it has arrived, the assets;
    one RTT after the last asset has arrived (the script ran), the API calls, on the API's host.
    Over HTTP/1.1 a browser keeps at most 6 connections per host, each carrying one request at a
    time: the assets go out on 6 **connection chains**, and on each the next request is sent one
    RTT after the previous one's transfer would have finished. So at most 6 requests per host are
    in flight. Over HTTP/2 every asset (then every API call) goes out at once, as streams of one
    connection. Each RTT gets a random fifth on top (the network's jitter).

    What it ignores: the chains are timed by each request's *own* work, not by when the server
    actually answered it, so a queue at the server does not slow the browser's next request. While
    the server keeps up, one browser has at most 6 requests per host at the server; when requests
    queue, this open model keeps sending, up to every file of a page view waiting at once
    (:func:`most_at_server` counts them), which overstates the pile-up: a real browser would wait,
    and send less while the server is slow. ``serve(..., closed=True)`` replays the same requests
    with the browsers waiting (:func:`closed_loop`). The 6 parallel transfers do not share the user's
    bandwidth, so a link-limited user's file holds a worker up to 6 times shorter than it would:
    this favours the pools (a real pool saturates at fewer page views). The browser parses and runs
    nothing in zero time.
    """
    positive("rate", rate)
    positive("duration", duration)
    at_least_zero("returning_share", returning_share, "a share between 0 and 1")
    if returning_share > 1:
        raise ValueError(f"returning_share must be between 0 and 1, got {returning_share}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if not isinstance(manifest, PageManifest):
        raise ValueError(f"manifest must be a PageManifest, got {type(manifest).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "rng must be a numpy Generator such as np.random.default_rng(1), "
            f"got {type(rng).__name__}"
        )
    positive("rtt", rtt)
    positive("bandwidth_kb_s", bandwidth_kb_s)
    positive("api_time", api_time)
    per_view = 1 + len(manifest.assets) + len(manifest.api_calls)
    if rate * duration * per_view > MAX_REQUESTS:
        raise ValueError(
            f"rate × duration × requests per page view must be at most {MAX_REQUESTS:,} requests "
            f"to simulate, got {rate:g} × {duration:g} × {per_view} = {rate * duration * per_view:,.0f}"
        )
    width = HTTP1_CONNECTIONS if protocol == "HTTP/1.1" else HTTP2_STREAMS
    views = rng.poisson(rate * duration)
    starts = np.sort(rng.uniform(0, duration, views))
    returning = rng.random(views) < returning_share
    speed = bandwidth_kb_s * np.exp(rng.normal(0, BANDWIDTH_SIGMA, views))
    arrival, demand, is_api, view, batch, slot, send_gap = [], [], [], [], [], [], []
    for warm in (False, True):
        who = np.flatnonzero(returning == warm)
        if not len(who):
            continue
        files = _fetched(manifest, warm)
        sizes = np.array([a.size_kb for a in files])
        n_api = count_requests(manifest, manifest.first_visit_cache() if warm else ())["api"]
        n, n_assets = len(who), len(files) - 1
        transfer = STATIC_CPU + sizes[None, :] / speed[who, None]
        api_work = rng.exponential(api_time, (n, n_api))
        gap = rtt * (1 + rng.uniform(0, 0.2, (n, n_assets + n_api + 2)))
        shell_end = starts[who] + transfer[:, 0]
        assets_sent, assets_end = _chains(
            shell_end + gap[:, 0], transfer[:, 1:], width, gap[:, 2 : 2 + n_assets]
        )
        api_sent, _ = _chains(assets_end + gap[:, 1], api_work, width, gap[:, 2 + n_assets :])
        arrival.append(np.hstack([starts[who, None], assets_sent, api_sent]).ravel())
        demand.append(np.hstack([transfer, api_work]).ravel())
        is_api.append(np.tile(np.r_[np.zeros(len(files), bool), np.ones(n_api, bool)], n))
        view.append(np.repeat(who, len(files) + n_api))
        batch.append(np.tile(np.r_[0, np.ones(n_assets, int), np.full(n_api, 2)], n))
        slot.append(np.tile(np.r_[0, np.arange(n_assets), np.arange(n_api)], n))
        first_a, first_p = np.arange(n_assets) < width, np.arange(n_api) < width
        gap_a = np.where(first_a[None, :], gap[:, :1], gap[:, 2 : 2 + n_assets])
        gap_p = np.where(first_p[None, :], gap[:, 1:2], gap[:, 2 + n_assets :])
        send_gap.append(np.hstack([np.zeros((n, 1)), gap_a, gap_p]).ravel())
    if not arrival:
        empty = np.zeros(0)
        return PageTraffic(
            Workload(empty, empty, float(duration)),
            np.zeros(0, bool),
            0,
            float(duration),
            np.zeros(0, int),
        )
    arrival_all, demand_all = np.concatenate(arrival), np.concatenate(demand)
    order = np.argsort(arrival_all, kind="stable")
    span = float(max(duration, arrival_all.max() + 1e-9))
    workload = Workload(arrival_all[order], demand_all[order], span)
    return PageTraffic(
        workload,
        np.concatenate(is_api)[order],
        int(views),
        float(duration),
        np.concatenate(view)[order],
        np.concatenate(batch)[order],
        np.concatenate(slot)[order],
        np.concatenate(send_gap)[order],
        width,
    )


def most_at_server(
    traffic: PageTraffic, served: Served | None = None, api: bool = False
) -> np.ndarray:
    """For each page view, the most of its requests to one host (the static files, or the API's with
    ``api=True``) at the server at once: sent, and not yet answered (waiting or being served).

    ``served`` is what :func:`serve` made of ``traffic`` (its arrivals and latencies: the open model's
    or the closed loop's); ``None`` takes the open model's arrivals and each request's own work, the
    time it would take with no queue. A page view with no such request counts 0.
    """
    if not isinstance(traffic, PageTraffic):
        raise ValueError(
            f"traffic must be a PageTraffic from page_views(), got {type(traffic).__name__}"
        )
    w = traffic.workload
    if served is None:
        sent, took = w.arrival, w.demand
    elif (
        isinstance(served, Served)
        and served.latency is not None
        and len(served.latency) == len(w.arrival)
    ):
        sent, took = served.arrival, served.latency
    else:
        raise ValueError(f"served must be what serve() made of this traffic, got {served!r:.60}")
    mine = traffic.is_api == api
    arrival, view = sent[mine], traffic.view[mine]
    times = np.r_[arrival, arrival + took[mine]]
    steps = np.r_[np.ones(len(arrival), np.int64), -np.ones(len(arrival), np.int64)]
    views = np.r_[view, view]
    order = np.lexsort((steps, times, views))  # by view, then time; an answer before a send
    count = np.cumsum(steps[order])  # each view's sends and answers cancel out: 0 between views
    most = np.zeros(traffic.page_views, np.int64)
    np.maximum.at(most, views[order], count)
    return most


@dataclass(frozen=True)
class Served:
    """What the users saw: latency percentiles per kind of request, and each pool's utilisation."""

    layout: dict[str, int]
    p50: dict[str, float]
    p99: dict[str, float]
    utilisation: dict[str, float]
    rate: dict[str, float]
    result: PathResult | None = None
    arrival: np.ndarray | None = None
    """When each request of the traffic (in its order) reached the server: the open model's arrival,
    or the closed loop's (:func:`closed_loop`)."""
    latency: np.ndarray | None = None
    """Seconds from each request's arrival to its answer, in the traffic's order."""

    def summary(self) -> str:
        pools = ", ".join(
            f"{name} {workers} workers {self.utilisation[name]:.0%} "
            f"offered load{', overloaded' if self.utilisation[name] >= 1 else ''}"
            for name, workers in self.layout.items()
        )
        tails = ", ".join(
            f"{kind} p99 " + ("no requests" if math.isnan(v) else f"{1000 * v:,.0f} ms")
            for kind, v in (("API", self.p99["api"]), ("static", self.p99["static"]))
        )
        return f"{pools}; {tails}"


def _pool(traffic: PageTraffic, mask: np.ndarray, workers: int, name: str) -> PathResult:
    workload = traffic.workload.rows(mask)
    topology = Topology(
        [Tier(name, [Server(workers=workers, name=name)], cpu_time=workload.demand)]
    )
    return topology.run(workload, rng=np.random.default_rng(0))


def closed_loop(
    traffic: PageTraffic, workers: int = 64, api_workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Replay ``traffic``'s page views against the servers' real answers: (arrival, departure) of each
    request, in the traffic's order.

    The pools are first-come first-served, ``workers`` shared or split as in :func:`serve`. Each
    browser sends its shell when its page view starts; the shell's first ``width`` assets a
    ``send_gap`` (an RTT) after the shell's answer; each next asset on a connection a ``send_gap``
    after the answer before it on that connection (HTTP/2: all at once); the API calls the same way
    once the last asset is answered. So one browser never has more than ``width`` requests per host at
    the server, however long the queue: a slow server slows the browsers down.
    """
    if traffic.batch is None or traffic.slot is None or traffic.send_gap is None:
        raise ValueError("traffic must come from page_views(), which records each request's batch")
    n = len(traffic.is_api)
    view, batch = traffic.view, traffic.batch
    order = np.lexsort((traffic.slot, batch, view))
    key = (view * 3 + batch)[order]
    cut = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    groups = {int(key[lo]): order[lo:hi].tolist() for lo, hi in zip(cut[:-1], cut[1:], strict=True)}
    demand = traffic.workload.demand.tolist()
    gap = traffic.send_gap.tolist()
    slot, kind, who = traffic.slot.tolist(), batch.tolist(), view.tolist()
    if api_workers is None:
        free, pool_of = [[0.0] * workers], [0] * n
    else:
        free = [[0.0] * (workers - api_workers), [0.0] * api_workers]
        pool_of = traffic.is_api.astype(int).tolist()
    width = traffic.width
    shells = order[batch[order] == 0]
    events = list(zip(traffic.workload.arrival[shells].tolist(), shells.tolist(), strict=True))
    heapq.heapify(events)
    arrival, departure = [math.nan] * n, [math.nan] * n
    left: dict[int, int] = {}
    last: dict[int, float] = {}
    push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace

    def send(ids: list[int], at: float) -> None:
        for i in ids[:width]:
            push(events, (at + gap[i], i))

    while events:
        t, r = pop(events)
        arrival[r] = t
        line = free[pool_of[r]]
        done = max(t, line[0]) + demand[r]
        replace(line, done)
        departure[r] = done
        v, b = who[r], kind[r]
        if b == 0:
            assets = groups.get(v * 3 + 1)
            if assets:
                left[v], last[v] = len(assets), done
                send(assets, done)
            else:
                send(groups.get(v * 3 + 2, []), done)
            continue
        mine = groups[v * 3 + b]
        k = slot[r] + width
        if k < len(mine):
            push(events, (done + gap[mine[k]], mine[k]))
        if b == 1:
            left[v] -= 1
            last[v] = max(last[v], done)
            if not left[v]:
                send(groups.get(v * 3 + 2, []), last[v])
    return np.array(arrival), np.array(departure)


def serve(
    traffic: PageTraffic,
    workers: int = 64,
    api_workers: int | None = None,
    closed: bool = False,
) -> Served:
    """Serve ``traffic`` on ``workers`` worker threads: all in one shared pool (``api_workers=None``),
    or ``workers − api_workers`` for the static files and ``api_workers`` for the API.

    ``closed=False`` takes the requests as :func:`page_views` timed them (an open model: a queue does
    not slow the browsers); ``closed=True`` replays them with each browser waiting for its answers
    (:func:`closed_loop`). A kind of request with no requests at all has ``nan`` percentiles (its
    summary says "no requests"). Utilisation is the offered load: work per second over workers, above
    1 when the pool is overloaded.
    """
    if not isinstance(traffic, PageTraffic):
        raise ValueError(
            f"traffic must be a PageTraffic from page_views(), got {type(traffic).__name__}"
        )
    positive_int("workers", workers)
    if api_workers is not None:
        positive_int("api_workers", api_workers)
        if api_workers >= workers:
            raise ValueError(
                f"api_workers must leave the static tier at least one of the {workers} workers, "
                f"got {api_workers}"
            )
    api, static = traffic.is_api, ~traffic.is_api
    demand = traffic.workload.demand
    seconds = traffic.duration  # offered load: the work of the page views begun in `duration`
    rate = {"static": traffic.rate(False), "api": traffic.rate(True)}
    if api_workers is None:
        layout = {"shared": workers}
        busy = {"shared": float(demand.sum()) / (seconds * workers)}
    else:
        layout = {"static": workers - api_workers, "api": api_workers}
        busy = {
            k: float(demand[m].sum()) / (seconds * layout[k])
            for k, m in (("static", static), ("api", api))
        }
    result = None
    if closed:
        arrival, departure = closed_loop(traffic, workers, api_workers)
        latency = departure - arrival
    else:
        arrival, latency = traffic.workload.arrival, np.full(len(api), math.nan)
        if api_workers is None:
            result = _pool(traffic, np.ones(len(api), bool), workers, "shared")
            latency = result.latency
        else:
            for name, mask in (("static", static), ("api", api)):
                if mask.any():
                    latency[mask] = _pool(traffic, mask, layout[name], name).latency
    pct = {
        k: [float(np.percentile(latency[m], q)) if m.any() else math.nan for q in (50, 99)]
        for k, m in (("static", static), ("api", api))
    }
    return Served(
        layout,
        {k: v[0] for k, v in pct.items()},
        {k: v[1] for k, v in pct.items()},
        busy,
        rate,
        result,
        arrival,
        latency,
    )


@dataclass(frozen=True)
class Comparison:
    """One load of :func:`compare`: the median over seeds of each layout's p99 and utilisation."""

    page_views: float
    static_rate: float
    api_rate: float
    busy: float
    """The shared pool's offered load (work per second / workers): above 1, it is overloaded."""
    static_busy: float
    """The split's static tier's offered load (the files' work per second / its workers): the files
    lose the API's workers, so it runs hotter than the shared pool (:attr:`busy`)."""
    p99: dict[str, dict[str, float]]
    """``p99[layout][kind]``, seconds: layout "shared" or "split", kind "api" or "static"."""


def compare(
    rates: Sequence[float],
    manifest: PageManifest,
    seeds: Sequence[int] = (1, 2, 3, 4, 5),
    duration: float = 30.0,
    workers: int = 64,
    api_workers: int = 4,
    protocol: str = "HTTP/1.1",
    closed: bool = True,
) -> list[Comparison]:
    """The same page views on one shared pool and on a split, at each of ``rates`` page views per
    second, each the median over ``seeds`` (one run's tail depends on a few slow users: one seed
    alone can mislead). ``closed``: each browser waits for its answers (:func:`closed_loop`), or
    the open model's timing (``False``)."""
    if not len(seeds):
        raise ValueError("seeds must name at least one seed, got none")
    rows = []
    for rate in rates:
        runs = []
        for seed in seeds:
            traffic = page_views(
                rate, duration, manifest, np.random.default_rng(seed), 0.0, protocol
            )
            shared = serve(traffic, workers, closed=closed)
            split = serve(traffic, workers, api_workers, closed=closed)
            runs.append((traffic, shared, split))
        med = lambda values: float(np.median(values))  # noqa: E731
        rows.append(
            Comparison(
                float(rate),
                med([t.rate(False) for t, _, _ in runs]),
                med([t.rate(True) for t, _, _ in runs]),
                med([s.utilisation["shared"] for _, s, _ in runs]),
                med([p.utilisation["static"] for _, _, p in runs]),
                {
                    name: {k: med([r[i].p99[k] for r in runs]) for k in ("api", "static")}
                    for i, name in ((1, "shared"), (2, "split"))
                },
            )
        )
    return rows
