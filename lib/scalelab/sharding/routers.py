"""Shard routers: which database holds a key. Range, modulo, a consistent-hash ring, jump hash, rendezvous.

Every router answers ``get_node(key)`` with the name of the shard that holds ``key``. They differ in what
happens when a shard is added or removed (how many keys must move to another machine) and in how evenly
they spread the keys:

* :class:`RangeRouter` cuts the key space into ranges ("users 1–100 on shard 1"): range scans stay on one
  shard, but new sequential ids all land on the last shard, and moving a boundary moves a whole range.
* :class:`ModuloRouter` takes ``hash(key) mod N``: an even spread, but going from N to N + 1 shards moves
  N/(N + 1) of the keys (almost all of them).
* :class:`HashRing` places V *virtual nodes* per shard on a ring of hash values; a key belongs to the first
  token clockwise from its own hash (Karger et al., "Consistent hashing and random trees", STOC 1997). A
  new shard takes about 1/(N + 1) of the keys, all of them to itself; a removed shard gives away only its
  own. A shard's share has coefficient of variation √((N − 1)/(NV + 1)) ≈ 1/√V.
* :func:`jump_hash` (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
  arXiv:1406.2294, 2014) moves exactly the ideal share and needs no memory, but shards are numbered
  0..N−1 and can only be added or removed at the end.
* :class:`RendezvousRouter` (highest random weight, Thaler & Ravishankar 1998): each key goes to the shard
  whose hash of (shard, key) is highest; O(N) per lookup, no ring.

Every hash here is :func:`stable_hash` (MD5 of the key's text): the same key maps to the same shard in
every process on every machine. Python's built-in ``hash()`` of a string is salted per process
(``PYTHONHASHSEED``), so a router built on it sends a key to a different shard after every restart.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Hashable, Iterable, Sequence

import numpy as np

from scalelab.validate import positive_int

#: The ring's positions are 64-bit integers: 0 .. RING_SIZE − 1.
RING_SIZE = 2**64

_JUMP_MULTIPLIER = 2862933555777941757  # Lamping & Veach's linear congruential step
_MASK64 = RING_SIZE - 1


def stable_hash(value: object) -> int:
    """A 64-bit position for ``value``: the first 8 bytes of the MD5 of ``str(value)``, big-endian.

    The same in every process, unlike ``hash()``. ``42`` and ``"42"`` have the same text, so the same hash.
    MD5 is used for its spread, not for security (as Ketama and Cassandra's old RandomPartitioner did).
    """
    digest = hashlib.md5(str(value).encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big")


def stable_hashes(keys: Iterable[object]) -> np.ndarray:
    """:func:`stable_hash` of every key, as a ``uint64`` array (for vectorised lookups)."""
    return np.fromiter((stable_hash(k) for k in keys), dtype=np.uint64)


def _shard_names(n: int) -> list[str]:
    return [f"shard-{i + 1}" for i in range(n)]


def _node_list(nodes: Iterable[Hashable]) -> list[Hashable]:
    """``nodes`` as a list; a bare string is refused (``list("db-a")`` would be four nodes)."""
    if isinstance(nodes, str | bytes):
        raise TypeError(
            f"nodes must be a list of node names, got the string {nodes!r} (write [{nodes!r}])"
        )
    try:
        return list(nodes)
    except TypeError:
        raise TypeError(f"nodes must be a list of node names, got {nodes!r}") from None


class RangeRouter:
    """Shard ``i`` holds the keys up to and including ``boundaries[i]`` (above the one before).

    ``RangeRouter([100, 200, 300])``: keys ≤ 100 on shard-1 (the seed's "users 1–100 on shard 1"),
    101–200 on shard-2, 201–300 on shard-3; a key above 300 has no shard (``ValueError``).

    Parameters
    ----------
    boundaries : sequence of numbers
        Inclusive upper bounds, strictly increasing.
    nodes : sequence of str, optional
        The shards' names (default shard-1 … shard-n).
    """

    def __init__(
        self, boundaries: Sequence[float], nodes: Sequence[Hashable] | None = None
    ) -> None:
        if isinstance(boundaries, str | bytes):
            raise TypeError(
                f"boundaries must be a list of upper bounds, got the string {boundaries!r}"
            )
        try:
            boundaries = list(boundaries)
        except TypeError:
            raise TypeError(
                f"boundaries must be a list of upper bounds, got {boundaries!r} (write [{boundaries!r}])"
            ) from None
        if not boundaries:
            raise ValueError("boundaries must hold at least one upper bound, got none")
        if any(b != b for b in boundaries):  # NaN: compares false with everything, so it would pass
            raise ValueError(f"boundaries must be numbers, got NaN in {boundaries}")
        try:
            unordered = any(b >= c for b, c in zip(boundaries, boundaries[1:], strict=False))
        except TypeError:
            raise TypeError(
                f"boundaries must be comparable with each other, got {boundaries}"
            ) from None
        if unordered:
            raise ValueError(f"boundaries must be strictly increasing, got {boundaries}")
        nodes = _shard_names(len(boundaries)) if nodes is None else _node_list(nodes)
        if len(nodes) != len(boundaries):
            raise ValueError(
                f"one node per boundary: got {len(nodes)} nodes for {len(boundaries)} boundaries"
            )
        self.boundaries = boundaries
        self.nodes = nodes

    def get_node(self, key: float) -> Hashable:
        """The shard holding ``key``: the first whose upper bound is ≥ ``key``."""
        try:
            i = bisect.bisect_left(self.boundaries, key)
        except TypeError:
            raise TypeError(
                f"key {key!r} ({type(key).__name__}) cannot be compared with the boundaries "
                f"{self.boundaries} ({type(self.boundaries[0]).__name__})"
            ) from None
        if i == len(self.boundaries):
            raise ValueError(f"key {key!r} is above the last boundary {self.boundaries[-1]!r}")
        return self.nodes[i]

    def get_nodes(self, keys: np.ndarray) -> np.ndarray:
        """The index (into ``nodes``) of every key's shard, vectorised; -1 above the last boundary."""
        i = np.searchsorted(np.asarray(self.boundaries), np.asarray(keys), side="left")
        return np.where(i == len(self.boundaries), -1, i)

    def __repr__(self) -> str:
        return f"RangeRouter({self.boundaries})"


class ModuloRouter:
    """Key → shard ``stable_hash(key) mod n``: an even spread, but resizing moves almost every key."""

    def __init__(self, n: int, nodes: Sequence[Hashable] | None = None) -> None:
        positive_int("number of shards", n)
        self.nodes = _shard_names(n) if nodes is None else _node_list(nodes)
        if len(self.nodes) != n:
            raise ValueError(f"expected {n} node names, got {len(self.nodes)}")

    def get_node(self, key: object) -> Hashable:
        return self.nodes[stable_hash(key) % len(self.nodes)]

    def get_nodes(self, hashes: np.ndarray) -> np.ndarray:
        """Shard indexes for keys already hashed (``stable_hashes``)."""
        return (np.asarray(hashes, dtype=np.uint64) % np.uint64(len(self.nodes))).astype(np.int64)

    def __repr__(self) -> str:
        return f"ModuloRouter({len(self.nodes)})"


class HashRing:
    """A consistent-hash ring with ``vnodes`` virtual nodes (tokens) per node.

    Node ``n``'s tokens sit at ``hash_fn(f"{n}#{i}")`` for ``i`` in ``0 .. vnodes − 1``; a key sits at
    ``hash_fn(str(key))`` and belongs to the node of the first token at or after it, going clockwise,
    wrapping past the largest token back to the smallest.

    Parameters
    ----------
    nodes : iterable of str
        The nodes to start with (may be empty).
    vnodes : int
        Tokens per node. More tokens, a more even spread: a node's share varies by about 1/√vnodes.
    hash_fn : callable
        ``str → int`` position on the ring; :func:`stable_hash` unless you know why not.
    """

    def __init__(
        self,
        nodes: Iterable[Hashable] = (),
        vnodes: int = 100,
        hash_fn: Callable[[str], int] = stable_hash,
    ) -> None:
        positive_int("vnodes", vnodes)
        self.vnodes = vnodes
        self.hash_fn = hash_fn
        self.tokens: list[int] = []  # sorted positions
        self.owners: list[Hashable] = []  # owners[i] holds tokens[i]
        self.nodes: list[Hashable] = []
        for node in _node_list(nodes):
            self.add_node(node)

    def add_node(self, node: Hashable) -> None:
        """Place ``node``'s ``vnodes`` tokens on the ring. Only keys that now fall on them move."""
        if node in self.nodes:
            raise ValueError(f"node {node!r} is already on the ring")
        self.nodes.append(node)
        for i in range(self.vnodes):
            token = self.hash_fn(f"{node}#{i}")
            at = bisect.bisect_left(self.tokens, token)
            self.tokens.insert(at, token)
            self.owners.insert(at, node)

    def remove_node(self, node: Hashable) -> None:
        """Take every token of ``node`` off the ring; its keys go to the next tokens clockwise."""
        if node not in self.nodes:
            raise ValueError(f"node {node!r} is not on the ring (nodes: {self.nodes})")
        self.nodes.remove(node)
        kept = [(t, o) for t, o in zip(self.tokens, self.owners, strict=True) if o != node]
        self.tokens = [t for t, _ in kept]
        self.owners = [o for _, o in kept]

    def get_node(self, key: object) -> Hashable:
        """The node of the first token clockwise from ``hash_fn(str(key))`` (wrapping around)."""
        if not self.tokens:
            raise ValueError("the ring is empty: add a node before looking up a key")
        i = bisect.bisect_left(self.tokens, self.hash_fn(str(key)))
        return self.owners[i % len(self.tokens)]

    def get_nodes(self, hashes: np.ndarray) -> np.ndarray:
        """Index (into ``nodes``) of the owner of every key already hashed, vectorised."""
        if not self.tokens:
            raise ValueError("the ring is empty: add a node before looking up a key")
        tokens = np.array(self.tokens, dtype=np.uint64)
        owner = np.array([self.nodes.index(o) for o in self.owners], dtype=np.int64)
        i = np.searchsorted(tokens, np.asarray(hashes, dtype=np.uint64), side="left")
        return owner[i % len(tokens)]

    def shares(self) -> dict[Hashable, float]:
        """The share of the ring (of the hash space) each node owns: the arcs ending at its tokens."""
        if not self.tokens:
            return {}
        tokens = np.array(self.tokens, dtype=np.float64)
        arcs = np.diff(np.r_[tokens[-1] - RING_SIZE, tokens]) / RING_SIZE
        out = dict.fromkeys(self.nodes, 0.0)
        for owner, arc in zip(self.owners, arcs, strict=True):
            out[owner] += float(arc)
        return out

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"HashRing({len(self.nodes)} nodes × {self.vnodes} virtual nodes)"


def jump_hash(key: int, n: int) -> int:
    """Lamping & Veach's jump consistent hash: the bucket in ``0 .. n − 1`` of a 64-bit integer ``key``.

    From N to N + 1 buckets exactly the keys that land in the new bucket move (1/(N + 1) of them on
    average); no memory, O(ln n) steps. A string key is first hashed: ``jump_hash(stable_hash(k), n)``.
    """
    positive_int("number of buckets", n)
    key &= _MASK64
    b, j = -1, 0
    while j < n:
        b = j
        key = (key * _JUMP_MULTIPLIER + 1) & _MASK64
        j = int((b + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return b


def jump_hashes(keys: np.ndarray, n: int) -> np.ndarray:
    """:func:`jump_hash` of every 64-bit key in an array, vectorised (the same answers)."""
    positive_int("number of buckets", n)
    key = np.array(keys, dtype=np.uint64)
    b = np.full(key.shape, -1, dtype=np.int64)
    j = np.zeros(key.shape, dtype=np.int64)
    live = np.ones(key.shape, dtype=bool)
    with np.errstate(over="ignore"):
        while live.any():
            b[live] = j[live]
            key[live] = key[live] * np.uint64(_JUMP_MULTIPLIER) + np.uint64(1)
            j[live] = ((b[live] + 1) * ((1 << 31) / ((key[live] >> np.uint64(33)) + 1.0))).astype(
                np.int64
            )
            live &= j < n
    return b


class JumpRouter:
    """:func:`jump_hash` as a router over shards named shard-1 … shard-n (add or remove at the end only)."""

    def __init__(self, n: int) -> None:
        positive_int("number of shards", n)
        self.nodes = _shard_names(n)

    def get_node(self, key: object) -> Hashable:
        return self.nodes[jump_hash(stable_hash(key), len(self.nodes))]

    def get_nodes(self, hashes: np.ndarray) -> np.ndarray:
        return jump_hashes(hashes, len(self.nodes))

    def __repr__(self) -> str:
        return f"JumpRouter({len(self.nodes)})"


class RendezvousRouter:
    """Highest random weight: key → the node with the largest ``stable_hash(f"{node}:{key}")``."""

    def __init__(self, nodes: Iterable[Hashable]) -> None:
        self.nodes = _node_list(nodes)
        if not self.nodes:
            raise ValueError("a rendezvous router needs at least one node, got none")

    def get_node(self, key: object) -> Hashable:
        return max(self.nodes, key=lambda node: stable_hash(f"{node}:{key}"))

    def __repr__(self) -> str:
        return f"RendezvousRouter({len(self.nodes)} nodes)"


def moved_fraction(before: object, after: object, keys: Sequence[object]) -> float:
    """The share of ``keys`` whose node differs between two routers (``get_node`` of each)."""
    if len(keys) == 0:
        raise ValueError("keys must hold at least one key, got none")
    moved = sum(before.get_node(k) != after.get_node(k) for k in keys)  # type: ignore[attr-defined]
    return moved / len(keys)


def keys_per_node(router: object, keys: Iterable[object]) -> dict[Hashable, int]:
    """How many of ``keys`` each node of ``router`` holds (nodes holding none included, as 0)."""
    counts = dict.fromkeys(getattr(router, "nodes", ()), 0)
    for k in keys:
        node = router.get_node(k)  # type: ignore[attr-defined]
        counts[node] = counts.get(node, 0) + 1
    return counts


def load_per_node(
    router: object, keys: Sequence[object], weights: Sequence[float]
) -> dict[Hashable, float]:
    """The share of all requests each node serves when key ``keys[i]`` gets ``weights[i]`` of them."""
    total = float(np.sum(weights))
    if total <= 0:
        raise ValueError(f"weights must add up to more than 0, got {total}")
    load = dict.fromkeys(getattr(router, "nodes", ()), 0.0)
    for k, w in zip(keys, weights, strict=True):
        node = router.get_node(k)  # type: ignore[attr-defined]
        load[node] = load.get(node, 0.0) + float(w) / total
    return load


def ring_share_cv(n_nodes: int, vnodes: int) -> float:
    """Coefficient of variation of one node's share of a ring with ``vnodes`` random tokens per node.

    A node's share is the sum of V of the N·V spacings of N·V uniform points on a circle, a
    Beta(V, (N − 1)V) variable: mean 1/N, CV √((N − 1)/(NV + 1)) ≈ 1/√V (FACTS.md).
    """
    positive_int("number of nodes", n_nodes)
    positive_int("vnodes", vnodes)
    return float(np.sqrt((n_nodes - 1) / (n_nodes * vnodes + 1)))
