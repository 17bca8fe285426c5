"""Geography: where users and servers are, and what the distance between them costs in round trips.

A request from Seoul to a server in N. Virginia crosses 11,137 km of the Earth's surface. Light in
glass fibre covers about 200,000 km/s (a refractive index of about 1.47 gives 204,000 km/s), so the
answer cannot come back in less than 2 × 11,137 / 200,000 s ≈ 111 ms: the *fibre bound*. Measured round
trips are longer (cables do not follow great circles, routers queue and forward); over the 13 city pairs
of ``MEASURED`` the measured time is a median 1.56 times the bound, and the least-squares line
``RTT ≈ 15.5 ms + 1.58 × bound`` is the model the simulator uses (``RttModel``).

Sources:

* Great-circle distance by the haversine formula on a sphere of the mean Earth radius 6,371 km (the
  IUGG mean radius R₁ = 6,371.0088 km of GRS 80: H. Moritz, "Geodetic Reference System 1980", Journal
  of Geodesy 74, 2000). The Earth is slightly flattened, so a great circle is off the true (ellipsoidal)
  distance by up to about 0.5%: far below what routing adds.
* Light in fibre ≈ 200,000 km/s, about 4.9 µs per km one way (mapyourtech.com, "The 5 microsecond
  rule: fiber propagation latency per kilometer"; fiberise.com).
* Measured round trips: "Latency Between AWS Global Regions" (2017, reproduced at
  acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html) for the AWS region pairs, and
  WonderProxy, "Miles per millisecond" (2011, wonderproxy.com/blog/miles-per-milisecond) for New York–
  Paris, Paris–Milan and Sydney–Fremont. The fit and the ratios were computed by
  ``shared/calc/chapters_calc.py`` (course notes, CHAPTERS.md "Cross-chapter constants"); the
  measurements are old and illustrative, and Europe–Asia paths route the long way round (about 3 × the
  bound), which no straight line through the origin-to-origin distance can know.
* A new HTTPS connection costs round trips before the first byte of the answer: one for TCP's
  handshake, one for TLS 1.3's (RFC 8446 §2: "a full handshake … 1-RTT"), two for TLS 1.2's full
  handshake (RFC 5246 §7.3), then one for the request itself (``NEW_TLS13`` = 3, ``NEW_TLS12`` = 4;
  a request on a connection already open costs ``REUSED`` = 1).

City coordinates are the cities' centres, rounded to 0.01° (common knowledge: any atlas or the
cities' Wikipedia articles). Which city an AWS region stands for is not published by AWS: Ashburn
(us-east-1) and Boardman (us-west-2) are where their data centres are commonly reported to be, and
the region's name says the rest ("Asia Pacific (Seoul)").
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: Mean Earth radius in km (IUGG, GRS 80's R₁ rounded; Moritz 2000).
EARTH_RADIUS_KM = 6371.0
#: Speed of light in glass fibre, km per second (n ≈ 1.47 → 204,000; rounded as the sources do).
FIBRE_KM_PER_S = 200_000.0
#: Round trips of a request on a connection already open.
REUSED = 1
#: Round trips of a request on a new connection: TCP handshake + TLS 1.3 handshake (RFC 8446) + request.
NEW_TLS13 = 3
#: Round trips of a request on a new connection with TLS 1.2's two-round-trip handshake (RFC 5246).
NEW_TLS12 = 4


@dataclass(frozen=True)
class Place:
    """A point on the map: a city, or the city an AWS region stands for.

    Attributes
    ----------
    name : str
        How tables and plots call it ("Seoul", "N. Virginia").
    lat, lon : float
        Latitude (−90 to 90, north positive) and longitude (−180 to 180, east positive) in degrees.
    region : str
        The AWS region in that city, if any ("ap-northeast-2"); "" otherwise.
    """

    name: str
    lat: float
    lon: float
    region: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a place needs a name, got {self.name!r}")
        for what, value, limit in (("latitude", self.lat, 90), ("longitude", self.lon, 180)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or abs(value) > limit
            ):
                raise ValueError(
                    f"{self.name}: {what} must be a number of degrees from {-limit} to {limit}, "
                    f"got {value!r}"
                )

    def __repr__(self) -> str:
        return f"Place({self.name!r}, {self.lat:.2f}, {self.lon:.2f})"


#: The built-in map: the cities of CHAPTERS.md's round-trip table, then a few more where users live.
PLACES: dict[str, Place] = {
    p.name: p
    for p in (
        Place("Seoul", 37.57, 126.98, "ap-northeast-2"),
        Place("Tokyo", 35.68, 139.69, "ap-northeast-1"),
        Place("Singapore", 1.35, 103.82, "ap-southeast-1"),
        Place("Sydney", -33.87, 151.21, "ap-southeast-2"),
        Place("Oregon", 45.84, -119.70, "us-west-2"),  # Boardman, OR
        Place("N. California", 37.77, -122.42, "us-west-1"),  # San Francisco
        Place("N. Virginia", 39.04, -77.49, "us-east-1"),  # Ashburn, VA
        Place("Frankfurt", 50.11, 8.68, "eu-central-1"),
        Place("Ireland", 53.35, -6.26, "eu-west-1"),  # Dublin
        Place("São Paulo", -23.55, -46.63, "sa-east-1"),
        Place("New York", 40.71, -74.01),
        Place("Paris", 48.86, 2.35, "eu-west-3"),
        Place("Milan", 45.46, 9.19, "eu-south-1"),
        Place("Fremont", 37.55, -121.99),
        # Where users are, beyond the table's cities.
        Place("Busan", 35.18, 129.08),
        Place("London", 51.51, -0.13, "eu-west-2"),
        Place("Mumbai", 19.08, 72.88, "ap-south-1"),
        Place("Los Angeles", 34.05, -118.24),
    )
}

_ALIASES = {p.region: p.name for p in PLACES.values() if p.region} | {
    "Sao Paulo": "São Paulo",
    "Ashburn": "N. Virginia",
    "Boardman": "Oregon",
    "Dublin": "Ireland",
    "San Francisco": "N. California",
}
_BY_LOWER = {k.lower(): v for k, v in ({n: n for n in PLACES} | _ALIASES).items()}


def place(where: str | Place | tuple[float, float]) -> Place:
    """The :class:`Place` called ``where`` (a name from ``PLACES``, an AWS region code such as
    "us-east-1", any case), or ``where`` itself if it is a Place, or a ``(lat, lon)`` pair in degrees."""
    if isinstance(where, Place):
        return where
    if isinstance(where, tuple) and len(where) == 2:
        return Place(f"({where[0]}, {where[1]})", where[0], where[1])
    if not isinstance(where, str):
        raise TypeError(
            f"a place is a name such as 'Seoul', a Place or a (lat, lon) pair, got {where!r}"
        )
    name = _BY_LOWER.get(where.strip().lower())
    if name is None:
        near = difflib.get_close_matches(where.strip().lower(), list(_BY_LOWER), n=3, cutoff=0.5)
        hint = ", ".join(repr(_BY_LOWER[k]) for k in near) if near else ", ".join(PLACES)
        raise ValueError(
            f"no place called {where!r}; {'did you mean' if near else 'the places are'} {hint}?"
        )
    return PLACES[name]


def haversine_km(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray | float:
    """Great-circle distance in km between points given in **degrees** (arrays broadcast).

    haversine: h = sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2), d = 2R·asin(√h), angles in radians.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def distance_km(
    a: str | Place | tuple[float, float], b: str | Place | tuple[float, float]
) -> float:
    """Great-circle distance in km between two places (names, Places or (lat, lon) pairs)."""
    a, b = place(a), place(b)
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def fibre_bound(
    a: str | Place | tuple[float, float], b: str | Place | tuple[float, float]
) -> float:
    """The least round trip physics allows, in seconds: there and back along the great circle in
    fibre, 2·d / 200,000 km/s (no real path is shorter)."""
    return 2.0 * distance_km(a, b) / FIBRE_KM_PER_S


