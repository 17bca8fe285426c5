"""Whole key sets at once: which shard each key lands on under each scheme, the load each shard
carries under skewed (Zipf) popularity with or without one celebrity, and the keys a resize moves.

Vectorised with numpy (the keys hashed once), so chapter 12's panel redraws well within 300 ms; the
answers are those of the routers' ``get_node`` (a test compares them key by key).
"""

from __future__ import annotations

import functools

import numpy as np

from scalelab.sharding.routers import (
    ModuloRouter,
    jump_hashes,
    stable_hashes,
)
from scalelab.validate import positive_int

#: The schemes the chapter compares.
SCHEMES = ("range", "modulo", "ring", "jump")


def names(n: int) -> list[str]:
    """shard-1 … shard-n."""
    return [f"shard-{i + 1}" for i in range(n)]


def range_boundaries(n: int, n_keys: int) -> list[int]:
    """Inclusive upper bounds that cut user ids 0 .. n_keys − 1 into ``n`` equal ranges."""
    positive_int("number of shards", n)
    return [(i + 1) * n_keys // n - 1 for i in range(n)]


@functools.lru_cache(maxsize=1024)
def _tokens(node: str, vnodes: int) -> np.ndarray:
    """A node's ``vnodes`` tokens, placed as :class:`HashRing` places them (hashed once per node)."""
    return stable_hashes(f"{node}#{i}" for i in range(vnodes))


def ring_lookup(n: int, vnodes: int, hashes: np.ndarray) -> np.ndarray:
    """What ``HashRing(names(n), vnodes).get_node`` answers for keys already hashed, as shard indexes.

    Each node's tokens are cached, so growing the ring by one node hashes only the new node's.
    """
    tokens = np.concatenate([_tokens(name, vnodes) for name in names(n)])
    owner = np.repeat(np.arange(n), vnodes)
    order = np.lexsort((owner, tokens))  # by token (ties: the earlier node, never seen in 64 bits)
    tokens, owner = tokens[order], owner[order]
    i = np.searchsorted(tokens, np.asarray(hashes, dtype=np.uint64), side="left")
    return owner[i % len(tokens)]


@functools.lru_cache(maxsize=8)
def key_hashes(n_keys: int) -> np.ndarray:
    """:func:`stable_hash` of the user ids 0 .. n_keys − 1 (computed once per size)."""
    return stable_hashes(range(n_keys))


def assign(scheme: str, n: int, n_keys: int, vnodes: int = 100) -> np.ndarray:
    """The shard index (0 .. n − 1) of every user id 0 .. n_keys − 1 under ``scheme``."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    positive_int("number of shards", n)
    ids = np.arange(n_keys)
    if scheme == "range":
        return np.searchsorted(np.array(range_boundaries(n, n_keys)), ids, side="left")
    hashes = key_hashes(n_keys)
    if scheme == "modulo":
        return ModuloRouter(n).get_nodes(hashes)
    if scheme == "ring":
        return ring_lookup(n, vnodes, hashes)
    return jump_hashes(hashes, n)


def popularity(
    n_keys: int, alpha: float, celebrity: float = 0.0, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Each user id's share of requests: Zipf(α) over a random order of the ids, plus one celebrity.

    The ranks are shuffled (``rng``) so that popularity does not follow the id (which would favour
    range sharding's first shard). ``celebrity`` is the extra share of all requests that goes to one
    user (the most popular one), e.g. 0.1 for a star who draws 10% of the traffic.
    """
    if alpha < 0:
        raise ValueError(f"Zipf α must be 0 or more, got {alpha}")
    if not 0.0 <= celebrity < 1.0:
        raise ValueError(f"celebrity share must be at least 0 and below 1, got {celebrity}")
    rng = np.random.default_rng(0) if rng is None else rng
    by_rank = 1.0 / np.arange(1, n_keys + 1) ** alpha
    by_rank = (1.0 - celebrity) * by_rank / by_rank.sum()
    by_rank[0] += celebrity
    weights = np.empty(n_keys)
    weights[rng.permutation(n_keys)] = by_rank
    return weights


def per_shard(shard: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Keys per shard (``weights`` None) or the share of requests per shard."""
    return np.bincount(shard, weights=weights, minlength=n)


def moved(scheme: str, n: int, n_after: int, n_keys: int, vnodes: int = 100) -> float:
    """The share of the user ids whose shard changes from ``n`` shards to ``n_after``.

    Shards keep their names: growing adds shard-(n + 1); shrinking removes the last shard (jump
    hash can only remove the last; the others do the same, to compare like with like).
    """
    before = assign(scheme, n, n_keys, vnodes)
    after = assign(scheme, n_after, n_keys, vnodes)
    return float(np.mean(before != after))
