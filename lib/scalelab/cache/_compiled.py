"""The simulator's LRU and FIFO caches as one compiled loop over arrays (numba), for 10⁷ keys a run.

The same rules as :class:`~scalelab.cache.lru.SimCache` (which keeps them in an ``OrderedDict``): a read
hits when the key is stored and ``now < expiry``; LRU moves a hit to the fresh end, FIFO does not; a
miss, or an expired entry, is stored at the fresh end with expiry ``now + ttl`` and evicts the stale
end when the cache is over capacity; a write drops the key. The doubly linked list is four arrays
(``prev``, ``next``, ``key_at``, ``expiry_at``) and the dictionary is ``slot_of``, indexed by key: the
learner's ``LRUCache`` in ``lru.py`` is the same structure with objects. Tests hold the two to the same
answers over random sequences.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from scalelab.sim.fastloop import _jit

#: Keys are used as array indexes when they are this dense (otherwise renumbered first).
_DIRECT = 1 << 22


def _visits(ids, writes, times, capacity, ttl, refresh, n_ids, start_ids, start_expiry, hits, out):  # noqa: ANN001, ANN202, PLR0913
    """Fill ``hits``; leave the final contents in ``out`` (stale end first); return their number."""
    slot_of = np.empty(n_ids, np.int64)
    for k in range(n_ids):
        slot_of[k] = -1
    key_at = np.empty(capacity, np.int64)
    expiry_at = np.empty(capacity, np.float64)
    prev = np.empty(capacity, np.int64)
    nxt = np.empty(capacity, np.int64)
    free = np.empty(capacity, np.int64)
    for s in range(capacity):
        free[s] = capacity - 1 - s
    n_free = capacity
    head = -1  # the fresh end
    tail = -1  # the stale end, evicted first
    for r in range(len(start_ids) + len(ids)):
        seeding = r < len(start_ids)
        i = r - len(start_ids)
        k = start_ids[r] if seeding else ids[i]
        s = slot_of[k]
        if not seeding:
            if s >= 0:
                if not writes[i] and times[i] < expiry_at[s]:
                    hits[i] = True
                    if refresh and s != head:
                        p, q = prev[s], nxt[s]
                        if p >= 0:
                            nxt[p] = q
                        else:
                            tail = q
                        prev[q] = p
                        prev[s] = head
                        nxt[s] = -1
                        nxt[head] = s
                        head = s
                    continue
                p, q = prev[s], nxt[s]  # a write drops the key; an expired entry is stored anew
                if p >= 0:
                    nxt[p] = q
                else:
                    tail = q
                if q >= 0:
                    prev[q] = p
                else:
                    head = p
                slot_of[k] = -1
                free[n_free] = s
                n_free += 1
            if writes[i]:
                continue
        if n_free == 0:  # full: the stale end goes
            s = tail
            tail = nxt[s]
            if tail >= 0:
                prev[tail] = -1
            else:
                head = -1
            slot_of[key_at[s]] = -1
        else:
            n_free -= 1
            s = free[n_free]
        key_at[s] = k
        expiry_at[s] = start_expiry[r] if seeding else times[i] + ttl
        slot_of[k] = s
        prev[s] = head
        nxt[s] = -1
        if head >= 0:
            nxt[head] = s
        else:
            tail = s
        head = s
    size = 0
    s = tail
    while s >= 0:
        out[size] = key_at[s]
        out[capacity + size] = expiry_at[s]
        size += 1
        s = nxt[s]
    return size


@functools.cache
def _compiled() -> Callable:
    from numba import types

    ints, flags, floats = (
        types.Array(t, 1, "C") for t in (types.int64, types.bool_, types.float64)
    )
    signature = types.int64(
        ints, flags, floats, types.int64, types.float64, types.boolean, types.int64, ints, floats,
        flags, floats,
    )  # fmt: skip
    return _jit(_visits, signature)


def visits(
    keys: np.ndarray,
    writes: np.ndarray,
    times: np.ndarray,
    capacity: int,
    ttl: float | None,
    refresh: bool,
    start: list[tuple[int, float]],
) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """Run reads and writes through a cache holding ``start`` (key, expiry; stale end first).

    Returns the hit mask and the contents afterwards in the same form as ``start``.
    """
    n = len(keys)
    start_keys = np.array([k for k, _ in start], dtype=np.int64)
    every = np.concatenate([start_keys, np.asarray(keys, dtype=np.int64)])
    if len(every) and every.min() >= 0 and every.max() < max(_DIRECT, 4 * len(every)):
        names, ids, n_ids = None, every, int(every.max()) + 1
    else:
        names, ids = np.unique(every, return_inverse=True)
        n_ids = len(names)
    hits = np.zeros(n, dtype=np.bool_)
    out = np.empty(2 * capacity, dtype=np.float64)
    size = _compiled()(
        np.ascontiguousarray(ids[len(start_keys) :]),
        np.ascontiguousarray(writes, dtype=np.bool_),
        np.ascontiguousarray(times, dtype=np.float64),
        capacity,
        math.inf if ttl is None else float(ttl),
        refresh,
        max(n_ids, 1),
        np.ascontiguousarray(ids[: len(start_keys)]),
        np.array([e for _, e in start], dtype=np.float64),
        hits,
        out,
    )
    final = out[:size].astype(np.int64)
    if names is not None:
        final = names[final]
    return hits, list(zip(final.tolist(), out[capacity : capacity + size].tolist(), strict=True))
