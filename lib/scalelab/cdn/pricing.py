"""What the CDN's data transfer out costs per month: tiered prices per GB.

A tier table is a list of ``(up_to_gb, price_per_gb)``, upper bounds growing, the last one ``math.inf``.
Each GB is charged at the price of the tier it falls in: the first 10 TB at $0.085, the next 40 TB at
$0.080, … (marginal tiers, like income tax). Charging *every* byte at the price of the tier the total
falls in is the classic mistake (100 TB: $6,000 instead of $7,050).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

TB = 1_000  # GB: AWS's price tables count 1 TB = 1,000 GB here (1 TB at $0.085 = $85)
PB = 1_024 * TB  # AWS's page: "next 524 TB" after 500 TB ends at 1 PB, so 1 PB = 1,024 TB here

#: CloudFront data transfer out to the internet, United States, Mexico, Canada and Europe, per GB
#: (aws.amazon.com/cloudfront/pricing, as stored in /work/shared/CHAPTERS.md, as of 2026).
CLOUDFRONT_US_EU: list[tuple[float, float]] = [
    (10 * TB, 0.085),
    (50 * TB, 0.080),
    (150 * TB, 0.060),
    (500 * TB, 0.040),
    (1 * PB, 0.030),  # 1,024 TB
    (5 * PB, 0.025),  # "next 4 PB": 5,120 TB
    (math.inf, 0.020),
]

#: One price for every byte: the blended $0.02/GB of Alex Xu's YouTube estimate.
FLAT_002: list[tuple[float, float]] = [(math.inf, 0.020)]

#: Price tables the chapter's panel offers, by name.
TABLES = {"CloudFront US/Europe (tiered)": CLOUDFRONT_US_EU, "flat $0.02/GB": FLAT_002}


def check_tiers(tiers: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The tier table as a list, or ValueError saying what is wrong with it."""
    rows = list(tiers)
    if not all(isinstance(r, tuple | list) and len(r) == 2 for r in rows):
        raise ValueError(f"tiers must be a list of (up_to_gb, price_per_gb) pairs, got {rows!r}")
    if not rows or rows[-1][0] != math.inf:
        raise ValueError(f"tiers must end with (math.inf, price), got {rows!r}")
    bounds = [b for b, _ in rows]
    if any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)) or bounds[0] <= 0:
        raise ValueError(f"tier upper bounds must be positive and growing, got {bounds!r}")
    if any(p < 0 for _, p in rows):
        raise ValueError(f"prices must be >= 0, got {[p for _, p in rows]!r}")
    return rows


def monthly_cost(gb: float, tiers: Sequence[tuple[float, float]] = CLOUDFRONT_US_EU) -> float:
    """Dollars for ``gb`` GB in a month: each GB at the price of the tier it falls in."""
    if isinstance(gb, bool) or not isinstance(gb, int | float) or not 0 <= gb < math.inf:
        raise ValueError(f"gb must be a finite number >= 0, got {gb!r}")
    cost, below = 0.0, 0.0
    for up_to, price in check_tiers(tiers):
        if gb <= below:
            break
        cost += (min(gb, up_to) - below) * price
        below = up_to
    return cost


def blended_price(gb: float, tiers: Sequence[tuple[float, float]] = CLOUDFRONT_US_EU) -> float:
    """The average price per GB at ``gb`` GB a month."""
    return monthly_cost(gb, tiers) / gb if gb > 0 else check_tiers(tiers)[0][1]
