"""Chapter 07's closed forms: Che's characteristic time, its hit ratio, TTL caches, cache-aside cost."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalelab.theory import caching


def test_zipf_popularity_sums_to_one_and_falls_as_a_power() -> None:
    p = caching.zipf_popularity(1000, 0.9)
    assert p.sum() == pytest.approx(1.0)
    assert p[0] / p[9] == pytest.approx(10**0.9)
    assert np.allclose(caching.zipf_popularity(4, 0), 0.25)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_zipf_refuses_a_bad_number_of_keys(bad: object) -> None:
    with pytest.raises(ValueError, match="n_keys must be a positive integer"):
        caching.zipf_popularity(bad, 1.0)


def test_zero_capacity_has_characteristic_time_zero_and_no_hits() -> None:
    p = caching.zipf_popularity(100, 1.0)
    assert caching.characteristic_time(p, 0) == 0.0
    assert caching.che_hit_ratio(p, 0) == 0.0


def test_a_cache_holding_the_whole_catalogue_never_evicts() -> None:
    p = caching.zipf_popularity(50, 0.8)
    assert caching.characteristic_time(p, 50) == math.inf
    assert caching.che_hit_ratio(p, 50) == pytest.approx(1.0)


def test_characteristic_time_grows_without_bound_as_the_cache_nears_the_catalogue() -> None:
    p = caching.zipf_popularity(200, 1.0)
    times = [caching.characteristic_time(p, c) for c in (1, 10, 100, 190, 199, 199.9, 199.999)]
    assert all(a < b for a, b in zip(times, times[1:], strict=False))
    # Near a full catalogue even the rarest key must stay cached: T grows like ln(1/ε) / p_min.
    assert times[-1] > 30 * times[2]


def test_the_root_solves_ches_equation() -> None:
    p = caching.zipf_popularity(10_000, 0.9)
    for c in (1, 100, 2_000, 9_000):
        t = caching.characteristic_time(p, c)
        assert caching.occupancy(p, t) == pytest.approx(c, rel=1e-8)


def test_uniform_popularity_solved_by_hand() -> None:
    # N equal keys: N (1 − e^(−T/N)) = C, so T = −N ln(1 − C/N), and H = C/N (a random C of N keys).
    n, c = 1000, 250
    p = np.full(n, 1 / n)
    assert caching.characteristic_time(p, c) == pytest.approx(-n * math.log(1 - c / n), rel=1e-8)
    assert caching.che_hit_ratio(p, c) == pytest.approx(c / n, rel=1e-8)


def test_two_keys_solved_by_hand() -> None:
    # p = (1/2, 1/2), C = 1: 2(1 − e^(−T/2)) = 1 → T = 2 ln 2.
    assert caching.characteristic_time([0.5, 0.5], 1) == pytest.approx(2 * math.log(2), rel=1e-8)


def test_keys_never_requested_do_not_count_towards_the_catalogue() -> None:
    p = np.array([0.5, 0.5, 0.0])
    assert caching.characteristic_time(p, 2) == math.inf
    with pytest.raises(ValueError, match="capacity must be from 0 up to the 2 keys"):
        caching.characteristic_time(p, 3)


@pytest.mark.parametrize(
    ("capacity", "t_c", "che"),
    [(100, 121.8, 0.2612), (500, 770.9, 0.4554), (1_000, 1_796, 0.5565), (2_000, 4_442, 0.6713)],
)
def test_che_matches_the_chapters_table(capacity: int, t_c: float, che: float) -> None:
    """CHAPTERS.md §07 (a)1: N = 10,000 keys, Zipf α = 0.9."""
    p = caching.zipf_popularity(10_000, 0.9)
    assert caching.characteristic_time(p, capacity) == pytest.approx(t_c, rel=1e-3)
    assert caching.che_hit_ratio(p, capacity) == pytest.approx(che, abs=5e-5)


@pytest.mark.parametrize(
    ("alpha", "row"),
    [
        (0.6, (0.043, 0.151, 0.243, 0.382)),
        (0.8, (0.157, 0.331, 0.437, 0.568)),
        (1.0, (0.391, 0.587, 0.676, 0.768)),
        (1.2, (0.656, 0.808, 0.861, 0.909)),
    ],
)
def test_che_matches_the_widget_table(alpha: float, row: tuple[float, ...]) -> None:
    p = caching.zipf_popularity(10_000, alpha)
    got = [caching.che_hit_ratio(p, c) for c in (100, 500, 1_000, 2_000)]
    assert got == pytest.approx(row, abs=5e-4)


def test_lru_never_beats_keeping_the_most_popular_keys() -> None:
    p = caching.zipf_popularity(10_000, 0.9)
    assert caching.top_c_hit_ratio(p, 100) == pytest.approx(0.4096, abs=5e-5)
    for c in (10, 100, 1_000, 5_000):
        assert caching.che_hit_ratio(p, c) < caching.top_c_hit_ratio(p, c)


@pytest.mark.parametrize(("rate", "ttl", "h"), [(0.1, 60, 0.8571), (0.01, 60, 0.375), (1, 1, 0.5)])
def test_ttl_hit_ratio_from_insertion(rate: float, ttl: float, h: float) -> None:
    assert caching.ttl_hit_ratio(rate, ttl) == pytest.approx(h, abs=5e-5)


def test_ttl_hit_ratio_agrees_with_a_renewal_simulation() -> None:
    rng = np.random.default_rng(3)
    rate, ttl = 0.1, 60.0
    times = np.cumsum(rng.exponential(1 / rate, 200_000))
    hits, expires = 0, -1.0
    for t in times:
        if t < expires:
            hits += 1
        else:
            expires = t + ttl
    assert hits / len(times) == pytest.approx(caching.ttl_hit_ratio(rate, ttl), abs=0.005)


def test_ttl_catalogue_is_the_popularity_weighted_mean_of_per_key_ratios() -> None:
    p = np.array([0.75, 0.25])
    want = 0.75 * caching.ttl_hit_ratio(75, 2) + 0.25 * caching.ttl_hit_ratio(25, 2)
    assert caching.ttl_catalogue_hit_ratio(p, 100, 2) == pytest.approx(want)


def test_cache_aside_latency_and_database_load() -> None:
    """CHAPTERS.md §07 (a)2: 0.5 ms cache, 10 ms database."""
    assert caching.cache_aside_latency(0.9, 0.0005, 0.010) == pytest.approx(0.0015)
    assert caching.cache_aside_latency(0.99, 0.0005, 0.010) == pytest.approx(0.0006)
    assert caching.db_read_load(0.9, 1000) == pytest.approx(100)
    assert caching.db_read_load(0.99, 1000) == pytest.approx(10)
    with pytest.raises(ValueError, match="hit_ratio must be a number from 0 to 1, got 1.5"):
        caching.cache_aside_latency(1.5, 0.0005, 0.010)


def test_popularity_must_be_probabilities() -> None:
    with pytest.raises(ValueError, match="popularity must sum to 1"):
        caching.che_hit_ratio([0.5, 0.2], 1)
    with pytest.raises(ValueError, match="popularity must be a non-empty 1-D array"):
        caching.che_hit_ratio([], 0)
