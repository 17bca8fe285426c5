"""The load-aware event loop, compiled: the same requests, choices and times as the engine's Python loop.

A balancer that reads ``ServerView.active`` (least connections) must see every server's queue as it is
at each arrival, so its requests are simulated one at a time. In Python that costs a few microseconds
per request (about 4× SimPy); compiled with numba it costs a few tens of nanoseconds. The compiled
loop runs only for a balancer that offers a fast path, ``Balancer.load_kernel()`` (see
:mod:`scalelab.sim.route`): a plain function that makes the same choices as its ``choose``, over arrays.
Every other ``uses_load`` balancer, a learner's among them, runs in the engine's Python loop, as before.

The rules are the engine's, one for one (``engine._Queue``; the tests compare the two loops request by
request): before each arrival the health-check changes up to its time apply; every server then counts
the requests inside it (a server that is down counts 0, and one that has just come back starts empty);
the balancer picks; the request is refused by a dead server, dropped by a full one, or queued for the
worker that frees up first, and lost if that server crashes before it leaves.

numba compiles the loop on its first use in a process and keeps the machine code on disk
(``cache=True``): the first run on a machine pays about a second, later processes a fraction of that.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from scalelab.sim.result import DROPPED, LOST, NO_SERVER, OK, REFUSED
from scalelab.sim.route import Balancer
from scalelab.sim.server import Server
from scalelab.sim.workload import Workload

# The outcome codes as plain integers, the form numba compiles in as constants.
_OK, _REFUSED, _LOST, _NO_SERVER, _DROPPED = (
    int(c) for c in (OK, REFUSED, LOST, NO_SERVER, DROPPED)
)


def run_load_aware(
    balancer: Balancer,
    servers: Sequence[Server],
    periods: Sequence[Sequence[tuple[float, float]]],
    belief: Sequence[tuple[float, int, bool]],
    workload: Workload,
    status: np.ndarray,
    start: np.ndarray,
    departure: np.ndarray,
    chosen: np.ndarray,
) -> bool:
    """Fill ``status``, ``start``, ``departure`` and ``chosen`` (the caller's arrays, one entry per
    request) with the compiled loop and return True; or return False, touching nothing, when the
    balancer offers no fast path (the caller then runs its Python loop).

    ``periods`` holds each server's up periods, ``belief`` the sorted health-check changes
    ``(time, server, healthy)``, as in :func:`scalelab.sim.simulate`.
    """
    offer = getattr(balancer, "load_kernel", None)
    kernel = offer() if callable(offer) else None
    if kernel is None:
        return False
    pick, state = kernel
    compiled = _compile_pick(pick)
    if compiled is None:
        return False
    state = np.ascontiguousarray(state, dtype=np.int64)
    bounds = np.cumsum([0] + [len(p) for p in periods])
    flat = [span for p in periods for span in p]
    loop = _compiled_loop()
    loop(
        compiled,
        np.ascontiguousarray(workload.arrival, dtype=np.float64),
        np.ascontiguousarray(workload.demand, dtype=np.float64),
        np.array([s.workers for s in servers], dtype=np.int64),
        np.array(
            [-1 if s.queue_limit is None else s.workers + s.queue_limit for s in servers],
            dtype=np.int64,
        ),
        np.array([s.speed for s in servers], dtype=np.float64),
        np.array([s.weight for s in servers], dtype=np.int64),
        np.array([up for up, _ in flat], dtype=np.float64),
        np.array([down for _, down in flat], dtype=np.float64),
        bounds.astype(np.int64),
        np.array([b[0] for b in belief], dtype=np.float64),
        np.array([b[1] for b in belief], dtype=np.int64),
        np.array([b[2] for b in belief], dtype=np.bool_),
        state,
        status,
        start,
        departure,
        chosen,
    )
    return True


def _jit(func: Callable, signature: object) -> Callable:
    """numba's compiler with its disk cache, or without it where no cache folder is writable."""
    import numba

    try:
        return numba.njit(signature, cache=True)(func)
    except RuntimeError:  # "cannot cache function …: no locator available" (read-only install)
        return numba.njit(signature)(func)


def _types() -> tuple:
    from numba import types

    ints, flags = types.Array(types.int64, 1, "C"), types.Array(types.bool_, 1, "C")
    return ints, flags, types.int64(ints, flags, ints, ints)


@functools.cache
def _compile_pick(pick: Callable) -> Callable | None:
    """``pick`` compiled for the loop, or None (with a warning) if numba cannot compile it."""
    from numba.core.errors import NumbaError

    try:
        return _jit(pick, _types()[2])
    except NumbaError as error:
        first = str(error).strip().splitlines()[0]
        warnings.warn(
            f"the fast path {getattr(pick, '__qualname__', pick)!r} does not compile ({first}); "
            "running the balancer one choose() call at a time instead",
            RuntimeWarning,
            stacklevel=4,
        )
        return None


