"""Chapter 08's family: the edge cache's TTL, the nearest edge, tiered prices, signed links."""

from __future__ import annotations

import base64
import hmac
import math
import urllib.parse

import numpy as np
import pytest

from scalelab.cdn import (
    CLOUDFRONT_US_EU,
    FLAT_002,
    MAX_LIFETIME,
    TB,
    EdgeCache,
    NearestEdge,
    monthly_cost,
    nearest,
    origin_only,
    origin_requests,
    sign,
    signing,
    verify,
    with_edges,
)
from scalelab.cdn.scenario import run
from scalelab.sim import Server, Tier, Topology, poisson, with_keys, with_places
from scalelab.sim.route import RequestView
from scalelab.theory.caching import ttl_catalogue_hit_ratio, zipf_popularity

KEY = b"edge-secret"
NOW = 1_800_000_000


# ---- the edge cache and its TTL ---------------------------------------------------------------


def _view(key: int, time: float) -> RequestView:
    return RequestView(0, time, key, 0, None)


def test_edge_cache_hits_until_the_ttl_then_fetches_again() -> None:
    cache = EdgeCache(ttl=10)
    cache.reset(1, np.random.default_rng(0))
    answers = [cache.visit(0, _view(7, t)) for t in (0.0, 5.0, 9.999, 10.0, 15.0)]
    assert answers == [False, True, True, False, True]  # fresh while now < fetched + ttl
    assert cache.hits.tolist() == [3] and cache.misses.tolist() == [2]


def test_a_short_ttl_sends_traffic_to_the_origin_and_a_long_one_serves_stale_copies() -> None:
    edges = ("Seoul", "Frankfurt")
    short = run(edges, ttl=1, duration=20, updated_every=5)
    long_ = run(edges, ttl=300, duration=20, updated_every=5)
    assert short.origin_share > long_.origin_share + 0.2
    assert long_.stale > short.stale + 0.1


def test_the_hit_ratio_follows_the_ttl_formula_on_one_edge() -> None:
    # One edge, no size limit, Poisson reads of a Zipf catalogue: Σ pᵢ λpᵢT/(1+λpᵢT) (after the cold start).
    n_keys, alpha, rate, ttl, duration = 200, 0.8, 400.0, 2.0, 100.0
    rng = np.random.default_rng(5)
    w = with_keys(poisson(rate, duration, 0.001, rng), n_keys, alpha, rng)
    cache = EdgeCache(ttl)
    Topology(
        [
            Tier("edge", [Server(workers=64)], cpu_time=0.0001, stage=cache),
            Tier("origin", [Server(workers=64)], cpu_time=0.0001),
        ]
    ).run(w, rng=np.random.default_rng(6))
    want = ttl_catalogue_hit_ratio(zipf_popularity(n_keys, alpha), rate, ttl)
    assert cache.hit_ratio == pytest.approx(want, abs=0.02)


def test_edge_cache_refuses_a_negative_ttl() -> None:
    with pytest.raises(ValueError, match="ttl"):
        EdgeCache(-1)


# ---- the nearest edge -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "edges", "want"),
    [
        ("Busan", ("Seoul", "Frankfurt", "São Paulo"), "Seoul"),
        ("London", ("Seoul", "Frankfurt", "São Paulo"), "Frankfurt"),
        ("Los Angeles", ("N. California", "N. Virginia"), "N. California"),
        ("Mumbai", ("Singapore", "Frankfurt"), "Singapore"),
    ],
)
def test_nearest_edge(user: str, edges: tuple[str, ...], want: str) -> None:
    assert nearest(user, edges) == want


def test_the_router_sends_every_user_to_the_nearest_edge_in_the_engine() -> None:
    rng = np.random.default_rng(3)
    w = with_places(poisson(100, 5, 0.001, rng), {"Busan": 0.5, "London": 0.5}, rng)
    path = Topology(
        [Tier("edge", [Server(place="Seoul"), Server(place="Frankfurt")], router=NearestEdge())]
    )
    result = path.run(w, rng=np.random.default_rng(4))
    node = result.node[0]  # workload order (tier("edge") is in arrival order at the edge)
    busan = w.place == [p.name for p in w.places].index("Busan")
    assert (node[busan] == 0).all() and (node[~busan] == 1).all()


