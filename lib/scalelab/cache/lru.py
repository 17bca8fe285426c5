"""An in-memory cache: a dictionary for lookups, a doubly linked list for the order of eviction.

A cache holds a few of the many values a database could return, in memory, so that most reads never
reach the database. When it is full, it must *evict* (축출) an entry to make room; which one is its
*eviction policy*:

* **LRU** (least recently used) evicts the entry read or written longest ago. Every hit moves the entry to
  the front of a list, so the back is always the victim. With a dictionary from key to list node and a
  **doubly linked list** (연결 리스트: each node knows the one before and the one after it), a hit, an
  insertion and an eviction each take a constant number of steps, O(1), however large the cache: the seed's
  "LRU with a linked list". Python's ``OrderedDict`` is exactly that structure, written in C.
* **FIFO** (first in, first out) evicts the oldest *insertion*; a hit changes nothing.
* **random** evicts any entry, uniformly. Redis's ``allkeys-random``.

Real caches approximate LRU to save memory and locks: Redis samples ``maxmemory-samples`` (default 5) keys
and evicts the least recently used of those; Memcached keeps one segmented LRU per slab class.

Entries can also **expire** (만료): ``put(key, value, ttl)`` keeps the value ``ttl`` seconds from when it is
written, like Redis ``SET key value EX ttl``; a read does not extend it, a new ``put`` does (it overwrites
the value and resets its time to live). An entry is expired from the instant ``now >= written + ttl``.
Expired entries are dropped lazily, when a read finds them (Redis does that too, plus a sampling sweep).
Time comes from an injected ``clock`` (a function returning seconds), never from the wall clock, so a test
or the simulator decides what time it is.

:func:`hit_mask` runs a whole sequence of keys through a cache of each policy at simulator speed (an
``OrderedDict`` loop: 10⁷ keys in a few seconds) and gives the same answers as these classes.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from numbers import Integral

import numpy as np

from scalelab.cache._compiled import visits
from scalelab.validate import positive


class _Miss:
    """The value ``get`` returns when a key is not cached: a cached ``None`` is a hit, not a miss."""

    _instance: _Miss | None = None

    def __new__(cls) -> _Miss:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISS"

    def __bool__(self) -> bool:
        return False


#: Returned by ``get`` for a key that is absent or expired (compare with ``is MISS``).
MISS = _Miss()


class Node:
    """One entry of a :class:`DoublyLinkedList`: a key, its value, when it expires, and two links."""

    __slots__ = ("key", "value", "expires_at", "prev", "next")

    def __init__(
        self, key: Hashable, value: object = None, expires_at: float = float("inf")
    ) -> None:
        self.key = key
        self.value = value
        self.expires_at = expires_at
        self.prev: Node | None = None
        self.next: Node | None = None

    def __repr__(self) -> str:
        return f"Node({self.key!r}, {self.value!r})"


class DoublyLinkedList:
    """Nodes from front (most recently used) to back (least recently used); every operation is O(1).

    Two sentinel nodes, ``head`` before the front and ``tail`` after the back, mean that no operation
    has to treat an empty list or an end node as a special case.
    """

    def __init__(self) -> None:
        self.head = Node("<head>")
        self.tail = Node("<tail>")
        self.head.next = self.tail
        self.tail.prev = self.head
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Node]:
        node = self.head.next
        while node is not self.tail:
            yield node
            node = node.next

    def keys(self) -> list[Hashable]:
        """The keys from front to back."""
        return [node.key for node in self]

    def push_front(self, node: Node) -> None:
        """Put ``node`` (not in any list) at the front."""
        first = self.head.next
        node.prev, node.next = self.head, first
        self.head.next = node
        first.prev = node
        self._size += 1

    def remove(self, node: Node) -> None:
        """Take ``node`` (in this list) out, linking its neighbours to each other."""
        node.prev.next = node.next
        node.next.prev = node.prev
        node.prev = node.next = None
        self._size -= 1

    def move_to_front(self, node: Node) -> None:
        """Move ``node`` (in this list) to the front."""
        self.remove(node)
        self.push_front(node)

    def back(self) -> Node | None:
        """The node at the back (least recently used), or ``None`` if the list is empty."""
        return None if self._size == 0 else self.tail.prev

    def pop_back(self) -> Node | None:
        """Remove and return the node at the back, or ``None`` if the list is empty."""
        node = self.back()
        if node is not None:
            self.remove(node)
        return node


class _Uniforms:
    """Uniform numbers on [0, 1) from ``rng``, drawn a block at a time (one draw each is slow)."""

    def __init__(self, rng: np.random.Generator | None) -> None:
        self.rng = np.random.default_rng(0) if rng is None else rng
        self._block: list[float] = []

    def index(self, n: int) -> int:
        """A uniform pick among ``0 … n − 1``."""
        if not self._block:
            self._block = self.rng.random(4096).tolist()[::-1]
        return int(self._block.pop() * n)


def _capacity(capacity: int) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, Integral) or capacity < 0:
        raise ValueError(
            f"capacity must be a whole number of entries (0 or more), got {capacity!r}"
        )
    return int(capacity)


def _expiry(now: float, ttl: float | None) -> float:
    if ttl is None:
        return float("inf")
    positive("ttl", ttl)
    return now + ttl


class _ListCache:
    """Dictionary + linked list; the subclasses differ in what a hit does and what is evicted."""

    policy = ""
    _refresh_on_hit = False

    def __init__(self, capacity: int, clock: Callable[[], float]) -> None:
        self.capacity = _capacity(capacity)
        if not callable(clock):
            raise ValueError(
                f"clock must be a function returning the time in seconds, got {clock!r}"
            )
        self.clock = clock
        self._nodes: dict[Hashable, Node] = {}
        self._order = DoublyLinkedList()

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` is stored and not expired (does not count as a use)."""
        node = self._nodes.get(key)
        return node is not None and self.clock() < node.expires_at

    def keys(self) -> list[Hashable]:
        """Stored keys (expired ones not yet dropped included), next to be evicted last."""
        return self._order.keys()

    def get(self, key: Hashable) -> object:
        """The cached value, or :data:`MISS` if ``key`` is absent or expired (then it is dropped)."""
        node = self._nodes.get(key)
        if node is None:
            return MISS
        if self.clock() >= node.expires_at:
            self.delete(key)
            return MISS
        if self._refresh_on_hit:
            self._order.move_to_front(node)
        return node.value

    def put(self, key: Hashable, value: object, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (``None``: until evicted).

        An existing key gets the new value and a new time to live, and counts as just used.
        """
        expires_at = _expiry(self.clock(), ttl)
        if self.capacity == 0:
            return
        node = self._nodes.get(key)
        if node is not None:
            node.value, node.expires_at = value, expires_at
            if self._refresh_on_hit:
                self._order.move_to_front(node)
            return
        if len(self._nodes) >= self.capacity:
            self._evict()
        node = Node(key, value, expires_at)
        self._nodes[key] = node
        self._order.push_front(node)

    def delete(self, key: Hashable) -> bool:
        """Drop ``key`` (cache-aside invalidation after a write); True if it was stored."""
        node = self._nodes.pop(key, None)
        if node is None:
            return False
        self._order.remove(node)
        return True

    def _evict(self) -> None:
        victim = self._order.pop_back()
        del self._nodes[victim.key]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(capacity={self.capacity}, {len(self)} stored)"


class LRUCache(_ListCache):
    """Evicts the least recently used entry; ``get`` and ``put`` both count as a use. All O(1).

    Parameters
    ----------
    capacity : int
        Entries it holds at most (0: a cache that stores nothing).
    clock : callable
        Returns the current time in seconds; expiry is measured on it.
    """

    policy = "LRU"
    _refresh_on_hit = True


class FIFOCache(_ListCache):
    """Evicts the entry inserted longest ago; a hit (or an overwrite) does not change the order."""

    policy = "FIFO"


class RandomCache(_ListCache):
    """Evicts a uniformly random entry (Redis ``allkeys-random``); ``rng`` picks it."""

    policy = "random"

    def __init__(
        self, capacity: int, clock: Callable[[], float], rng: np.random.Generator | None = None
    ) -> None:
        super().__init__(capacity, clock)
        self._pick = _Uniforms(rng)
        self._keys: list[Hashable] = []  # every stored key once, for a uniform pick in O(1)
        self._where: dict[Hashable, int] = {}

    def put(self, key: Hashable, value: object, ttl: float | None = None) -> None:
        _expiry(0.0, ttl)
        if self.capacity and key not in self._nodes:
            if len(self._nodes) >= self.capacity:
                self._evict()
            self._where[key] = len(self._keys)
            self._keys.append(key)
        super().put(key, value, ttl)

    def delete(self, key: Hashable) -> bool:
        if not super().delete(key):
            return False
        i = self._where.pop(key)
        last = self._keys.pop()
        if i < len(self._keys):  # fill the hole with the last key
            self._keys[i] = last
            self._where[last] = i
        return True

    def _evict(self) -> None:
        self.delete(self._keys[self._pick.index(len(self._keys))])


#: The cache classes by policy name.
POLICIES: dict[str, type[_ListCache]] = {"LRU": LRUCache, "FIFO": FIFOCache, "random": RandomCache}


def hit_mask(
    keys: Sequence[int] | np.ndarray,
    capacity: int,
    policy: str = "LRU",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Which of ``keys``, read in order through an empty cache of ``capacity`` entries, are hits.

    A miss stores the key (read-through), evicting by ``policy`` ("LRU", "FIFO" or "random"; random draws
    its victims from ``rng``). No expiry, no writes: :class:`~scalelab.cache.stage.CacheStage` adds them.
    Gives the same answers as the classes above; about 0.2 µs a key.
    """
    sim = SimCache(capacity, policy, rng=rng)
    return sim.reads(np.asarray(keys))


class SimCache:
    """The simulator's cache: key → expiry time in an ``OrderedDict``, for speed (no values kept).

    ``read(key, now)`` is one read-through lookup (True on a hit; a miss stores the key); ``write(key)``
    invalidates; ``reads(keys, times)`` runs a whole array of reads in one loop. Same eviction and expiry
    rules as :class:`LRUCache`, :class:`FIFOCache`, :class:`RandomCache`.
    """

    def __init__(
        self,
        capacity: int,
        policy: str = "LRU",
        ttl: float | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {list(POLICIES)}, got {policy!r}")
        self.capacity = _capacity(capacity)
        self.policy = policy
        self.ttl = ttl
        _expiry(0.0, ttl)
        self._pick = _Uniforms(rng)
        self._store: OrderedDict[int, float] = OrderedDict()
        self._keys: list[int] = []  # random policy: stored keys, for a uniform pick
        self._where: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._store)

    def write(self, key: int) -> None:
        """A write to the database: the cached copy is dropped (cache-aside invalidation)."""
        if self._store.pop(key, None) is not None and self.policy == "random":
            self._forget(key)

    def _forget(self, key: int) -> None:
        i = self._where.pop(key)
        last = self._keys.pop()
        if i < len(self._keys):
            self._keys[i] = last
            self._where[last] = i

    def read(self, key: int, now: float = 0.0) -> bool:
        """One read at time ``now``: True on a hit; a miss (or an expired entry) stores the key."""
        hit = bytearray(1)
        if self.capacity:
            self._dispatch([key], [now], hit)
        return bool(hit[0])

    def reads(self, keys: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
        """A hit mask for ``keys`` read in order at ``times`` (seconds; needed only with a TTL)."""
        n = len(keys)
        hits = bytearray(n)
        if self.capacity == 0 or n == 0:
            return np.zeros(n, dtype=bool)
        if self.ttl is not None and (times is None or len(times) != n):
            raise ValueError(
                f"a cache with a TTL needs one time per key: {n} keys, times {times!r}"
            )
        if self.policy != "random":
            return self.run(keys, np.zeros(n, dtype=bool), times)
        times_ = None if times is None else np.asarray(times, dtype=float).tolist()
        self._dispatch(np.asarray(keys).tolist(), times_, hits)
        return np.frombuffer(bytes(hits), dtype=bool)

    def run(self, keys: np.ndarray, writes: np.ndarray, times: np.ndarray | None) -> np.ndarray:
        """Reads and writes (``writes`` True) in order, LRU or FIFO, in one compiled loop; the hit mask.

        Same answers as ``read`` and ``write`` one at a time (a test holds them to it), about 40 ns a
        key instead of 200: the simulator's hot loop (see :mod:`scalelab.cache._compiled`).
        """
        if self.policy == "random":
            raise ValueError("run() compiles LRU and FIFO only; random eviction uses read()")
        n = len(keys)
        if self.capacity == 0:
            return np.zeros(n, dtype=bool)
        if self.ttl is not None and (times is None or len(times) != n):
            raise ValueError(
                f"a cache with a TTL needs one time per key: {n} keys, times {times!r}"
            )
        when = np.zeros(n) if times is None else np.asarray(times, dtype=float)
        hits, contents = visits(
            np.asarray(keys),
            np.asarray(writes, dtype=bool),
            when,
            self.capacity,
            self.ttl,
            self.policy == "LRU",
            list(self._store.items()),
        )
        self._store = OrderedDict(contents)
        return hits

    def _dispatch(self, keys: list[int], times: list[float] | None, hits: bytearray) -> None:
        """The one-at-a-time loops (``read``, and ``reads`` under random eviction)."""
        times = times or [0.0] * len(keys)
        if self.policy == "random":
            self._reads_random(keys, times, hits, self.ttl)
        else:
            self._reads_lru_fifo(keys, times, hits)

    def _reads_lru_fifo(self, keys: list[int], times: list[float], hits: bytearray) -> None:
        store, capacity = self._store, self.capacity
        ttl = math.inf if self.ttl is None else self.ttl  # no TTL: an entry never expires
        move = store.move_to_end
        evict = store.popitem
        refresh = self.policy == "LRU"
        for i, key in enumerate(keys):
            now = times[i]
            expires = store.get(key)
            if expires is not None:
                if now < expires:
                    hits[i] = 1
                    if refresh:
                        move(key)
                    continue
                del store[key]  # expired: dropped, then fetched again below
            store[key] = now + ttl
            if len(store) > capacity:
                evict(False)

    def _reads_random(
        self, keys: list[int], times: list[float], hits: bytearray, ttl: float | None
    ) -> None:
        store, capacity, inf = self._store, self.capacity, float("inf")
        where, stored, pick, forget = self._where, self._keys, self._pick.index, self._forget
        for i, key in enumerate(keys):
            now = times[i]
            expires = store.get(key)
            if expires is not None:
                if now < expires:
                    hits[i] = 1
                    continue
                # Expired: dropped (the last key fills its slot, as in delete), then fetched again.
                del store[key]
                forget(key)
            elif len(stored) >= capacity:
                victim = stored[pick(len(stored))]
                del store[victim]
                forget(victim)
            store[key] = inf if ttl is None else now + ttl
            where[key] = len(stored)
            stored.append(key)
