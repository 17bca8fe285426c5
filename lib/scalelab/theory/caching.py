"""Caching theory: the hit ratios chapter 07 quotes and its simulations are tested against.

**Che's approximation** (Che, Tung & Wang, IEEE JSAC 2002; made rigorous by Fricker, Robert & Roberts,
arXiv:1202.3974). Requests are independent (the *independent reference model*): each one asks for key
``i`` with probability ``pᵢ``. An LRU cache of ``C`` entries behaves almost exactly like a cache that
keeps every key for a fixed *characteristic time* ``T`` (counted in requests) after its last request.
``T`` is the time in which ``C`` distinct keys are requested, the root of

    Σᵢ (1 − e^(−pᵢ T)) = C,

and the hit ratio is then ``H = Σᵢ pᵢ (1 − e^(−pᵢ T))``. An LRU never beats keeping the ``C`` most
popular keys for good (``top_c_hit_ratio``); the gap is the price of not knowing the popularity.

**TTL from insertion** (Redis ``SET key value EX ttl``; a ``GET`` does not extend it). One key read as a
Poisson stream at rate λ: each expiry starts a cycle with one miss followed by Poisson(λT) hits, so
``h = λT / (1 + λT)``.

**Cache-aside cost.** A read costs the cache lookup, plus the database on a miss:
``E[t] = t_cache + (1 − h)·t_db``, and the database sees ``(1 − h)·λ`` of the reads. Going from 90% to
99% hits cuts the database's read load ten times.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from scalelab.validate import positive, positive_int


def zipf_popularity(n_keys: int, alpha: float) -> np.ndarray:
    """Probabilities ``pᵢ ∝ 1 / iᵅ`` of keys ``1 … n_keys`` (most popular first); they sum to 1.

    ``alpha = 0`` is uniform; web and video catalogues measure between about 0.6 and 1.2.
    """
    positive_int("n_keys", n_keys)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha < 10:
        raise ValueError(f"alpha must be a number from 0 up to 10, got {alpha!r}")
    weights = np.arange(1, n_keys + 1, dtype=float) ** -float(alpha)
    return weights / weights.sum()


def _popularity(popularity: np.ndarray) -> np.ndarray:
    p = np.asarray(popularity, dtype=float)
    if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(
            "popularity must be a non-empty 1-D array of probabilities (>= 0), "
            f"got {np.asarray(popularity)!r:.80}"
        )
    if not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"popularity must sum to 1, got a sum of {p.sum():.6g}")
    return p


def _capacity(capacity: float, distinct: int) -> float:
    if isinstance(capacity, bool) or not isinstance(capacity, Integral | float):
        raise ValueError(f"capacity must be a number of entries, got {capacity!r}")
    if not 0 <= capacity <= distinct:
        raise ValueError(
            f"capacity must be from 0 up to the {distinct} keys that can be requested, got {capacity!r}"
        )
    return float(capacity)


def occupancy(popularity: np.ndarray, t: float) -> float:
    """Expected distinct keys among ``t`` requests, ``Σᵢ (1 − e^(−pᵢ t))``: the left of Che's equation."""
    p = np.asarray(popularity, dtype=float)
    return float(-np.expm1(-p * t).sum())


def characteristic_time(popularity: np.ndarray, capacity: float, tol: float = 1e-9) -> float:
    """Che's characteristic time ``T`` in requests: the root of ``Σᵢ (1 − e^(−pᵢ T)) = capacity``.

    The left side rises from 0 (at ``T = 0``) towards the number of keys with ``pᵢ > 0``, strictly and
    concavely, so the root is unique. Found by doubling an upper bracket, then bisection, until the
    bracket is narrower than ``tol`` relative to ``T``. A cache as large as the requestable catalogue
    never evicts: ``T`` is infinite.
    """
    p = _popularity(popularity)
    distinct = int(np.count_nonzero(p))
    c = _capacity(capacity, distinct)
    if c == 0:
        return 0.0
    if c == distinct:
        return float("inf")
    low, high = 0.0, 1.0
    while occupancy(p, high) < c:
        low, high = high, 2.0 * high
    while high - low > tol * high:
        mid = 0.5 * (low + high)
        if occupancy(p, mid) < c:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def che_hit_ratio(popularity: np.ndarray, capacity: float) -> float:
    """LRU hit ratio by Che's approximation: ``Σᵢ pᵢ (1 − e^(−pᵢ T))`` at the characteristic time ``T``."""
    p = _popularity(popularity)
    t = characteristic_time(p, capacity)
    if np.isinf(t):
        return float(p.sum())
    return float(np.dot(p, -np.expm1(-p * t)))


def top_c_hit_ratio(popularity: np.ndarray, capacity: int) -> float:
    """Hit ratio of keeping the ``capacity`` most popular keys for good: no eviction policy does better."""
    p = _popularity(popularity)
    c = int(_capacity(capacity, p.size))
    return float(np.sort(p)[::-1][:c].sum())


def ttl_hit_ratio(rate: float, ttl: float) -> float:
    """Hit ratio of one key read at Poisson ``rate`` per second, cached ``ttl`` seconds from insertion.

    ``λT / (1 + λT)``: each cycle is one miss, then on average λT hits before the entry expires.
    """
    positive("rate", rate)
    positive("ttl", ttl)
    x = rate * ttl
    return x / (1.0 + x)


def ttl_catalogue_hit_ratio(popularity: np.ndarray, rate: float, ttl: float) -> float:
    """Hit ratio of a cache with no size limit and TTL ``ttl`` from insertion, over a whole catalogue.

    Key ``i`` is read at ``rate·pᵢ``; its hits weigh by its share of reads: ``Σᵢ pᵢ λpᵢT / (1 + λpᵢT)``.
    """
    p = _popularity(popularity)
    positive("rate", rate)
    positive("ttl", ttl)
    x = rate * p * ttl
    return float(np.dot(p, x / (1.0 + x)))


def _hit(hit_ratio: float) -> float:
    if (
        isinstance(hit_ratio, bool)
        or not isinstance(hit_ratio, int | float)
        or not 0 <= hit_ratio <= 1
    ):
        raise ValueError(f"hit_ratio must be a number from 0 to 1, got {hit_ratio!r}")
    return float(hit_ratio)


def cache_aside_latency(hit_ratio: float, cache_time: float, db_time: float) -> float:
    """Mean read time with a cache in front of the database: ``t_cache + (1 − h)·t_db``."""
    h = _hit(hit_ratio)
    positive("cache_time", cache_time)
    positive("db_time", db_time)
    return cache_time + (1.0 - h) * db_time


def db_read_load(hit_ratio: float, read_rate: float) -> float:
    """Reads per second that reach the database behind a cache: ``(1 − h)·λ``."""
    h = _hit(hit_ratio)
    positive("read_rate", read_rate)
    return (1.0 - h) * read_rate
