"""Page views as requests on servers: one shared pool for everything, or a static tier and an API tier.

Each page view sends its shell, then its assets, then its API calls (:mod:`~scalelab.frontend.page`
counts them), each a request with its own work on a server:

* a **static** request holds a worker while the file goes out to the browser: a little CPU plus
  ``size / bandwidth`` of the user's connection. Connections differ a lot (a phone on a train, a
  fibre line), so this time has a long tail. A thread-per-connection server (Apache's prefork,
  a Python app server) keeps the worker for all of it;
* an **API** request is a short computation (10 ms by default, exponential).

Requests of a page view arrive in **rounds** one round trip (RTT) apart: over HTTP/1.1 at most 6 per
host at once, over HTTP/2 all of them in one round. So a page view is a burst of tens of requests.

:func:`serve` runs the same requests through one shared pool of workers (every request waits in
one line: an API call waits behind the page views' file transfers) or through two pools with the
same total workers (the front end serves files, the back end the API), on the engine's
:class:`~scalelab.sim.Topology` with a per-request ``cpu_time``. The API's tail latency is the
number to watch: chapter 02's demo and panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scalelab.frontend.page import (
    HTTP1_CONNECTIONS,
    HTTP2_STREAMS,
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


@dataclass(frozen=True)
class PageTraffic:
    """The requests of many page views, in arrival order, and which of them are API calls."""

    workload: Workload
    is_api: np.ndarray
    page_views: int
    duration: float

    def rate(self, api: bool) -> float:
        """Requests per second to the API (``True``) or to the static files (``False``)."""
        return float(np.count_nonzero(self.is_api == api)) / self.duration


def synthetic_page(requests: int, static_share: float, size_kb: float = 37.0) -> PageManifest:
    """A page of ``requests`` requests, ``static_share`` of them static (the shell included), every
    asset fingerprinted and ``size_kb`` large (2,652 KB / 71 requests ≈ 37 KB for the median page)."""
    positive_int("requests", requests)
    if not 0 < static_share <= 1:
        raise ValueError(f"static_share must be in (0, 1], got {static_share}")
    static = max(1, round(requests * static_share))
    assets = tuple(Asset(f"/static/a{i}.{i:06x}.js", "js", size_kb) for i in range(static - 1))
    api = tuple(f"/api/call-{j}" for j in range(requests - static))
    return PageManifest(Asset("/", "html", size_kb, fingerprinted=False), assets, api)


def _fetched(manifest: PageManifest, returning: bool) -> list[Asset]:
    """The static files one page view asks for: all of them, or the shell and the unfingerprinted."""
    cached = manifest.first_visit_cache() if returning else set()
    return [manifest.shell] + [
        a for a in manifest.assets if not (a.fingerprinted and a.path in cached)
    ]


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
    """
    positive("rate", rate)
    positive("duration", duration)
    at_least_zero("returning_share", returning_share, "a share between 0 and 1")
    if returning_share > 1:
        raise ValueError(f"returning_share must be between 0 and 1, got {returning_share}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    width = HTTP1_CONNECTIONS if protocol == "HTTP/1.1" else HTTP2_STREAMS
    views = rng.poisson(rate * duration)
    starts = np.sort(rng.uniform(0, duration, views))
    returning = rng.random(views) < returning_share
    speed = bandwidth_kb_s * np.exp(rng.normal(0, BANDWIDTH_SIGMA, views))
    arrival, demand, is_api = [], [], []
    for warm in (False, True):
        who = np.flatnonzero(returning == warm)
        if not len(who):
            continue
        files = _fetched(manifest, warm)
        sizes = np.array([a.size_kb for a in files])
        n_api = count_requests(manifest, manifest.first_visit_cache() if warm else ())["api"]
        # The shell at the start; the assets in rounds after it; the API calls once the script ran.
        rounds = np.r_[0, 1 + np.arange(len(files) - 1) // width]
        api_rounds = 1 + math.ceil((len(files) - 1) / width) + np.arange(n_api) // width
        offsets = rtt * np.r_[rounds, api_rounds] + rng.uniform(
            0, rtt / 5, (len(who), len(files) + n_api)
        )
        arrival.append((starts[who, None] + offsets).ravel())
        transfer = STATIC_CPU + sizes[None, :] / speed[who, None]
        work = np.hstack([transfer, rng.exponential(api_time, (len(who), n_api))])
        demand.append(work.ravel())
        is_api.append(np.tile(np.r_[np.zeros(len(files), bool), np.ones(n_api, bool)], len(who)))
    if not arrival:
        empty = np.zeros(0)
        return PageTraffic(Workload(empty, empty, float(duration)), np.zeros(0, bool), 0, duration)
    arrival_all, demand_all = np.concatenate(arrival), np.concatenate(demand)
    order = np.argsort(arrival_all, kind="stable")
    span = float(max(duration, arrival_all.max() + 1e-9))
    workload = Workload(arrival_all[order], demand_all[order], span)
    return PageTraffic(workload, np.concatenate(is_api)[order], int(views), float(duration))


@dataclass(frozen=True)
class Served:
    """What the users saw: latency percentiles per kind of request, and each pool's utilisation."""

    layout: dict[str, int]
    p50: dict[str, float]
    p99: dict[str, float]
    utilisation: dict[str, float]
    rate: dict[str, float]
    result: PathResult | None = None

    def summary(self) -> str:
        pools = ", ".join(
            f"{name} {workers} workers {self.utilisation[name]:.0%} busy"
            for name, workers in self.layout.items()
        )
        return (
            f"{pools}; API p99 {1000 * self.p99['api']:,.0f} ms, "
            f"static p99 {1000 * self.p99['static']:,.0f} ms"
        )


def _pool(traffic: PageTraffic, mask: np.ndarray, workers: int, name: str) -> PathResult:
    workload = traffic.workload.rows(mask)
    topology = Topology(
        [Tier(name, [Server(workers=workers, name=name)], cpu_time=workload.demand)]
    )
    return topology.run(workload, rng=np.random.default_rng(0))


def serve(traffic: PageTraffic, workers: int = 64, api_workers: int | None = None) -> Served:
    """Serve ``traffic`` on ``workers`` worker threads: all in one shared pool (``api_workers=None``),
    or ``workers − api_workers`` for the static files and ``api_workers`` for the API."""
    positive_int("workers", workers)
    everything = np.ones(len(traffic.is_api), bool)
    api, static = traffic.is_api, ~traffic.is_api
    demand = traffic.workload.demand
    seconds = traffic.workload.duration
    rate = {"static": traffic.rate(False), "api": traffic.rate(True)}
    if api_workers is None:
        result = _pool(traffic, everything, workers, "shared")
        runs = {"static": (result, static), "api": (result, api)}  # one line, told apart by a mask
        layout = {"shared": workers}
        busy = {"shared": float(demand.sum()) / (seconds * workers)}
    else:
        positive_int("api_workers", api_workers)
        if api_workers >= workers:
            raise ValueError(
                f"api_workers must leave the static tier at least one of the {workers} workers, "
                f"got {api_workers}"
            )
        layout = {"static": workers - api_workers, "api": api_workers}
        runs, busy, result = {}, {}, None
        for name, mask in (("static", static), ("api", api)):
            runs[name] = (_pool(traffic, mask, layout[name], name), None)
            busy[name] = float(demand[mask].sum()) / (seconds * layout[name])
    pct = {k: [run.percentile(q, where=mask) for q in (50, 99)] for k, (run, mask) in runs.items()}
    return Served(
        layout,
        {k: float(v[0]) for k, v in pct.items()},
        {k: float(v[1]) for k, v in pct.items()},
        busy,
        rate,
        result,
    )
