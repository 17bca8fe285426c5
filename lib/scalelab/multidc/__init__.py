"""Chapter 09, multi-datacenter: data centres in several regions, users sent to one, and what a region's
failure costs.

:mod:`~scalelab.multidc.routing`: data centres with places (:func:`datacenters`) and the routing policies
(:class:`Nearest` by great-circle distance, :class:`Weighted`, :class:`Failover`), routers of the engine;
:mod:`~scalelab.multidc.dns`: DNS failover with cached answers (:class:`CachedDns`, :func:`failover_seconds`
= detection + TTL); :mod:`~scalelab.multidc.replication`: the writes asynchronous replication loses
(:func:`writes_lost`); :mod:`~scalelab.multidc.failover`: a fast model of a regional outage (:func:`outage`).
"""

from scalelab.multidc.dns import CachedDns, failover_seconds, resolved_at
from scalelab.multidc.failover import USER_NETWORK, Outcome, outage
from scalelab.multidc.replication import sync_commit_penalty, writes_lost
from scalelab.multidc.routing import (
    POLICIES,
    REGIONS,
    Failover,
    Nearest,
    Policy,
    Weighted,
    datacenters,
    nearest_index,
)

__all__ = [
    "REGIONS",
    "POLICIES",
    "datacenters",
    "nearest_index",
    "Policy",
    "Nearest",
    "Weighted",
    "Failover",
    "CachedDns",
    "failover_seconds",
    "resolved_at",
    "writes_lost",
    "sync_commit_penalty",
    "USER_NETWORK",
    "Outcome",
    "outage",
]
