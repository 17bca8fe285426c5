"""Test fixtures for database routers: a replicated tier as a router sees it, and requests to route.

Chapter 06's exercise and its tests call these to try a router or a promotion rule without running
the simulator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scalelab.check import time_limit
from scalelab.sim.route import Balancer, RequestView, ServerView
from scalelab.sim.workload import READ, WRITE


def nodes(
    lags: Sequence[float],
    healthy: Sequence[bool] | None = None,
    applied: Sequence[int] | None = None,
    primary: int | None = 0,
) -> list[ServerView]:
    """Views of a replicated tier: node ``primary`` is the primary, the others replicas.

    ``lags[i]`` is node i's replication lag in seconds (the primary's is taken as 0), ``healthy[i]``
    whether it is up (default: all up), ``applied[i]`` its log position (default 0). ``primary=None``
    gives a tier whose primary has failed and not been replaced: every node a replica.
    """
    n = len(lags)
    healthy = [True] * n if healthy is None else list(healthy)
    applied = [0] * n if applied is None else list(applied)
    if len(healthy) != n or len(applied) != n:
        raise ValueError(
            f"need one value per node: {n} lags, {len(healthy)} healthy flags, {len(applied)} positions"
        )
    views = []
    for i in range(n):
        role = "primary" if i == primary else "replica"
        name = "primary" if role == "primary" else f"replica-{i}"
        lag = 0.0 if role == "primary" else float(lags[i])
        views.append(
            ServerView(i, name, healthy=bool(healthy[i]), role=role, applied=applied[i], lag=lag)
        )
    return views


def read(time: float, session: int | None = None, index: int = 0) -> RequestView:
    """A read sent at ``time`` seconds by ``session``."""
    return RequestView(index, time, kind=READ, session=session)


def write(time: float, session: int | None = None, index: int = 0) -> RequestView:
    """A write sent at ``time`` seconds by ``session``."""
    return RequestView(index, time, kind=WRITE, session=session)


def routes(
    router: Balancer,
    requests: Sequence[RequestView],
    servers: Sequence[ServerView],
    seconds: float = 2.0,
) -> list[int | None]:
    """What ``router.route`` returns for each request in turn, on the tier ``servers``.

    The router carries on from wherever it is: ``routes`` does not call ``reset``. If the calls take
    longer than ``seconds`` in all, it stops them with an ``AssertionError`` that says so.
    """
    message = (
        f"{len(requests)} requests on {len(servers)} nodes: expected answers within {seconds:g} s, "
        "got none (route() was still running)"
    )
    with time_limit(seconds, message):
        return [router.route(r, servers) for r in requests]


#: Step sizes, lags and settings are sums of powers of two, so that times land exactly on a
#: ``delay`` or a ``max_lag`` edge often (floating point adds them without rounding).
STEPS = (0.0, 0.125, 0.25, 0.5, 1.0)
LAGS = (0.0, 0.125, 0.5, 1.0, 2.0, 8.0)


def stream(rng: np.random.Generator, steps: int) -> list[tuple[RequestView, list[ServerView]]]:
    """A random stream of ``steps`` (request, tier) pairs for testing a router against a reference.

    Reads and writes (30 %) from sessions 1–3 or none; on a tier of 1–6 nodes whose health (each up
    with probability 0.8), lags (from :data:`LAGS`) change on every request and whose primary moves,
    or is missing, now and then. Each request gets a new list of new views.
    """
    n = int(rng.integers(1, 7))
    times = np.cumsum(rng.choice(STEPS, size=steps)).tolist()
    moves = (rng.random(steps) < 0.05).tolist()
    primaries = rng.integers(-1, n, size=steps).tolist()
    lags = rng.choice(LAGS, size=(steps, n)).tolist()
    healthy = (rng.random((steps, n)) < 0.8).tolist()
    sessions = rng.integers(0, 4, size=steps).tolist()
    writes = (rng.random(steps) < 0.3).tolist()
    primary, pairs = 0, []
    for k in range(steps):
        if moves[k]:
            primary = primaries[k]
        make = write if writes[k] else read
        tier = nodes(lags[k], healthy[k], primary=None if primary < 0 else primary)
        pairs.append((make(times[k], sessions[k] or None, k), tier))
    return pairs
