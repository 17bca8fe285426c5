"""The cache family (chapter 07): the linked list, LRU/FIFO/random caches with TTL, the simulator's fast
path, the cache tier's stage and router, and the stampede model."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from scalelab.cache import (
    MISS,
    CacheStage,
    DoublyLinkedList,
    FIFOCache,
    KeyRouter,
    LRUCache,
    Node,
    RandomCache,
    SimCache,
    hit_mask,
    stampede,
)
from scalelab.sim import READ, WRITE, RequestView, ServerView
from scalelab.theory import caching


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- the doubly linked list -------------------------------------------------------------------------


def test_linked_list_push_move_remove_pop() -> None:
    order = DoublyLinkedList()
    assert len(order) == 0 and order.pop_back() is None and order.back() is None
    a, b, c = Node("a"), Node("b"), Node("c")
    for node in (a, b, c):
        order.push_front(node)
    assert order.keys() == ["c", "b", "a"] and len(order) == 3
    order.move_to_front(a)
    assert order.keys() == ["a", "c", "b"]
    order.remove(c)
    assert order.keys() == ["a", "b"] and len(order) == 2
    assert c.prev is None and c.next is None
    assert order.pop_back() is b
    assert order.keys() == ["a"]
    assert order.pop_back() is a
    assert order.keys() == [] and len(order) == 0 and order.pop_back() is None


def test_linked_list_links_both_ways_after_random_operations() -> None:
    rng = random.Random(7)
    order, model, nodes = DoublyLinkedList(), [], {}
    for step in range(3000):
        op = rng.choice(["push", "move", "remove", "pop"])
        if op == "push" or not model:
            nodes[step] = Node(step)
            order.push_front(nodes[step])
            model.insert(0, step)
        elif op == "move":
            key = rng.choice(model)
            order.move_to_front(nodes[key])
            model.remove(key)
            model.insert(0, key)
        elif op == "remove":
            key = rng.choice(model)
            order.remove(nodes.pop(key))
            model.remove(key)
        else:
            assert order.pop_back().key == model.pop()
        assert order.keys() == model and len(order) == len(model)
    backwards, node = [], order.tail.prev
    while node is not order.head:
        backwards.append(node.key)
        node = node.prev
    assert backwards == model[::-1]


# --- eviction order: what tells LRU, FIFO and random apart ---------------------------------------------


def test_lru_get_refreshes_recency_so_the_other_key_is_evicted() -> None:
    cache = LRUCache(2, Clock())
    cache.put("A", 1)
    cache.put("B", 2)
    assert cache.get("A") == 1
    cache.put("C", 3)
    assert cache.get("B") is MISS
    assert cache.get("A") == 1 and cache.get("C") == 3


def test_fifo_evicts_the_oldest_insertion_even_after_a_hit() -> None:
    cache = FIFOCache(2, Clock())
    cache.put("A", 1)
    cache.put("B", 2)
    assert cache.get("A") == 1
    cache.put("C", 3)
    assert cache.get("A") is MISS
    assert cache.get("B") == 2


def test_lru_put_on_an_existing_key_overwrites_and_refreshes_it() -> None:
    cache = LRUCache(2, Clock())
    cache.put("A", 1)
    cache.put("B", 2)
    cache.put("A", 10)
    cache.put("C", 3)
    assert cache.get("B") is MISS
    assert cache.get("A") == 10
    assert len(cache) == 2


def test_lru_keys_are_kept_most_recent_first() -> None:
    cache = LRUCache(3, Clock())
    for key in "abc":
        cache.put(key, key)
    cache.get("a")
    assert cache.keys() == ["a", "c", "b"]


def test_random_eviction_picks_every_entry_about_equally_often() -> None:
    evicted = {"A": 0, "B": 0, "C": 0}
    for seed in range(600):
        cache = RandomCache(3, Clock(), rng=np.random.default_rng(seed))
        for key in "ABC":
            cache.put(key, key)
        cache.get("A")  # recency must not matter
        cache.put("D", "D")
        (gone,) = [k for k in "ABC" if cache.get(k) is MISS]
        evicted[gone] += 1
    assert all(150 <= n <= 250 for n in evicted.values()), evicted


def test_random_eviction_repeats_with_the_same_generator() -> None:
    def survivors(seed: int) -> list[str]:
        cache = RandomCache(4, Clock(), rng=np.random.default_rng(seed))
        for key in "ABCDEFGHIJ":
            cache.put(key, key)
        return sorted(cache.keys())

    assert survivors(3) == survivors(3)
    assert len({tuple(survivors(s)) for s in range(20)}) > 5


# --- expiry, the injected clock, sentinels, edges --------------------------------------------------------


def test_an_entry_expires_exactly_ttl_seconds_after_it_was_written() -> None:
    clock = Clock(100.0)
    cache = LRUCache(4, clock)
    cache.put("k", "v", ttl=10)
    clock.now = 109.999
    assert cache.get("k") == "v"  # a read does not extend the TTL …
    clock.now = 110.0
    assert cache.get("k") is MISS  # … so it is gone at 100 + 10
    assert len(cache) == 0  # and dropped, not just hidden


def test_put_on_an_existing_key_resets_its_ttl() -> None:
    clock = Clock()
    cache = LRUCache(4, clock)
    cache.put("k", 1, ttl=10)
    clock.now = 8
    cache.put("k", 2, ttl=10)
    clock.now = 15
    assert cache.get("k") == 2
    clock.now = 18
    assert cache.get("k") is MISS


def test_an_overwrite_without_ttl_keeps_the_value_for_good() -> None:
    clock = Clock()
    cache = LRUCache(4, clock)
    cache.put("k", 1, ttl=10)
    cache.put("k", 2)
    clock.now = 1e9
    assert cache.get("k") == 2


def test_time_comes_from_the_injected_clock_not_the_wall_clock() -> None:
    clock = Clock(time.time() + 3600)  # an hour ahead of the wall clock
    cache = LRUCache(4, clock)
    cache.put("k", "v", ttl=60)
    assert cache.get("k") == "v"
    clock.now += 61
    assert cache.get("k") is MISS


def test_a_cached_none_is_a_hit() -> None:
    cache = LRUCache(2, Clock())
    cache.put("nobody", None)
    assert cache.get("nobody") is None
    assert cache.get("other") is MISS
    assert "nobody" in cache and "other" not in cache


def test_capacity_zero_stores_nothing_and_capacity_one_keeps_the_last() -> None:
    empty = LRUCache(0, Clock())
    empty.put("a", 1)
    assert empty.get("a") is MISS and len(empty) == 0
    one = LRUCache(1, Clock())
    one.put("a", 1)
    one.put("b", 2)
    assert one.get("a") is MISS and one.get("b") == 2
    one.put("b", 3)
    assert one.get("b") == 3 and len(one) == 1


def test_delete_drops_a_key() -> None:
    cache = LRUCache(2, Clock())
    cache.put("a", 1)
    assert cache.delete("a") is True and cache.delete("a") is False
    assert cache.get("a") is MISS


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3"])
def test_capacity_must_be_a_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="capacity must be a whole number of entries"):
        LRUCache(bad, Clock())


def test_ttl_must_be_positive_and_the_clock_callable() -> None:
    with pytest.raises(ValueError, match="ttl must be a positive number, got 0"):
        LRUCache(2, Clock()).put("a", 1, ttl=0)
    with pytest.raises(ValueError, match="clock must be a function"):
        LRUCache(2, 12.0)


def test_every_operation_is_constant_time() -> None:
    """10⁵ puts on a full cache of 10⁵ entries, then 10⁵ gets: an O(n) eviction would take minutes."""
    cache = LRUCache(100_000, Clock())
    for key in range(100_000):
        cache.put(key, key)
    start = time.perf_counter()
    for key in range(100_000, 200_000):
        cache.put(key, key)
        cache.get(key - 50_000)
    assert time.perf_counter() - start < 5.0


# --- the simulator's fast path equals the classes ------------------------------------------------------


def _class_hits(policy: str, capacity: int, keys, times, ttl, seed: int) -> list[bool]:
    clock = Clock()
    cls = {"LRU": LRUCache, "FIFO": FIFOCache, "random": RandomCache}[policy]
    extra = {"rng": np.random.default_rng(seed)} if policy == "random" else {}
    cache = cls(capacity, clock, **extra)
    hits = []
    for key, now in zip(keys, times, strict=True):
        clock.now = now
        hit = cache.get(key) is not MISS
        if not hit:
            cache.put(key, key, ttl)
        hits.append(hit)
    return hits


@pytest.mark.parametrize("policy", ["LRU", "FIFO", "random"])
def test_fast_hit_mask_equals_the_cache_classes(policy: str) -> None:
    rng = np.random.default_rng(11)
    for scenario in range(120):
        n_keys = int(rng.integers(1, 30))
        capacity = int(rng.integers(0, 12))
        keys = rng.integers(0, n_keys, int(rng.integers(0, 300)))
        ttl = None if scenario % 2 else float(rng.choice([0.5, 2.0, 10.0]))
        times = np.sort(rng.uniform(0, 30, len(keys)))
        if scenario % 4 == 0:  # whole seconds: reads at the very instant an entry expires
            times = np.floor(times)
        want = _class_hits(policy, capacity, keys.tolist(), times.tolist(), ttl, scenario)
        if ttl is None:
            got = hit_mask(keys, capacity, policy, rng=np.random.default_rng(scenario))
        else:
            sim = SimCache(capacity, policy, ttl, rng=np.random.default_rng(scenario))
            got = sim.reads(keys, times)
        assert got.tolist() == want, (policy, scenario, capacity, ttl)


def test_one_read_at_a_time_equals_a_whole_array() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 40, 2000)
    times = np.sort(rng.uniform(0, 100, 2000))
    for policy in ("LRU", "FIFO", "random"):
        one = SimCache(10, policy, ttl=5.0, rng=np.random.default_rng(1))
        many = SimCache(10, policy, ttl=5.0, rng=np.random.default_rng(1))
        singles = [one.read(int(k), float(t)) for k, t in zip(keys, times, strict=True)]
        assert singles == many.reads(keys, times).tolist(), policy


@pytest.mark.parametrize("alpha", [0.8, 1.0])
@pytest.mark.parametrize("capacity", [100, 1_000, 3_000])
def test_lru_hit_ratio_is_within_a_hundredth_of_che(alpha: float, capacity: int) -> None:
    """Issue 8 §2: N = 10⁴ keys, Zipf α ∈ {0.8, 1.0}, three cache sizes; 10% of requests warm up."""
    popularity = caching.zipf_popularity(10_000, alpha)
    keys = np.random.default_rng(21).choice(10_000, size=400_000, p=popularity)
    hits = hit_mask(keys, capacity, "LRU")
    simulated = hits[40_000:].mean()
    assert simulated == pytest.approx(caching.che_hit_ratio(popularity, capacity), abs=0.01)


def test_fifo_and_random_hit_less_than_lru_but_not_by_much() -> None:
    popularity = caching.zipf_popularity(10_000, 0.9)
    keys = np.random.default_rng(3).choice(10_000, size=300_000, p=popularity)
    ratio = {p: hit_mask(keys, 1000, p)[30_000:].mean() for p in ("LRU", "FIFO", "random")}
    assert ratio["FIFO"] < ratio["LRU"] - 0.02 and ratio["random"] < ratio["LRU"] - 0.02
    assert abs(ratio["FIFO"] - ratio["random"]) < 0.01


# --- the cache tier in the engine ------------------------------------------------------------------------


def test_stage_visit_many_equals_visit_one_by_one() -> None:
    rng = np.random.default_rng(9)
    for scenario in range(40):
        n = int(rng.integers(0, 800))
        nodes = rng.integers(0, 3, n)
        keys = rng.integers(0, 50, n)
        kinds = np.where(rng.random(n) < 0.15, WRITE, READ).astype(np.int8)
        times = np.sort(rng.uniform(0, 60, n))
        policy = ["LRU", "FIFO", "random"][scenario % 3]
        ttl = [None, 3.0][scenario % 2]
        one, many = CacheStage(8, policy, ttl), CacheStage(8, policy, ttl)
        one.reset(3, np.random.default_rng(scenario))
        many.reset(3, np.random.default_rng(scenario))
        singles = [
            one.visit(int(node), RequestView(i, float(t), int(k), int(kind)))
            for i, (node, k, kind, t) in enumerate(zip(nodes, keys, kinds, times, strict=True))
        ]
        assert many.visit_many(nodes, keys, kinds, times).tolist() == singles, scenario


def test_stage_reads_through_and_a_write_invalidates() -> None:
    stage = CacheStage(4)
    stage.reset(1, np.random.default_rng(0))
    assert stage.visit(0, RequestView(0, 0.0, key=7)) is False  # miss: goes on, and is stored
    assert stage.visit(0, RequestView(1, 0.1, key=7)) is True  # hit: answered here
    assert stage.visit(0, RequestView(2, 0.2, key=7, kind=WRITE)) is False  # a write goes on …
    assert stage.visit(0, RequestView(3, 0.3, key=7)) is False  # … and dropped the cached copy


def test_key_router_spreads_keys_over_the_healthy_nodes() -> None:
    router = KeyRouter()
    nodes = [ServerView(i, f"cache-{i + 1}") for i in range(3)]
    assert [router.route(RequestView(0, 0.0, key=k), nodes) for k in range(6)] == [0, 1, 2, 0, 1, 2]
    nodes[1].healthy = False
    assert [router.route(RequestView(0, 0.0, key=k), nodes) for k in range(4)] == [0, 2, 0, 2]
    for node in nodes:
        node.healthy = False
    assert router.route(RequestView(0, 0.0, key=1), nodes) is None


# --- the stampede model ----------------------------------------------------------------------------------


def test_a_naive_expiry_rebuilds_about_one_plus_rate_times_delta() -> None:
    """CHAPTERS.md §07 (a)9: rate 100/s, δ = 1 s, TTL 60 s → about 98 rebuilds a cycle."""
    result = stampede(100, 1.0, 60.0, "none", cycles=40, rng=np.random.default_rng(2))
    assert result.rebuilds_per_cycle == pytest.approx(1 + 100 * 1.0, rel=0.06)
    assert result.peak > 80
    assert result.rebuilds_per_expiry == pytest.approx(1 + 100 * 1.0, rel=0.06)


def test_a_lock_rebuilds_once_per_expiry_and_readers_wait() -> None:
    result = stampede(100, 1.0, 60.0, "lock", cycles=40, rng=np.random.default_rng(2))
    assert result.peak == 1
    assert 0.9 <= result.rebuilds_per_cycle <= 1.0
    assert result.rebuilds_per_expiry == 1.0
    assert result.waited_share == pytest.approx(1 / 61, rel=0.15)  # about δ / (TTL + δ) of reads


def test_xfetch_rebuilds_early_so_nobody_waits() -> None:
    result = stampede(1000, 1.0, 60.0, "xfetch", cycles=10, rng=np.random.default_rng(2))
    assert result.waited == 0
    assert 1 <= result.rebuilds_per_cycle <= 5


def test_stampede_repeats_with_the_same_seed() -> None:
    a = stampede(200, 0.5, 10.0, "xfetch", rng=np.random.default_rng(4))
    b = stampede(200, 0.5, 10.0, "xfetch", rng=np.random.default_rng(4))
    assert np.array_equal(a.starts, b.starts) and a.waited == b.waited


@pytest.mark.parametrize("policy", ["LRU", "FIFO"])
@pytest.mark.parametrize("ttl", [None, 5.0])
def test_the_compiled_loop_answers_as_one_read_and_write_at_a_time(policy, ttl):
    """SimCache.run (numba) against read()/write() (an OrderedDict), keys sparse and negative too."""
    g = np.random.default_rng(7)
    for capacity in (1, 2, 7, 30):
        for _ in range(25):
            n = 300
            keys = g.integers(-3, 40, n) * (10**9 if g.uniform() < 0.3 else 1)
            writes = g.uniform(size=n) < 0.15
            times = np.sort(g.integers(0, 60, n)).astype(float)
            fast, slow = SimCache(capacity, policy, ttl), SimCache(capacity, policy, ttl)
            fast.read(int(keys[0]), 0.0)  # something cached before the compiled run
            slow.read(int(keys[0]), 0.0)
            hits = fast.run(keys, writes, times)
            expected = [
                slow.write(k) or False if w else slow.read(k, t)
                for k, w, t in zip(keys.tolist(), writes.tolist(), times.tolist(), strict=True)
            ]
            assert hits.tolist() == expected
            assert list(fast._store.items()) == list(slow._store.items())