@functools.cache
def _compiled_loop() -> Callable:
    from numba import types

    ints, flags, pick = _types()
    floats = types.Array(types.float64, 1, "C")
    codes = types.Array(types.int8, 1, "C")
    signature = types.void(
        types.FunctionType(pick),
        floats,  # arrival
        floats,  # demand
        ints,  # workers
        ints,  # most requests inside, -1 for no limit
        floats,  # speed
        ints,  # weight
        floats,  # up-period starts, all servers one after another
        floats,  # up-period ends
        ints,  # where each server's periods begin in those two (n + 1 bounds)
        floats,  # health-check change: time
        ints,  # … server
        flags,  # … healthy
        ints,  # the balancer's state
        codes,  # out: status
        floats,  # out: service start
        floats,  # out: departure
        ints,  # out: chosen server, -1 for none
    )
    return _jit(_loop, signature)


def _loop(
    pick,
    arrival,
    demand,
    workers,
    limit,
    speed,
    weight,
    up,
    down,
    bounds,
    belief_time,
    belief_server,
    belief_healthy,
    state,
    status,
    start,
    departure,
    chosen,
):  # pragma: no cover - runs compiled (its twin in Python is engine._event_loop)
    """The engine's ``_event_loop`` and ``_Queue`` in plain loops over arrays, for numba.

    Per server: ``period`` (index into ``up``/``down``), ``current`` (the period its queue belongs
    to, -1 before the first), ``free`` (a min-heap of when each worker frees up, in one flat array)
    and ``inside`` (a min-heap of the departures of the requests inside, one row per server).
    """
    # Only np.empty here: numba compiles each numpy helper (np.full, .copy, slices) for seconds.
    n = len(workers)
    first_worker = np.empty(n + 1, dtype=np.int64)
    first_worker[0] = 0
    for i in range(n):
        first_worker[i + 1] = first_worker[i] + workers[i]
    free = np.empty(first_worker[n], dtype=np.float64)
    inside = np.empty((n, 16), dtype=np.float64)
    count = np.empty(n, dtype=np.int64)
    period = np.empty(n, dtype=np.int64)
    current = np.empty(n, dtype=np.int64)
    is_up = np.empty(n, dtype=np.bool_)
    active = np.empty(n, dtype=np.int64)
    healthy = np.empty(n, dtype=np.bool_)
    for i in range(n):
        count[i], period[i], current[i], active[i], healthy[i] = 0, bounds[i], -1, 0, True
    b = 0
    for k in range(len(arrival)):
        t = arrival[k]
        while b < len(belief_time) and belief_time[b] <= t:
            healthy[belief_server[b]] = belief_healthy[b]
            b += 1
        for i in range(n):
            # _Queue._locate: move to the up period containing t, if any
            p = period[i]
            while p < bounds[i + 1] and down[p] <= t:
                p += 1
            period[i] = p
            if p == bounds[i + 1] or t < up[p]:
                is_up[i] = False
                active[i] = 0
                continue
            is_up[i] = True
            if p != current[i]:  # back from a crash (or first request): empty queue
                current[i] = p
                for j in range(first_worker[i], first_worker[i + 1]):  # (loops, not slices:
                    free[j] = up[p]  # a slice assignment costs numba seconds of compiling)
                count[i] = 0
            # _Queue.in_system: forget the requests gone by t
            heap = inside[i]
            m = count[i]
            while m > 0 and heap[0] <= t:
                m -= 1
                last = heap[m]
                j = 0
                while True:  # sift the last leaf down from the root
                    child = 2 * j + 1
                    if child >= m:
                        break
                    if child + 1 < m and heap[child + 1] < heap[child]:
                        child += 1
                    if heap[child] < last:
                        heap[j] = heap[child]
                        j = child
                    else:
                        break
                heap[j] = last
            count[i] = m
            active[i] = m
        s = pick(active, healthy, weight, state)
        if s < -1 or s >= n:
            raise ValueError("load_kernel's pick returned a server index out of range")
        chosen[k] = s
        if s == -1:
            status[k], start[k], departure[k] = _NO_SERVER, math.nan, math.nan
            continue
        if not is_up[s]:
            status[k], start[k], departure[k] = _REFUSED, math.nan, math.nan
            continue
        if limit[s] >= 0 and active[s] >= limit[s]:
            status[k], start[k], departure[k] = _DROPPED, math.nan, math.nan
            continue
        # the worker that frees up first takes it: replace the heap's root and sift it down
        lo, c = first_worker[s], workers[s]
        begin = t if t >= free[lo] else free[lo]  # max(t, free[lo]), as the Python loop
        leave = begin + demand[k] / speed[s]
        j = 0
        while True:
            child = 2 * j + 1
            if child >= c:
                break
            if child + 1 < c and free[lo + child + 1] < free[lo + child]:
                child += 1
            if free[lo + child] < leave:
                free[lo + j] = free[lo + child]
                j = child
            else:
                break
        free[lo + j] = leave
        # push the departure on the server's heap of requests inside (grow the rows when full)
        m = count[s]
        if m == inside.shape[1]:
            wider = np.empty((n, 2 * m), dtype=np.float64)
            for i in range(n):
                for j in range(m):
                    wider[i, j] = inside[i, j]
            inside = wider
        heap = inside[s]
        j = m
        while j > 0:
            parent = (j - 1) // 2
            if heap[parent] > leave:
                heap[j] = heap[parent]
                j = parent
            else:
                break
        heap[j] = leave
        count[s] = m + 1
        if leave > down[period[s]]:  # still inside when the server crashed
            status[k], start[k], departure[k] = _LOST, math.nan, math.nan
        else:
            status[k], start[k], departure[k] = _OK, begin, leave
