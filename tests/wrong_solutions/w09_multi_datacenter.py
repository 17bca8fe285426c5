"""Wrong answers to exercise 09 (the nearest healthy data centre, a failover clock that honours the TTL)."""

# The reference answers, as a learner would write them; each wrong answer changes one thing.
NEAREST = """def haversine_km(a, b):
    lat1, lon1, lat2, lon2 = (math.radians(x) for x in (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def nearest_healthy(user, datacenters, healthy):
    best, best_km = None, math.inf
    for name, where in datacenters.items():
        if name in healthy:
            km = haversine_km(user, where)
            if km < best_km:
                best, best_km = name, km
    return best
"""

FAILOVER = """def failover_seconds(interval, threshold, ttl):
    return interval * threshold + ttl


def reached_at(t, fail, detection, ttl, phase, primary, backup):
    asked = t if ttl == 0 else phase + math.floor((t - phase) / ttl) * ttl
    return backup if asked >= fail + detection else primary
"""


def _nearest(old: str, new: str) -> str:
    assert old in NEAREST, old
    return NEAREST.replace(old, new)


def _failover(old: str, new: str) -> str:
    assert old in FAILOVER, old
    return FAILOVER.replace(old, new)


#: Flat "distance" on raw degrees: wrong across the antimeridian and near the poles.
FLAT = _nearest(
    """    lat1, lon1, lat2, lon2 = (math.radians(x) for x in (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))""",
    "    return math.hypot(a[0] - b[0], a[1] - b[1]) * 111.2",
)

#: Iterates the set of healthy names: ties go to whichever the set yields first.
SET_ORDER = _nearest(
    """    for name, where in datacenters.items():
        if name in healthy:
            km = haversine_km(user, where)""",
    """    for name in healthy:
        if name in datacenters:
            km = haversine_km(user, datacenters[name])""",
)

WRONG = {
    "nearest: health ignored": {
        "nearest-answer": _nearest("        if name in healthy:\n", "        if True:\n")
    },
    "nearest: distance on raw latitude and longitude": {"nearest-answer": FLAT},
    "nearest: degrees passed to sin and cos": {
        "nearest-answer": _nearest("(math.radians(x) for x in", "(float(x) for x in")
    },
    "nearest: ties broken by the order of a set": {"nearest-answer": SET_ORDER},
    "failover: TTL left out": {
        "failover-answer": _failover(
            "return interval * threshold + ttl", "return interval * threshold"
        ).replace(
            "asked = t if ttl == 0 else phase + math.floor((t - phase) / ttl) * ttl", "asked = t"
        )
    },
    "failover: TTL multiplied by the threshold": {
        "failover-answer": _failover("interval * threshold + ttl", "(interval + ttl) * threshold")
    },
    "failover: users move at the failure, before detection": {
        "failover-answer": _failover("asked >= fail + detection", "asked >= fail")
    },
    "failover: every user waits a whole TTL after detection": {
        "failover-answer": _failover(
            "asked = t if ttl == 0 else phase + math.floor((t - phase) / ttl) * ttl",
            "asked = t - ttl",
        )
    },
}
