"""A slow, obviously correct simulator of the servers, written apart from ``scalelab.sim``.

It reads nothing of the library but the plain data it is given (arrival and demand lists, each
request's server, each server's workers, speed and queue limit, the outages as (server, start, end)
triples), and follows the rules stated in ``scalelab.Server`` and ``scalelab.Outage`` one request at
a time, in the most literal way:

* a server is down from an outage's start (included) until its end (excluded); a request arriving
  then is refused;
* when it crashes, every request inside (served or waiting) is lost; it comes back with an empty queue;
* inside, requests are served first come first served by the worker that frees up first, each for
  demand ÷ speed seconds;
* with a queue limit q, a request that finds workers + q requests inside is dropped.

The tests compare the library's per-request outcomes and latencies with these.
"""

from __future__ import annotations

import math

OK, REFUSED, LOST, DROPPED = "ok", "refused", "lost", "dropped"


def _down(outages: list[tuple[int, float, float]], server: int, t: float) -> bool:
    return any(s == server and start <= t < end for s, start, end in outages)


def _up_period(
    outages: list[tuple[int, float, float]], server: int, t: float
) -> tuple[float, float]:
    """The up period around ``t`` (the server is up at ``t``): from the last recovery at or before
    ``t`` to the next crash after it. No outage covers ``t``, so each one lies wholly before or after."""
    mine = [(start, end) for s, start, end in outages if s == server]
    since = max([end for start, end in mine if end <= t], default=0.0)
    until = min([start for start, end in mine if start > t], default=math.inf)
    return since, until


def simulate(
    arrival: list[float],
    demand: list[float],
    chosen: list[int],
    servers: list[tuple[int, float, int | None]],
    outages: list[tuple[int, float, float]],
) -> list[tuple[str, float]]:
    """(outcome, latency) of each request; latency is NaN unless the outcome is OK.

    ``servers`` holds (workers, speed, queue_limit) per server, ``chosen`` the server of each request.
    """
    state = {}  # server -> (up period, [when each worker is next free], [departures of those inside])
    out = []
    for t, work, k in zip(arrival, demand, chosen, strict=True):
        workers, speed, limit = servers[k]
        if _down(outages, k, t):
            out.append((REFUSED, math.nan))
            continue
        period = _up_period(outages, k, t)
        if k not in state or state[k][0] != period:  # first request, or back from a crash
            state[k] = (period, [period[0]] * workers, [])
        _, free, inside = state[k]
        inside[:] = [d for d in inside if d > t]  # who has left by now
        if limit is not None and len(inside) >= workers + limit:
            out.append((DROPPED, math.nan))
            continue
        worker = min(range(workers), key=lambda w: free[w])
        start = max(t, free[worker])
        done = start + work / speed
        free[worker] = done
        inside.append(done)
        if done > period[1]:  # still inside when the server crashed
            out.append((LOST, math.nan))
        else:
            out.append((OK, done - t))
    return out