@dataclass(frozen=True)
class RttModel:
    """Round-trip time between two places: ``intercept + slope × fibre bound``, or ``same_place``.

    Parameters
    ----------
    intercept : float
        Seconds every path between two cities pays on top of distance (routers, the last mile):
        15.5 ms in the fit over ``MEASURED``.
    slope : float
        How much longer than the great circle a real path is: 1.58 in that fit.
    same_place : float
        Round trip between two stations at the same place (distance 0), in seconds: 0.5 ms, the
        classic "round trip within the same datacenter" (Jeff Dean's table, as printed in Alex Xu,
        *System Design Interview* vol. 1, ch. 2). The fit's intercept does not apply there; a user in
        the same city as an edge is a few ms away in reality (the access network): give such a model
        a larger ``same_place``.
    """

    intercept: float = 0.0155
    slope: float = 1.58
    same_place: float = 0.0005

    def __post_init__(self) -> None:
        for what in ("intercept", "slope", "same_place"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"{what} must be a number of 0 or more, got {value!r}")

    def rtt(
        self,
        a: str | Place | tuple[float, float],
        b: str | Place | tuple[float, float],
        round_trips: int = 1,
    ) -> float:
        """Seconds for ``round_trips`` round trips between ``a`` and ``b`` (e.g. ``NEW_TLS13``)."""
        _check_round_trips(round_trips)
        a, b = place(a), place(b)
        return round_trips * float(self.matrix([a], [b])[0, 0])

    def matrix(self, origins: Iterable[Place], targets: Iterable[Place]) -> np.ndarray:
        """One round trip (seconds) between every origin (rows) and every target (columns)."""
        origins, targets = list(origins), list(targets)
        la1 = np.array([p.lat for p in origins], dtype=float)[:, None]
        lo1 = np.array([p.lon for p in origins], dtype=float)[:, None]
        la2 = np.array([p.lat for p in targets], dtype=float)[None, :]
        lo2 = np.array([p.lon for p in targets], dtype=float)[None, :]
        d = np.asarray(haversine_km(la1, lo1, la2, lo2), dtype=float).reshape(
            len(origins), len(targets)
        )
        bound = 2.0 * d / FIBRE_KM_PER_S
        return np.where(d > 0, self.intercept + self.slope * bound, self.same_place)


