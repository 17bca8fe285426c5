"""Availability of a pool: k of n servers must be up, in series and in parallel, downtime per year.

Chapter 04 teaches these; chapter 05 quotes the parallel formula and the N + 1 rule. The model: each
server is up a share ``a`` of the time (its *availability*), independently of the others. A pool
that needs ``k`` of its ``n`` servers to carry the load is up while at least ``k`` are up, so its
availability is the binomial tail

    A = Σ_{i=k..n} C(n, i) · aⁱ · (1 − a)ⁿ⁻ⁱ.

Two special cases have names: ``k = 1`` is *parallel* (any one is enough: A = 1 − (1 − a)ⁿ) and
``k = n`` is *series* (every one is needed: A = aⁿ, like a request passing web → app → database).
Redundancy helps only if the survivors can carry the load, which is why a pool sized for its peak
(``k`` servers) runs one more, the **N + 1 rule**.

Independence is the optimistic part: servers in one rack, one zone or running one bad release fail
together, and then the formula overstates the pool's availability (chapter 09 spreads them out).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

from scalelab.validate import positive, positive_int

#: Hours in the year the course counts downtime over: 365.25 days (a Julian year, leap days averaged
#: in), 8,766 hours. With 365 days (8,760 h) every figure is 0.07% smaller.
HOURS_PER_YEAR = 365.25 * 24


#: Up to this many servers :func:`availability` sums the binomial terms exactly; beyond, as logs.
_EXACT_UP_TO = 1000


def _share(name: str, value: float) -> None:
    """Raise ``ValueError`` unless ``value`` is a number from 0 to 1."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")


def availability(n: int, k: int, a: float) -> float:
    """Availability of a pool of ``n`` servers that needs ``k`` of them up, each up a share ``a``.

    Examples (a = 0.99): 1 of 1 → 0.99; 1 of 2 → 0.9999; 2 of 3 → 0.999702; 3 of 4 → 0.999408.
    """
    positive_int("n (servers in the pool)", n)
    if isinstance(k, bool) or not isinstance(k, Integral) or not 1 <= k <= n:
        raise ValueError(f"k (servers needed) must be an integer from 1 to n = {n}, got {k!r}")
    _share("a (availability of one server)", a)
    if n <= _EXACT_UP_TO:
        return math.fsum(math.comb(n, i) * a**i * (1.0 - a) ** (n - i) for i in range(k, n + 1))
    # C(n, i) overflows a float beyond n ≈ 1,000: sum the terms as logs (lgamma) instead.
    if a in (0.0, 1.0):
        return float(a)  # every server always down (any k ≥ 1 fails) or always up
    log_a, log_b = math.log(a), math.log1p(-a)
    lg = math.lgamma(n + 1)
    return min(
        1.0,
        math.fsum(
            math.exp(lg - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_a + (n - i) * log_b)
            for i in range(k, n + 1)
        ),
    )


def series(parts: Iterable[float]) -> float:
    """Availability of components that must all be up: A = A₁ · A₂ · … (a chain of tiers)."""
    parts = list(parts)
    for p in parts:
        _share("each availability", p)
    return math.prod(parts)


def parallel(parts: Iterable[float]) -> float:
    """Availability of components of which any one is enough: A = 1 − (1 − A₁)(1 − A₂)…"""
    parts = list(parts)
    for p in parts:
        _share("each availability", p)
    return 1.0 - math.prod(1.0 - p for p in parts)


def downtime_per_year(availability: float) -> float:
    """Hours down in a year of 365.25 days (:data:`HOURS_PER_YEAR`): (1 − A) × 8,766 h."""
    _share("availability", availability)
    return (1.0 - availability) * HOURS_PER_YEAR


def nines(availability: float) -> float:
    """How many nines: −log₁₀(1 − A) (0.999 → 3); ``math.inf`` for A = 1."""
    _share("availability", availability)
    return math.inf if availability == 1.0 else -math.log10(1.0 - availability)


def servers_needed(peak: float, capacity: float) -> int:
    """Servers that carry ``peak`` requests/s at ``capacity`` each: ⌈peak / capacity⌉ (at least 1).

    A whole server is added for any part of one: 250 requests/s at 100 each needs 3, not 2.5 or 2.
    """
    positive("peak", peak)
    positive("capacity", capacity)
    # 1.1 / 0.1 is 11.000000000000002 in floating point: that is 11 servers, not 12.
    return max(1, math.ceil(peak / capacity - 1e-9))


def n_plus_one(peak: float, capacity: float) -> int:
    """The N + 1 rule: the servers that carry ``peak``, plus one spare, so losing any one still carries it."""
    return servers_needed(peak, capacity) + 1
