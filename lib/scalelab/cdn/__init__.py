"""Chapter 08's family: edges in front of an origin, edge caches with a TTL, egress prices, signed URLs.

- :mod:`~scalelab.cdn.edges`: :class:`NearestEdge` (router), :class:`EdgeCache` (a Stage with a TTL),
  :func:`origin_only` and :func:`with_edges` (the two paths of the chapter's demo).
- :mod:`~scalelab.cdn.pricing`: tier tables (CloudFront's, as of 2026) and :func:`monthly_cost`.
- :mod:`~scalelab.cdn.signing`: :func:`sign` and :func:`verify` for signed, expiring links.
- :mod:`~scalelab.cdn.plots`, :mod:`~scalelab.cdn.panel`: the chapter's figures and control panel.
"""

from scalelab.cdn.edges import (
    ORIGIN,
    EdgeCache,
    NearestEdge,
    nearest,
    origin_only,
    origin_requests,
    with_edges,
)
from scalelab.cdn.pricing import CLOUDFRONT_US_EU, FLAT_002, TABLES, TB, blended_price, monthly_cost
from scalelab.cdn.signing import MAX_LIFETIME, OUTCOMES, sign, signature, verify

__all__ = [
    "CLOUDFRONT_US_EU",
    "FLAT_002",
    "MAX_LIFETIME",
    "ORIGIN",
    "OUTCOMES",
    "TABLES",
    "TB",
    "EdgeCache",
    "NearestEdge",
    "blended_price",
    "monthly_cost",
    "nearest",
    "origin_only",
    "origin_requests",
    "sign",
    "signature",
    "verify",
    "with_edges",
]