#: The model the simulator uses unless told otherwise.
MODEL = RttModel()


def rtt(
    a: str | Place | tuple[float, float],
    b: str | Place | tuple[float, float],
    round_trips: int = 1,
    model: RttModel = MODEL,
) -> float:
    """Seconds for ``round_trips`` round trips between ``a`` and ``b`` under ``model``.

    ``rtt("Seoul", "N. Virginia")`` ≈ 0.19 s; ``rtt("Seoul", "us-east-1", NEW_TLS13)`` ≈ 0.57 s, the
    whole of a 500–700 ms latency budget spent before the server does any work.
    """
    return model.rtt(a, b, round_trips)


def _check_round_trips(round_trips: object) -> None:
    if (
        isinstance(round_trips, bool)
        or not isinstance(round_trips, int | np.integer)
        or round_trips < 1
    ):
        raise ValueError(f"round_trips must be a whole number of 1 or more, got {round_trips!r}")


#: Measured round trips (seconds) behind the model: CHAPTERS.md ch. 09 table (AWS 2017, WonderProxy 2011).
MEASURED: tuple[tuple[str, str, float], ...] = (
    ("Seoul", "Tokyo", 0.0313),
    ("Seoul", "Singapore", 0.0719),
    ("Seoul", "Sydney", 0.1340),
    ("Seoul", "Oregon", 0.1183),
    ("Seoul", "N. California", 0.1315),
    ("Seoul", "N. Virginia", 0.1784),
    ("Seoul", "Frankfurt", 0.2653),
    ("Seoul", "Ireland", 0.2424),
    ("Seoul", "São Paulo", 0.2863),
    ("N. Virginia", "Ireland", 0.0805),
    ("New York", "Paris", 0.0783),
    ("Paris", "Milan", 0.0213),
    ("Sydney", "Fremont", 0.1850),
)


def fit(measured: Iterable[tuple[str, str, float]] = MEASURED) -> tuple[float, float]:
    """(intercept s, slope) of the least-squares line measured RTT ≈ intercept + slope × fibre bound."""
    rows = list(measured)
    bound = np.array([fibre_bound(a, b) for a, b, _ in rows])
    seconds = np.array([m for _, _, m in rows])
    slope, intercept = np.polyfit(bound, seconds, 1)
    return float(intercept), float(slope)