def test_edges_cut_far_users_latency_and_the_origins_share() -> None:
    far = run(())
    near = run(("Seoul", "Frankfurt", "São Paulo"), ttl=30)
    assert (near.p50 < far.p50 / 10).all()
    assert far.origin_share == 1.0 and near.origin_share < 0.5
    assert far.cost_month == near.cost_month  # users get the same bytes either way


def test_origin_requests_counts_the_misses() -> None:
    rng = np.random.default_rng(8)
    w = with_places(with_keys(poisson(100, 5, 0.001, rng), 50, 1.0, rng), {"Seoul": 1.0}, rng)
    cache = EdgeCache(60)
    result = with_edges(["Seoul"], cache).run(w, rng=np.random.default_rng(9))
    assert origin_requests(result) == int(cache.misses.sum())
    assert origin_requests(origin_only().run(w, rng=np.random.default_rng(9))) == len(w.arrival)


# ---- tiered prices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gb", "want"),
    [
        (0, 0.0),
        (1 * TB, 85.0),
        (10 * TB, 850.0),
        (10 * TB + 1, 850.08),
        (100 * TB, 850 + 3_200 + 3_000),  # 10 TB at 0.085, 40 at 0.080, 50 at 0.060: $7,050
        (1_000 * TB, 39_050.0),
        (
            1_024 * TB,
            39_050.0 + 24 * TB * 0.030,
        ),  # 1 PB = 1,024 TB: AWS's "next 524 TB" after 500 TB
        (5_120 * TB, 39_770.0 + 4_096 * TB * 0.025),  # "next 4 PB" ends at 5 PB = 5,120 TB
        (5_120 * TB + 1_000, 39_770.0 + 4_096 * TB * 0.025 + 1_000 * 0.020),
    ],
)
def test_tiered_cost_by_hand(gb: float, want: float) -> None:
    assert monthly_cost(gb) == pytest.approx(want)


def test_tiered_cost_is_not_flat_and_a_flat_table_is() -> None:
    assert monthly_cost(100 * TB) != pytest.approx(
        100 * TB * 0.060
    )  # $6,000: every byte at its tier's price
    assert monthly_cost(1_234.5, FLAT_002) == pytest.approx(24.69)


def test_tiered_cost_is_continuous_and_rising_across_every_boundary() -> None:
    for up_to, _ in CLOUDFRONT_US_EU[:-1]:
        assert monthly_cost(up_to + 1e-6) - monthly_cost(up_to - 1e-6) == pytest.approx(0, abs=1e-6)
    volumes = np.linspace(0, 6_000 * TB, 500)
    costs = [monthly_cost(float(v)) for v in volumes]
    assert all(b >= a for a, b in zip(costs, costs[1:], strict=False))


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "10", None, True])
def test_cost_refuses_what_is_not_a_volume(bad: object) -> None:
    with pytest.raises(ValueError, match="gb"):
        monthly_cost(bad)  # type: ignore[arg-type]


def test_cost_refuses_a_table_without_a_last_unbounded_tier() -> None:
    with pytest.raises(ValueError, match="inf"):
        monthly_cost(5, [(10, 0.1)])


def test_cost_refuses_a_table_of_bare_prices_in_one_line() -> None:
    with pytest.raises(ValueError, match="pairs"):
        monthly_cost(5, [0.1])  # type: ignore[list-item]


# ---- signed links -----------------------------------------------------------------------------


def test_round_trip_and_url_safety() -> None:
    for path in ("/video/a.mp4", "/v/seg 1.ts", "/img/x.png?size=large"):
        url = sign(path, NOW + 3600, KEY, now=NOW)
        assert verify(url, KEY, NOW) == "ok"
        sig = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["signature"][0]
        assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert len(sig) == 43  # 32 bytes, URL-safe base64 without padding
        assert (
            base64.urlsafe_b64decode(sig + "=")
            == hmac.new(KEY, f"{path}\n{NOW + 3600}".encode(), "sha256").digest()
        )


def test_the_expiry_boundary_second() -> None:
    url = sign("/a.mp4", NOW + 60, KEY, now=NOW)
    assert verify(url, KEY, NOW + 59) == "ok"
    assert verify(url, KEY, NOW + 59.999) == "ok"
    assert verify(url, KEY, NOW + 60) == "expired"  # valid while now < expires
    assert verify(url, KEY, NOW + 61) == "expired"


