"""The chapter's scenario in one function: users in cities, an origin, maybe edges; what they see and pay.

Video segments of :data:`OBJECT_MB` MB each, :data:`N_OBJECTS` of them, read with Zipf popularity; the run
is scaled to a month at the same rate for the bill.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scalelab.cdn.edges import ORIGIN, EdgeCache, origin_only, origin_requests, with_edges
from scalelab.cdn.pricing import CLOUDFRONT_US_EU, monthly_cost
from scalelab.sim import poisson, with_keys, with_places

#: Where the chapter's users are, and their shares.
USERS = {"Seoul": 0.5, "Frankfurt": 0.3, "São Paulo": 0.2}
OBJECT_MB = 2.0
N_OBJECTS = 2_000
MONTH = 30 * 24 * 3600


@dataclass(frozen=True)
class Outcome:
    """What one setting gives: latency per user place, hit ratio, origin share, and the bill."""

    places: tuple[str, ...]
    p50: np.ndarray
    p99: np.ndarray
    hit_ratio: float
    stale: float
    origin_share: float
    origin_gb_month: float
    delivered_gb_month: float
    cost_month: float


def run(
    edges: Sequence[str] = (),
    ttl: float = 600.0,
    alpha: float = 0.9,
    tiers: Sequence[tuple[float, float]] = CLOUDFRONT_US_EU,
    rate: float = 150.0,
    duration: float = 40.0,
    users: dict[str, float] | None = None,
    updated_every: float | None = 30.0,
    origin: str = ORIGIN,
    seed: int = 1,
) -> Outcome:
    """Simulate ``duration`` seconds at ``rate`` requests per second; no edges means origin only."""
    rng = np.random.default_rng(seed)
    workload = with_keys(poisson(rate, duration, 0.001, rng), N_OBJECTS, alpha, rng)
    workload = with_places(workload, users or USERS, rng)
    cache = EdgeCache(ttl, updated_every) if edges else None
    path = with_edges(edges, cache, origin) if cache else origin_only(origin)
    result = path.run(workload, rng=np.random.default_rng(seed + 1))
    n = len(workload.arrival)
    to_origin = origin_requests(result) if cache else n
    scale = MONTH / duration * OBJECT_MB / 1_000  # requests in the run → GB per month
    delivered = n * scale
    places = tuple(p.name for p in workload.places)
    p50 = np.array([result.percentile(50, where=workload.place == k) for k in range(len(places))])
    p99 = np.array([result.percentile(99, where=workload.place == k) for k in range(len(places))])
    hits = 0.0 if cache is None else cache.hit_ratio
    stale = 0.0 if cache is None or not cache.hits.sum() else cache.stale.sum() / cache.hits.sum()
    return Outcome(
        places=places,
        p50=p50,
        p99=p99,
        hit_ratio=hits,
        stale=float(stale),
        origin_share=to_origin / n,
        origin_gb_month=to_origin * scale,
        delivered_gb_month=delivered,
        cost_month=monthly_cost(delivered, tiers),
    )
