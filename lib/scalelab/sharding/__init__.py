"""Chapter 12, sharding: split the rows of one database across several, each holding a part of the keys.

A shard router says which shard holds a key (:mod:`~scalelab.sharding.routers`): by range
(:class:`RangeRouter`), by hash modulo the number of shards (:class:`ModuloRouter`), or on a
consistent-hash ring with virtual nodes (:class:`HashRing`), with jump hash and rendezvous hashing beside
them; :func:`moved_fraction` counts the keys a resize moves. :class:`ShardRouter`
(:mod:`~scalelab.sharding.engine`) makes any of them, or a learner's ring, the router of a database tier
in the engine.
"""

from scalelab.sharding.engine import ShardRouter, shards
from scalelab.sharding.routers import (
    RING_SIZE,
    HashRing,
    JumpRouter,
    ModuloRouter,
    RangeRouter,
    RendezvousRouter,
    jump_hash,
    jump_hashes,
    keys_per_node,
    load_per_node,
    moved_fraction,
    ring_share_cv,
    stable_hash,
    stable_hashes,
)

__all__ = [
    "RING_SIZE",
    "stable_hash",
    "stable_hashes",
    "RangeRouter",
    "ModuloRouter",
    "HashRing",
    "jump_hash",
    "jump_hashes",
    "JumpRouter",
    "RendezvousRouter",
    "moved_fraction",
    "keys_per_node",
    "load_per_node",
    "ring_share_cv",
    "ShardRouter",
    "shards",
]
