"""Chapter 07, the in-memory cache: keep what is read often near the application, in memory.

A read looks in the cache first; on a miss it reads the database and stores the value (read-through,
or *cache-aside* when the application does it). Which entry goes when the cache is full is its eviction
policy (:mod:`~scalelab.cache.lru`: LRU with a doubly linked list, FIFO, random); how long an entry lives
is its TTL. :mod:`~scalelab.cache.stage` plugs a cache tier into the engine (one cache per node, and a
router that sends each key to its node); :mod:`~scalelab.cache.stampede` models many readers missing the
same hot key at once, and its fixes.
"""

from scalelab.cache.lru import (
    MISS,
    POLICIES,
    DoublyLinkedList,
    FIFOCache,
    LRUCache,
    Node,
    RandomCache,
    SimCache,
    hit_mask,
)
from scalelab.cache.stage import CacheStage, KeyRouter
from scalelab.cache.stampede import PROTECTIONS, StampedeResult, stampede

__all__ = [
    "MISS",
    "POLICIES",
    "Node",
    "DoublyLinkedList",
    "LRUCache",
    "FIFOCache",
    "RandomCache",
    "SimCache",
    "hit_mask",
    "CacheStage",
    "KeyRouter",
    "stampede",
    "StampedeResult",
    "PROTECTIONS",
]
