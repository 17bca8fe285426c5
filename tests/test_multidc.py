"""Chapter 09's family: nearest by great-circle distance, DNS failover that honours the TTL, writes lost."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalelab.multidc import (
    CachedDns,
    Failover,
    Nearest,
    Weighted,
    datacenters,
    failover_seconds,
    nearest_index,
    outage,
    resolved_at,
    writes_lost,
)
from scalelab.multidc.failover import _views
from scalelab.sim import Outage, Tier, Topology, geo, poisson, with_places, with_sessions


def _brute(user, places, healthy):  # noqa: ANN001, ANN202
    """The nearest healthy place by the haversine formula written out; ties: the first."""
    la1, lo1 = math.radians(user[0]), math.radians(user[1])
    best = None
    for i, (p, ok) in enumerate(zip(places, healthy, strict=True)):
        la2, lo2 = math.radians(p[0]), math.radians(p[1])
        h = (
            math.sin((la2 - la1) / 2) ** 2
            + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
        )
        d = 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
        if ok and (best is None or d < best[0] - 1e-9):
            best = (d, i)
    return None if best is None else best[1]


def _flat(user, places, healthy):  # noqa: ANN001, ANN202
    """Planted bug: distance on raw latitude and longitude."""
    d = [
        math.hypot(p[0] - user[0], p[1] - user[1]) if ok else math.inf
        for p, ok in zip(places, healthy, strict=True)
    ]
    return None if not any(healthy) else int(np.argmin(d))


def _blind(user, places, healthy):  # noqa: ANN001, ANN202
    """Planted bug: health ignored."""
    return _brute(user, places, [True] * len(places))


def _random_cases(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        k = int(rng.integers(1, 7))
        places = [(float(rng.uniform(-89, 89)), float(rng.uniform(-180, 180))) for _ in range(k)]
        user = (float(rng.uniform(-89, 89)), float(rng.uniform(-180, 180)))
        healthy = [bool(x) for x in rng.random(k) < 0.7]
        cases.append((user, places, healthy))
    return cases


def _agrees(func) -> bool:  # noqa: ANN001
    edge = [
        ((0.0, 179.0), [(0.0, 170.0), (0.0, -179.0)], [True, True]),  # across the antimeridian
        ((89.0, 0.0), [(80.0, 0.0), (89.0, 180.0)], [True, True]),  # over the pole
        ((10.0, 10.0), [(0.0, 0.0), (0.0, 0.0)], [True, True]),  # a tie: the first
        ((10.0, 10.0), [(10.0, 10.0), (0.0, 0.0)], [False, True]),  # the nearest is down
        ((10.0, 10.0), [(10.0, 10.0)], [False]),  # all down
    ]
    return all(func(*c) == _brute(*c) for c in edge + _random_cases(300, 9))


def test_nearest_matches_brute_force_and_the_checker_catches_planted_bugs() -> None:
    assert _agrees(nearest_index)
    assert not _agrees(_flat)
    assert not _agrees(_blind)


def test_nearest_policy_routes_seoul_users_to_tokyo_then_elsewhere() -> None:
    servers = _views([geo.place(r) for r in ("Frankfurt", "Tokyo", "N. Virginia")], None)
    assert Nearest().shares(geo.place("Seoul"), servers).tolist() == [0, 1, 0]
    servers = _views([geo.place(r) for r in ("Frankfurt", "Tokyo", "N. Virginia")], 1)
    assert Nearest().shares(geo.place("Seoul"), servers).tolist() == [1, 0, 0]  # 8,550 < 11,137 km
    assert Nearest().shares(geo.place("Seoul"), _views([geo.place("Tokyo")], 0)).sum() == 0


def test_weighted_honours_weights_and_health() -> None:
    views = _views([geo.place(r) for r in ("Seoul", "Tokyo", "Oregon")], None)
    policy = Weighted([1, 3, 0])
    policy.reset(3, np.random.default_rng(1))

    class R:  # a request from Seoul
        place = geo.place("Seoul")

    picks = np.bincount([policy.route(R, views) for _ in range(10_000)], minlength=3)
    assert picks[2] == 0 and abs(picks[1] / 10_000 - 0.75) < 0.02
    assert Weighted([1, 3, 0]).shares(
        None, _views([geo.place("Seoul"), geo.place("Tokyo"), geo.place("Oregon")], 1)
    ).tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="weights"):
        Weighted([0, 0])


def test_failover_takes_the_first_healthy_in_its_order() -> None:
    places = [geo.place(r) for r in ("Seoul", "Tokyo", "Oregon")]
    policy = Failover(["Oregon", "Seoul", "Tokyo"])
    assert policy.shares(None, _views(places, None)).tolist() == [0, 0, 1]
    assert policy.shares(None, _views(places, 2)).tolist() == [1, 0, 0]


def test_failover_seconds_and_resolution_times() -> None:
    assert failover_seconds(30, 3, 60) == 150 and failover_seconds(10, 1, 30) == 40
    with pytest.raises(ValueError, match="threshold"):
        failover_seconds(10, 0, 30)
    t = np.random.default_rng(3).uniform(0, 1000, 1000)
    phase = np.random.default_rng(4).uniform(0, 60, 1000)
    asked = resolved_at(t, phase, 60)
    assert np.all(asked <= t) and np.all(asked > t - 60)
    assert np.allclose((asked - phase) / 60, np.round((asked - phase) / 60))
    assert np.array_equal(resolved_at(t, phase, 0), t)


@pytest.mark.parametrize("ttl", [0.0, 30.0, 120.0])
def test_errors_last_about_detection_plus_ttl(ttl: float) -> None:
    run = outage(
        {"Seoul": 0.5, "Frankfurt": 0.5},
        ["Seoul", "Frankfurt"],
        Nearest(),
        failed="Seoul",
        fail_at=60,
        detection=90,
        ttl=ttl,
        rate=100,
        duration=500,
        rng=np.random.default_rng(5),
    )
    bad = run.time[~run.ok]
    assert bad.min() >= 60 and bad.max() <= 60 + 90 + ttl
    assert bad.max() >= 60 + 90 + 0.9 * ttl - 1
    # no one is misrouted by Frankfurt's users, and Seoul's users end in Frankfurt
    late = run.time > 60 + 90 + ttl
    assert np.all(run.ok[late]) and np.all(run.dc[late] == 1)


def test_engine_with_cached_dns_agrees_with_the_fast_model() -> None:
    rng = np.random.default_rng(1)
    w = with_sessions(
        with_places(poisson(40, 240, 0.005, rng), {"Seoul": 0.5, "Frankfurt": 0.5}, rng), 300, rng
    )
    fail, detection, ttl = 40.0, 30.0, 60.0
    run = Topology(
        [
            Tier(
                "dc",
                datacenters(["Seoul", "Frankfurt"]),
                CachedDns(Nearest(), ttl, {0: fail + detection}),
            )
        ],
        outages={"dc": [Outage(0, fail)]},
    ).run(w, rng=np.random.default_rng(2))
    bad = w.arrival[~run.ok]
    assert bad.min() >= fail and fail + detection + 0.8 * ttl <= bad.max() <= fail + detection + ttl
    fast = outage(
        {"Seoul": 0.5, "Frankfurt": 0.5},
        ["Seoul", "Frankfurt"],
        Nearest(),
        "Seoul",
        fail,
        detection,
        ttl,
        rate=40,
        duration=240,
        n_users=300,
        rng=np.random.default_rng(3),
    )
    seoul_before = w.arrival < fail
    assert abs((~run.ok).mean() - (~fast.ok).mean()) < 0.03
    assert np.all(run.node[0][seoul_before & (w.place == 1)] == 1)


def test_writes_lost_counts_the_lag_window() -> None:
    times = np.array([1.0, 9.0, 9.5, 10.0, 10.5])
    assert writes_lost(times, fail=10.0, lag=1.0) == 2  # (9, 10]: 9.5 and 10.0, not 9.0 nor 10.5
    assert writes_lost(times, fail=10.0, lag=1.0) == int(np.sum((times > 9.0) & (times <= 10.0)))
    assert writes_lost(times, 10.0, 0.0) == 0
    with pytest.raises(ValueError, match="lag"):
        writes_lost(times, 10.0, -1)
    lost = [
        outage(
            {"Seoul": 1.0},
            ["Seoul", "Tokyo"],
            Nearest(),
            "Seoul",
            lag=lag,
            rate=200,
            write_share=0.5,
            rng=np.random.default_rng(7),
        ).writes_lost
        for lag in (0.0, 1.0, 5.0)
    ]
    assert lost[0] == 0 and lost[1] < lost[2]
    assert abs(lost[2] / (200 * 0.5 * 5) - 1) < 0.25  # about rate × write share × lag


def test_outage_without_failure_and_single_region_down() -> None:
    ok = outage({"Seoul": 1.0}, ["Seoul"], Nearest(), rng=np.random.default_rng(1))
    assert ok.errors() == 0 and math.isnan(ok.last_error())
    down = outage(
        {"Seoul": 1.0},
        ["Seoul"],
        Nearest(),
        failed="Seoul",
        fail_at=60,
        duration=300,
        rng=np.random.default_rng(1),
    )
    assert np.all(~down.ok[down.time >= 60]) and np.all(down.ok[down.time < 60])
    with pytest.raises(ValueError, match="rng"):
        outage({"Seoul": 1.0}, ["Seoul"], Nearest())


def test_panel_draws_every_case() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scalelab.multidc.panel import DEFAULTS, multidc_figure

    changes = (
        {},
        {"regions": ()},
        {"regions": "Tokyo"},
        {"failed": "none"},
        {"policy": "weighted"},
    )
    for change in changes:
        fig = multidc_figure(**(DEFAULTS | change))
        assert fig.axes
        plt.close(fig)
    fig = multidc_figure(**(DEFAULTS | {"regions": ("Tokyo",)}))
    assert "not one of the regions" in fig._suptitle.get_text()
    plt.close(fig)


def test_fail_back_after_recovery_in_the_engine_and_the_fast_model() -> None:
    """The region comes back: the DNS knows after another detection, users return over one more TTL."""
    fail, back, detection, ttl = 40.0, 200.0, 30.0, 60.0
    users = {"Seoul": 0.5, "Frankfurt": 0.5}
    fast = outage(
        users,
        ["Seoul", "Frankfurt"],
        Nearest(),
        "Seoul",
        fail,
        detection,
        ttl,
        rate=40,
        duration=400,
        n_users=300,
        recover_at=back,
        rng=np.random.default_rng(3),
    )
    seoul = fast.place == 0
    away = (fast.time > fail + detection + ttl) & (fast.time < back + detection)
    home = fast.time >= back + detection + ttl
    moving = (fast.time >= back + detection) & (fast.time < back + detection + ttl)
    assert np.all(fast.dc[seoul & away] == 1) and np.all(fast.dc[seoul & home] == 0)
    assert 0 < np.mean(fast.dc[seoul & moving] == 0) < 1  # users move back one by one
    assert np.all(fast.ok[fast.time >= back])  # a back region answers the users still cached on it
    assert fast.p50_ms("Seoul") < 30  # back home: a few ms
    rng = np.random.default_rng(1)
    w = with_sessions(with_places(poisson(40, 400, 0.005, rng), users, rng), 300, rng)
    run = Topology(
        [
            Tier(
                "dc",
                datacenters(["Seoul", "Frankfurt"]),
                CachedDns(Nearest(), ttl, {0: fail + detection}, {0: back + detection}),
            )
        ],
        outages={"dc": [Outage(0, fail, back)]},
    ).run(w, rng=np.random.default_rng(2))
    mine = w.place == 0
    assert np.all(
        run.node[0][mine & (w.arrival > fail + detection + ttl) & (w.arrival < back)] == 1
    )
    assert np.all(run.node[0][mine & (w.arrival >= back + detection + ttl)] == 0)
    assert np.all(run.ok[w.arrival >= back])
    with pytest.raises(ValueError, match="after"):
        CachedDns(Nearest(), ttl, {0: 100.0}, {0: 50.0})
    with pytest.raises(ValueError, match="recover_at"):
        outage(
            users, ["Seoul"], Nearest(), "Seoul", 60, recover_at=30, rng=np.random.default_rng(1)
        )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: outage(USERS2, ["Seoul", "Tokyo"], Nearest(), ttl=-60, rng=RNG()), "ttl"),
        (
            lambda: outage(USERS2, ["Seoul", "Tokyo"], Nearest(), detection=-5, rng=RNG()),
            "detection",
        ),
        (lambda: outage({}, ["Seoul"], Nearest(), rng=RNG()), "users"),
        (
            lambda: outage(USERS2, ["Seoul", "Tokyo"], Nearest(), failed="Frankfurt", rng=RNG()),
            "'Frankfurt' is not among the regions",
        ),
        (
            lambda: outage(USERS2, ["Seoul", "Tokyo"], Failover(["Frankfurt"]), rng=RNG()),
            "Failover order names",
        ),
        (lambda: outage(USERS2, ["Seoul", "Tokyo"], Weighted([1]), rng=RNG()), "one weight per"),
        (lambda: failover_seconds(float("nan"), 3, 60), "interval"),
        (lambda: failover_seconds(30, 3, float("inf")), "ttl"),
        (lambda: failover_seconds(30, 2.5, 60), "threshold"),
        (lambda: failover_seconds("30", 3, 60), "interval must be a number"),
        (lambda: resolved_at(10.0, 0.0, -60), "ttl"),
        (lambda: resolved_at(10.0, 60.0, 60), "phase"),
        (lambda: CachedDns(Nearest(), -1, {}), "ttl"),
    ],
)
def test_edge_inputs_get_one_clear_error(call, match: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=match):
        call()


def test_p50_of_a_place_without_users_says_so_and_resolution_goes_before_zero() -> None:
    run = outage(USERS2, ["Seoul", "Tokyo"], Nearest(), rng=RNG())
    with pytest.raises(ValueError, match="no users at Tokyo"):
        run.p50_ms("Tokyo")
    assert float(resolved_at(5.0, 20.0, 60)) == -40.0  # asks at 20 + k·60 for every whole k


USERS2 = {"Seoul": 1.0}


def RNG() -> np.random.Generator:  # noqa: N802
    return np.random.default_rng(1)
