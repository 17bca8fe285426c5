"""Geography: great-circle distances, the round-trip model against its measurements, and the engine's hops.

Known distances: the Rosetta Code task "Haversine formula" (Nashville BNA → Los Angeles LAX, with
R = 6,371.0 km: 2,886.444 km); CHAPTERS.md's table (computed with the same city coordinates by
shared/calc/chapters_calc.py, rounded to the km); London–New York ≈ 5,570 km and Seoul–Tokyo ≈ 1,160 km as
commonly quoted for the city centres (loose tolerances: which point of a city is "the city" moves them).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalelab.balancer import HealthCheck, LeastConnections, RoundRobin
from scalelab.cache import CacheStage
from scalelab.sim import (
    Balancer,
    Outage,
    Place,
    RttModel,
    Server,
    Tier,
    Topology,
    Workload,
    geo,
    poisson,
    simulate,
    with_keys,
    with_places,
)

R = geo.EARTH_RADIUS_KM

#: (a, b, km, tolerance km): what a correct great-circle distance must give.
KNOWN = [
    ((36.12, -86.67), (33.94, -118.40), 2886.444443, 1e-5),  # Rosetta Code, R = 6371.0
    ("London", "New York", 5570, 15),
    ("Seoul", "Tokyo", 1160, 10),
    ((0.0, 0.0), (0.0, 180.0), math.pi * R, 1e-6),  # antipodes on the equator
    ((60.0, 10.0), (-60.0, -170.0), math.pi * R, 1e-6),  # antipodes off it
    ((0.0, 179.5), (0.0, -179.5), R * math.radians(1.0), 1e-6),  # across the antimeridian
    ((90.0, 0.0), (90.0, 123.0), 0.0, 1e-9),  # the pole is one point, whatever the longitude
]

#: CHAPTERS.md ch. 09 table: great-circle km, rounded.
TABLE_KM = {
    ("Seoul", "Tokyo"): 1153,
    ("Seoul", "Singapore"): 4673,
    ("Seoul", "Sydney"): 8330,
    ("Seoul", "Oregon"): 8602,
    ("Seoul", "N. California"): 9029,
    ("Seoul", "N. Virginia"): 11137,
    ("Seoul", "Frankfurt"): 8550,
    ("Seoul", "Ireland"): 8951,
    ("Seoul", "São Paulo"): 18342,
    ("N. Virginia", "Ireland"): 5462,
    ("New York", "Paris"): 5837,
    ("Paris", "Milan"): 640,
    ("Sydney", "Fremont"): 11968,
}


def agrees(distance) -> bool:  # noqa: ANN001
    """Whether ``distance(lat1, lon1, lat2, lon2)`` (degrees) gives every known distance."""
    for a, b, km, tol in KNOWN:
        a, b = geo.place(a), geo.place(b)
        if not abs(distance(a.lat, a.lon, b.lat, b.lon) - km) <= tol:
            return False
    for (a, b), km in TABLE_KM.items():
        a, b = geo.place(a), geo.place(b)
        if not abs(distance(a.lat, a.lon, b.lat, b.lon) - km) <= 0.5:
            return False
    return True


def test_great_circle_distances_match_known_values():
    assert agrees(geo.haversine_km)


def test_degrees_passed_to_trigonometry_are_caught():
    def no_radians(lat1, lon1, lat2, lon2):
        h = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * R * math.asin(math.sqrt(min(1.0, h)))

    assert not agrees(no_radians)


def test_euclidean_latitude_and_longitude_is_caught():
    def flat(lat1, lon1, lat2, lon2):  # degrees as if the map were flat, 111 km a degree
        return 111.195 * math.hypot(lat2 - lat1, lon2 - lon1)

    assert not agrees(flat)
    # Seoul → Oregon crosses the Pacific: 113° of longitude, not the 247° a flat map counts.
    seoul, oregon = geo.place("Seoul"), geo.place("Oregon")
    assert abs(oregon.lon - seoul.lon) > 240 and geo.distance_km(seoul, oregon) < 8700


def test_the_wrong_earth_radius_is_caught():
    def big_earth(lat1, lon1, lat2, lon2):
        return geo.haversine_km(lat1, lon1, lat2, lon2) * 6372.8 / R

    assert not agrees(big_earth)


def test_distance_is_symmetric_zero_at_one_point_and_vectorised():
    rng = np.random.default_rng(3)
    lat1, lat2 = rng.uniform(-90, 90, (2, 1000))
    lon1, lon2 = rng.uniform(-180, 180, (2, 1000))
    d = geo.haversine_km(lat1, lon1, lat2, lon2)
    assert np.allclose(d, geo.haversine_km(lat2, lon2, lat1, lon1), rtol=0, atol=1e-9)
    assert np.all((d >= 0) & (d <= math.pi * R + 1e-9))
    assert np.all(geo.haversine_km(lat1, lon1, lat1, lon1) == 0)
    one = [geo.haversine_km(*args) for args in zip(lat1, lon1, lat2, lon2, strict=True)]
    assert np.allclose(d, one, rtol=1e-12)


# -- the round-trip model -----------------------------------------------------------------------

#: The fit's worst residual (Seoul–Frankfurt: measured 265.3 ms, model 150.6 ms) rounded up, and the
#: worst of the pairs whose path goes roughly the great circle's way (Seoul–Oregon: −33.1 ms).
WORST_RESIDUAL, WORST_DIRECT = 0.115, 0.034
LONG_WAY_ROUND = {("Seoul", "Frankfurt"), ("Seoul", "Ireland")}


def test_the_fit_is_reproduced_from_the_measurements():
    intercept, slope = geo.fit()
    assert intercept == pytest.approx(geo.MODEL.intercept, abs=0.05e-3)
    assert slope == pytest.approx(geo.MODEL.slope, abs=0.005)
    ratios = [m / geo.fibre_bound(a, b) for a, b, m in geo.MEASURED]
    assert np.median(ratios) == pytest.approx(1.56, abs=0.005)
    assert min(ratios) == pytest.approx(1.34, abs=0.005)
    assert max(ratios) == pytest.approx(3.33, abs=0.005)


def test_the_model_is_within_its_residuals_for_every_measured_pair():
    residuals = {(a, b): m - geo.rtt(a, b) for a, b, m in geo.MEASURED}
    assert max(abs(r) for r in residuals.values()) <= WORST_RESIDUAL
    for pair, r in residuals.items():
        if pair not in LONG_WAY_ROUND:
            assert abs(r) <= WORST_DIRECT, pair
    # The Europe–Asia paths go the long way round: the model, which only knows distance, is far short.
    assert all(residuals[p] > 0.08 for p in LONG_WAY_ROUND)


def test_no_modelled_round_trip_beats_light_in_fibre():
    names = list(geo.PLACES)
    for a in names:
        for b in names:
            if a != b:
                assert geo.rtt(a, b) > geo.fibre_bound(a, b)


def test_round_trips_multiply_and_a_place_is_next_to_itself():
    one = geo.rtt("Seoul", "N. Virginia")
    assert geo.rtt("Seoul", "us-east-1", geo.NEW_TLS13) == pytest.approx(3 * one)
    assert geo.rtt("N. Virginia", "Seoul") == pytest.approx(one)
    assert geo.rtt("Seoul", "seoul") == geo.MODEL.same_place == 0.0005
    assert geo.fibre_bound("Seoul", "N. Virginia") == pytest.approx(2 * 11137 / 200_000, abs=1e-5)
    assert geo.NEW_TLS12 == geo.NEW_TLS13 + 1 and geo.REUSED == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: geo.place("Seol"), "no place called 'Seol'; did you mean 'Seoul'?"),
        (lambda: geo.place(42), "a place is a name"),
        (lambda: Place("Nowhere", 91.0, 0.0), "latitude must be a number of degrees from -90"),
        (lambda: Place("Nowhere", 0.0, float("nan")), "longitude must be a number"),
        (lambda: geo.rtt("Seoul", "Tokyo", 0), "round_trips must be a whole number of 1 or more"),
        (lambda: RttModel(slope=-1), "slope must be a number of 0 or more"),
        (lambda: Server(place="Atlantis"), "no place called 'Atlantis'"),
        (lambda: Tier("web", [Server()], round_trips=0), "round_trips must be a whole number"),
    ],
)
def test_mistakes_are_explained_in_one_line(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)


def test_shares_of_users_must_add_up_and_are_drawn_by_share():
    w = poisson(100, 100, 0.001, np.random.default_rng(1))
    with pytest.raises(ValueError, match="shares must add up to 1, got 0.9"):
        with_places(w, {"Seoul": 0.5, "Tokyo": 0.4}, np.random.default_rng(2))
    placed = with_places(w, {"Seoul": 0.7, "ap-northeast-1": 0.3}, np.random.default_rng(2))
    assert [p.name for p in placed.places] == ["Seoul", "Tokyo"]
    assert np.mean(placed.place == 0) == pytest.approx(0.7, abs=0.01)
    again = with_places(w, {"Seoul": 0.7, "Tokyo": 0.3}, np.random.default_rng(2))
    assert np.array_equal(placed.place, again.place)
    assert np.array_equal(placed.rows(slice(5, 9)).place, placed.place[5:9])


# -- the engine ---------------------------------------------------------------------------------

MU, LAM = 100.0, 50.0  # M/M/1 at ρ = 0.5: mean time in the system 1/(μ − λ) = 20 ms


def two_regions(seed: int = 1, duration: float = 2000.0) -> Workload:
    rng = np.random.default_rng(seed)
    w = poisson(LAM, duration, 1 / MU, rng)
    return with_places(w, {"Seoul": 0.5, "Frankfurt": 0.5}, rng)


def test_one_tier_far_away_adds_the_round_trip_to_mm1():
    w = two_regions()
    run = Topology([Tier("web", [Server(place="N. Virginia")])]).run(w, np.random.default_rng(2))
    assert run.errors == 0
    for k, p in enumerate(w.places):
        mine = w.place == k
        trip = geo.rtt(p, "N. Virginia")
        assert np.allclose(run.network[mine], trip, rtol=0, atol=1e-12)
        theory = trip + 1 / (MU - LAM)
        assert run.latency[mine].mean() == pytest.approx(theory, rel=0.02)
        assert run.in_tiers[mine].mean() == pytest.approx(1 / (MU - LAM), rel=0.02)
    # The station sees the request half a round trip after it was sent, the user the answer half
    # a round trip after it left.
    wait_and_service = run.tier_departure[0] - run.tier_arrival[0]
    assert np.allclose(run.latency - wait_and_service, run.network, atol=1e-9)


def test_round_trips_multiply_per_tier_and_per_request():
    w = two_regions(duration=200.0)
    far = Server(place="N. Virginia")
    one = Topology([Tier("web", [far])]).run(w, np.random.default_rng(2))
    three = Topology([Tier("web", [far], round_trips=geo.NEW_TLS13)]).run(
        w, np.random.default_rng(2)
    )
    assert np.allclose(three.network, 3 * one.network, atol=1e-12)
    trips = np.where(np.arange(len(w)) % 2 == 0, 1, 3)
    mixed = Topology([Tier("web", [far], round_trips=trips)]).run(w, np.random.default_rng(2))
    assert np.allclose(mixed.network, trips * one.network, atol=1e-12)
    # A handshake delays the request's arrival: (k − ½) round trips after it was sent.
    assert np.allclose(three.tier_arrival[0] - w.arrival, 2.5 * one.network, atol=1e-9)


def test_a_second_tier_elsewhere_adds_the_inter_tier_round_trip():
    w = two_regions(duration=200.0)
    tiers = [
        Tier("web", [Server(place="Seoul")]),
        Tier("db", [Server(place="N. Virginia")], cpu_time=0.002),
    ]
    run = Topology(tiers).run(w, np.random.default_rng(2))
    inter = geo.rtt("Seoul", "N. Virginia")
    for k, p in enumerate(w.places):
        mine = w.place == k
        assert np.allclose(run.network[mine], geo.rtt(p, "Seoul") + inter, atol=1e-12)
    # The database sees each request half the inter-tier round trip after it left the web tier.
    assert np.allclose(run.tier_arrival[1] - run.tier_departure[0], inter / 2, atol=1e-9)
    in_tiers = (run.tier_departure - run.tier_arrival).sum(axis=0)
    assert np.allclose(run.latency, in_tiers + run.network, atol=1e-9)


def test_a_station_without_a_place_adds_no_distance():
    w = two_regions(duration=100.0)
    tiers = [
        Tier("web", [Server(place="Seoul")]),
        Tier("cache", [Server()], cpu_time=0.001),  # beside the web server
        Tier("db", [Server(place="Seoul")], cpu_time=0.001),
    ]
    run = Topology(tiers).run(w, np.random.default_rng(2))
    for k, p in enumerate(w.places):
        mine = w.place == k
        assert np.allclose(run.network[mine], geo.rtt(p, "Seoul") + geo.rtt("Seoul", "Seoul"))


class Nearest(Balancer):
    """Chapter 09's idea in four lines: the healthy station nearest to the request's user."""

    def route(self, request, servers):  # noqa: ANN001, ANN201
        healthy = [s for s in servers if s.healthy]
        if not healthy:
            return None
        return min(healthy, key=lambda s: (geo.distance_km(request.place, s.place), s.index)).index


def test_a_router_sees_where_the_user_and_the_stations_are():
    w = two_regions(duration=20.0)
    # Seoul's users are nearer Frankfurt (8,550 km) than N. Virginia (11,137 km), nearer Tokyo still.
    servers = [
        Server(name="us", place="N. Virginia"),
        Server(name="eu", place="Frankfurt"),
        Server(name="jp", place="Tokyo"),
    ]
    run = Topology([Tier("web", servers, Nearest())]).run(w, np.random.default_rng(2))
    frankfurt = w.place == w.places.index(geo.place("Frankfurt"))
    assert np.all(run.node[0][frankfurt] == 1) and np.all(run.node[0][~frankfurt] == 2)
    assert np.allclose(run.network[frankfurt], geo.MODEL.same_place)
    assert np.allclose(run.network[~frankfurt], geo.rtt("Seoul", "Tokyo"))
    down = Topology(
        [Tier("web", servers, Nearest())],
        outages={"web": [Outage(2, 0.0)]},
        health_checks={"web": HealthCheck(interval=0.5, fall=1, rise=1)},
    ).run(w, np.random.default_rng(2))
    late = (w.arrival > 1.0) & ~frankfurt  # Tokyo is dead and known to be: Seoul goes to Frankfurt
    assert np.all(down.node[0][late] == 1) and np.all(down.ok[late])


class LoadBlindRotation(Balancer):
    """Round robin that asks for load (so it runs one request at a time) and never reads it."""

    uses_load = True

    def reset(self, n_servers, rng):  # noqa: ANN001
        self.n, self.next = n_servers, 0

    def choose(self, servers):  # noqa: ANN001, ANN201
        pick = self.next
        self.next = (pick + 1) % self.n
        return pick


def test_both_paths_agree_with_geography_on():
    w = two_regions(duration=100.0)
    servers = [Server(place="Tokyo"), Server(place="Frankfurt"), Server(workers=2, place="Seoul")]
    fast = Topology([Tier("web", servers, RoundRobin())]).run(w, np.random.default_rng(2))
    slow = Topology([Tier("web", servers, LoadBlindRotation())]).run(w, np.random.default_rng(2))
    np.testing.assert_array_equal(fast.node, slow.node)
    np.testing.assert_array_equal(fast.status, slow.status)
    np.testing.assert_array_equal(fast.tier_arrival, slow.tier_arrival)
    # Lindley's closed form and the queue's heap round differently in the last bits.
    for name in ("tier_start", "tier_departure", "latency"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=0, atol=1e-9)


class Rotate(Balancer):
    """Round robin that reads the request: the route-per-request path."""

    def reset(self, n_servers, rng):  # noqa: ANN001
        self.n, self.next = n_servers, 0

    def route(self, request, servers):  # noqa: ANN001, ANN201
        for step in range(self.n):
            j = (self.next + step) % self.n
            if servers[j].healthy:
                self.next = j + 1
                return j
        return None


def scenario(seed: int, places: bool, router: Balancer) -> tuple[Topology, Workload]:
    """A random two- or three-tier path with outages, health checks, a cache, queue limits."""
    rng = np.random.default_rng(seed)
    maps = np.random.default_rng(seed + 100)  # places draw from their own stream: same traffic
    n_web = int(rng.integers(1, 4))
    cities = ["Seoul", "Tokyo", "Frankfurt", "N. Virginia"]

    def where():  # noqa: ANN202
        return str(maps.choice(cities)) if places else None

    web = [
        Server(
            workers=int(rng.integers(1, 3)),
            queue_limit=None if rng.uniform() < 0.5 else 4,
            name=f"web-{j}",
            place=where(),
        )
        for j in range(n_web)
    ]
    w = poisson(float(rng.uniform(100, 300)) * n_web, 5.0, 0.004, rng)
    w = with_keys(w, 100, 1.0, rng)
    if places:
        w = with_places(w, {"Seoul": 0.4, "Tokyo": 0.3, "Frankfurt": 0.3}, maps)
    tiers = [
        Tier("web", web, router if n_web > 1 else None),
        Tier(
            "cache",
            [Server(name="cache", place=where())],
            cpu_time=0.0005,
            stage=CacheStage(20),
            bypass_when_down=True,
        ),
        Tier("db", [Server(name="db", place=where())], cpu_time=0.001),
    ]
    outages = {"web": [Outage(0, 1.0, 2.0)], "cache": [Outage(0, 3.0, 3.5)]}
    return Topology(
        tiers,
        outages=outages,
        health_checks={"web": HealthCheck(interval=0.5, fall=1, rise=1)},
        network=RttModel(0.0, 0.0, 0.0),
    ), w


@pytest.mark.parametrize("router", [RoundRobin, Rotate, LeastConnections])
@pytest.mark.parametrize("seed", range(8))
def test_geography_at_zero_distance_is_bit_identical_to_geography_off(seed, router):
    """Places on everything but a network of 0 s runs the geography code (the trip, the sort by
    arrival at the station, the loop with requests on the wire) and must give exactly what the
    engine gives without places: the array path (round robin), the route-per-request path and the
    load-aware loop (compiled without places, Python with them)."""
    off_topology, off_w = scenario(seed, False, router())
    on_topology, on_w = scenario(seed, True, router())
    assert on_w.place is not None and off_w.place is None
    off = off_topology.run(off_w, np.random.default_rng(seed))
    on = on_topology.run(on_w, np.random.default_rng(seed))
    for name in ("node", "tier_status", "tier_arrival", "tier_start", "tier_departure", "status"):
        assert np.array_equal(getattr(off, name), getattr(on, name), equal_nan=True), name
    assert np.array_equal(off.latency, on.latency, equal_nan=True)
    assert np.array_equal(on.network[on.ok], np.zeros(int(on.ok.sum())))
    assert off.network_s is None and np.all(off.network[off.ok] == 0)


def test_simulate_without_places_is_unchanged_and_refuses_places():
    w = poisson(50, 100, 0.01, np.random.default_rng(1))
    res = simulate(w, [Server()], rng=np.random.default_rng(2))
    run = Topology([Tier("servers", [Server()])]).run(w, np.random.default_rng(2))
    assert np.array_equal(res.latency, run.latency)
    with pytest.raises(ValueError, match="simulate\\(\\) has no geography"):
        simulate(w, [Server(place="Seoul")])


def test_a_replicated_tier_refuses_places_for_now():
    from scalelab.sim import Replication

    with pytest.raises(ValueError, match="is replicated: its servers cannot have a place"):
        Tier(
            "db",
            [Server(place="Seoul"), Server(place="Tokyo")],
            RoundRobin(),
            cpu_time=0.001,
            replication=Replication(),
        )