def test_tampering_is_caught() -> None:
    url = sign("/video/a.mp4?quality=sd", NOW + 60, KEY, now=NOW)
    assert verify(url.replace("/a.mp4", "/b.mp4"), KEY, NOW) == "bad-signature"
    assert verify(url.replace("quality=sd", "quality=hd"), KEY, NOW) == "bad-signature"
    assert (
        verify(url.replace(f"expires={NOW + 60}", f"expires={NOW + 600}"), KEY, NOW)
        == "bad-signature"
    )
    assert verify(url, b"another key", NOW) == "bad-signature"
    flipped = url[:-1] + ("A" if url[-1] != "A" else "B")
    assert verify(flipped, KEY, NOW) == "bad-signature"
    # Tampered and expired: the signature speaks first.
    assert verify(url.replace("/a.mp4", "/b.mp4"), KEY, NOW + 3600) == "bad-signature"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/a.mp4",
        "/a.mp4?expires=1&signature=",
        "/a.mp4?signature=abc&expires=1",
        "a.mp4?expires=1&signature=x",
        "/a?expires=1&signature=é",  # not URL-safe base64: no compare_digest on non-ASCII text
        None,
    ],
)
def test_malformed_links(bad: object) -> None:
    assert verify(bad, KEY, NOW) == "malformed"  # type: ignore[arg-type]


def test_a_tampered_link_that_also_expired_is_a_bad_signature() -> None:
    url = sign("/a.mp4", NOW + 60, KEY, now=NOW)
    assert verify(url.replace("/a.mp4", "/b.mp4"), KEY, NOW + 120) == "bad-signature"
    moved = url.replace(f"expires={NOW + 60}", f"expires={NOW + 8 * 86400}")
    assert verify(moved, KEY, NOW) == "bad-signature"


@pytest.mark.parametrize("now", ["1800000000", None, math.nan])
def test_sign_and_verify_refuse_a_now_that_is_not_a_number(now: object) -> None:
    with pytest.raises(ValueError, match="now"):
        sign("/a", NOW + 60, KEY, now=now)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="now"):
        verify(sign("/a", NOW + 60, KEY, now=NOW), KEY, now)  # type: ignore[arg-type]


def test_sign_refuses_a_link_that_is_already_signed() -> None:
    url = sign("/a?quality=hd", NOW + 60, KEY, now=NOW)
    assert url.startswith("/a?quality=hd&expires=")
    with pytest.raises(ValueError, match="already a signed link"):
        sign(url, NOW + 60, KEY, now=NOW)


def test_lifetime_is_capped() -> None:
    assert verify(sign("/a", NOW + MAX_LIFETIME, KEY, now=NOW), KEY, NOW) == "ok"
    with pytest.raises(ValueError, match="7 days"):
        sign("/a", NOW + MAX_LIFETIME + 1, KEY, now=NOW)
    with pytest.raises(ValueError, match="after now"):
        sign("/a", NOW, KEY, now=NOW)
    late = NOW + 10 * MAX_LIFETIME
    forever = f"/a?expires={late}&signature={signing.signature('/a', late, KEY)}"
    assert verify(forever, KEY, NOW) == "too-long"


def test_verify_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(signing.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert verify(sign("/a", NOW + 5, KEY, now=NOW), KEY, NOW) == "ok"
    assert calls == [1]


# ---- planted bugs fail ------------------------------------------------------------------------


def test_planted_bugs_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above fail on the classic bugs: plant one, see it slip through."""
    real = signing.signature
    # The expiry left out of the signed message: a bumped expiry verifies.
    monkeypatch.setattr(signing, "signature", lambda path, expires, key: real(path, 0, key))
    url = sign("/a.mp4", NOW + 60, KEY, now=NOW)
    bumped = url.replace(f"expires={NOW + 60}", f"expires={NOW + 600}")
    assert verify(bumped, KEY, NOW + 100) == "ok"  # what test_tampering_is_caught refuses
    monkeypatch.undo()
    assert verify(bumped, KEY, NOW + 100) == "bad-signature"
    # Flat pricing (every byte at the price of the tier the total falls in) is $1,050 off at 100 TB.
    assert monthly_cost(100 * TB) - 100 * TB * 0.060 == pytest.approx(1_050)
