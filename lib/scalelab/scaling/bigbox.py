"""One big box against a pool of small ones, in the simulator; and failures drawn over a year.

Chapter 04's demo. The big box has ``n`` cores (``Server(workers=n)``): a bigger instance of a cloud
family gives more cores at the same clock, not faster ones, so a request takes as long on it as on a
small box. The pool is ``n`` one-core boxes behind a balancer, the same total capacity. The balancer
comes from the caller (chapter 05's family is not this one's to import); the big box needs none.

At normal load both answer in about the same time (the big box slightly faster: one queue in front
of all cores never leaves a core idle while a request waits elsewhere). The difference is the crash:
the big box's crash is a total outage, a small box's costs a quarter of the capacity.

:func:`random_outages` draws each server's failures over a long horizon (up for an exponential time
of mean ``mtbf``, down for an exponential time of mean ``mttr``, so each is up a share
mtbf / (mtbf + mttr)), and :func:`up_share` measures how long at least ``k`` were up: the simulated
side of :func:`~scalelab.scaling.availability.availability`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scalelab.sim import Balancer, HealthSignal, Outage, Server, SimResult, poisson, pool, simulate
from scalelab.sim.faults import up_periods
from scalelab.validate import positive, positive_int

#: CPU seconds per request: one core answers 1 / 0.02 = 50 requests/s.
CPU_TIME = 0.02


def big_box(cores: int = 4) -> Server:
    """One server with ``cores`` workers (scale up)."""
    return Server(workers=cores, name=f"big box ({cores} cores)")


def run_both(
    rate: float,
    balancer: Balancer,
    health_check: HealthSignal | None = None,
    crash: tuple[float, float] | None = None,
    n: int = 4,
    duration: float = 60.0,
    seed: int = 4,
) -> dict[str, SimResult]:
    """The same seeded traffic on one big box and on ``n`` small ones behind ``balancer``.

    ``crash = (start, end)``: the big box, and web-1 of the pool, are down from ``start`` to ``end``.
    Returns ``{"one big box": …, "n small boxes": …}``.
    """
    positive_int("n", n)
    traffic = poisson(rate, duration, CPU_TIME, np.random.default_rng(seed))
    outages = [Outage(0, *crash)] if crash else []
    big = simulate(traffic, [big_box(n)], outages=outages, rng=np.random.default_rng(seed))
    small = simulate(
        traffic, pool(n), balancer, outages, health_check, rng=np.random.default_rng(seed)
    )
    return {"one big box": big, f"{n} small boxes": small}


def random_outages(
    n: int, mtbf: float, mttr: float, horizon: float, rng: np.random.Generator
) -> list[Outage]:
    """Failures of ``n`` servers over ``horizon`` hours: up ~ Exp(``mtbf``), down ~ Exp(``mttr``).

    Each server starts up; each is then up a long-run share mtbf / (mtbf + mttr).
    """
    positive_int("n", n)
    for name, value in (("mtbf", mtbf), ("mttr", mttr), ("horizon", horizon)):
        positive(name, value)
    outages = []
    for server in range(n):
        t = rng.exponential(mtbf)
        while t < horizon:
            end = t + rng.exponential(mttr)
            outages.append(Outage(server, t, end))
            t = end + rng.exponential(mtbf)
    return outages


def up_share(n: int, k: int, outages: Sequence[Outage], horizon: float) -> float:
    """Share of [0, ``horizon``) during which at least ``k`` of the ``n`` servers were up."""
    positive_int("n", n)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k (servers needed) must be an integer from 1 to n = {n}, got {k!r}")
    positive("horizon", horizon)
    edges = []  # (time, +1 up / −1 down)
    for server in range(n):
        for start, end in up_periods(outages, server):
            edges += [(min(start, horizon), 1), (min(end, horizon), -1)]
    edges.sort()
    up, last, good = 0, 0.0, 0.0
    for t, step in edges:
        if up >= k:
            good += t - last
        up, last = up + step, t
    return good / horizon
