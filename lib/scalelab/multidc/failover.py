"""A region fails: who reaches what, when, how fast, and which writes are lost (a fast numpy model).

Users at places send requests (Poisson); each belongs to one user whose resolver re-resolves at its own
phase within the DNS TTL (:mod:`scalelab.multidc.dns`). The routing policy answers from the health the DNS
knew at that resolution: the failed region is known down ``detection`` seconds after it fails. A request
that reaches the failed region after the failure is an error. Latency is the modelled round trips to the
data centre (:data:`USER_NETWORK`: the engine's model, with about 5 ms to a data centre in the user's own
city, the access network) plus a fixed ``service`` time: no queueing (the data centres
are sized for the load; the chapter's engine runs show queueing). Writes the failed region committed in
the last ``lag`` seconds before the failure are lost (:func:`~scalelab.multidc.replication.writes_lost`).
With ``recover_at``, the region comes back then; the DNS knows it ``detection`` seconds later and users
move back at their next resolution (fail-back); without it, the region stays down.
:func:`outage` gives the same answers as the engine with :class:`~scalelab.multidc.dns.CachedDns`
(tests/test_multidc.py), two orders of magnitude faster: the panel redraws from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scalelab.multidc.dns import resolved_at
from scalelab.multidc.replication import writes_lost
from scalelab.multidc.routing import Policy
from scalelab.sim import geo
from scalelab.sim.route import ServerView

#: Users' round trips: the fitted model (:data:`scalelab.sim.geo.MODEL`), but ~5 ms to a data centre in the
#: user's own city (access network and a few hops, CHAPTERS.md 08 (a) 7: "from a Seoul edge (RTT ~5 ms)"),
#: not the 0.5 ms between two machines inside one data centre.
USER_NETWORK = geo.RttModel(same_place=0.005)


@dataclass(frozen=True)
class Outcome:
    """Per request: ``time``, ``place`` (index into ``places``), ``dc`` (index into ``regions``; -1 for no
    answer), ``ok``, ``latency`` (seconds, NaN when failed), ``write``; and ``writes_lost``."""

    places: tuple[str, ...]
    regions: tuple[str, ...]
    time: np.ndarray
    place: np.ndarray
    dc: np.ndarray
    ok: np.ndarray
    latency: np.ndarray
    write: np.ndarray
    writes_lost: int

    def errors(self) -> int:
        """Requests that got no answer."""
        return int(np.count_nonzero(~self.ok))

    def last_error(self) -> float:
        """When the last failed request was sent (NaN when none failed)."""
        bad = self.time[~self.ok]
        return float(bad.max()) if bad.size else float("nan")

    def p50_ms(self, place: str) -> float:
        """Median latency of the answered requests of users at ``place``, in milliseconds."""
        name = geo.place(place).name
        if name not in self.places:
            raise ValueError(f"no users at {name}: the users are at {list(self.places)}")
        mine = (self.place == self.places.index(name)) & self.ok
        return 1000 * float(np.median(self.latency[mine])) if mine.any() else float("nan")


def _views(regions: Sequence[geo.Place], down: int | None) -> list[ServerView]:
    return [ServerView(i, p.name, healthy=i != down, place=p) for i, p in enumerate(regions)]


def outage(
    users: Mapping[str, float],
    regions: Sequence[str],
    policy: Policy,
    failed: str | None = None,
    fail_at: float = 60.0,
    detection: float = 90.0,
    ttl: float = 60.0,
    lag: float = 1.0,
    rate: float = 50.0,
    duration: float = 600.0,
    n_users: int = 2_000,
    write_share: float = 0.2,
    round_trips: float = geo.NEW_TLS13,
    service: float = 0.005,
    recover_at: float | None = None,
    network: geo.RttModel = USER_NETWORK,
    rng: np.random.Generator | None = None,
) -> Outcome:
    """Simulate ``duration`` seconds of ``rate`` requests/s from ``users`` ({place: share}) served by one
    data centre per region, ``failed`` (a region or ``None``) dying at ``fail_at``, back at ``recover_at``
    (``None``: for good)."""
    if rng is None:
        raise ValueError("outage needs rng=np.random.default_rng(k), got none")
    if not regions:
        raise ValueError("outage needs at least one region, got none")
    if not users:
        raise ValueError("outage needs users, a {place: share} dict, got an empty one")
    for name, x in (("ttl", ttl), ("detection", detection), ("lag", lag)):
        if not x >= 0:
            raise ValueError(f"{name} must be 0 or more seconds, got {x}")
    if recover_at is not None and not recover_at > fail_at:
        raise ValueError(f"recover_at must come after fail_at = {fail_at} s, got {recover_at}")
    dcs = [geo.place(r) for r in regions]
    names = [p.name for p in dcs]
    down = None
    if failed is not None:
        if geo.place(failed).name not in names:
            raise ValueError(f"failed region {failed!r} is not among the regions {names}")
        down = names.index(geo.place(failed).name)
    back = np.inf if recover_at is None else float(recover_at)
    where = [geo.place(u) for u in users]
    weights = np.array(list(users.values()), dtype=float)
    if weights.min() < 0 or weights.sum() <= 0:
        raise ValueError(
            f"user shares must be non-negative with a positive sum, got {list(users.values())}"
        )
    n = int(rng.poisson(rate * duration))
    time = np.sort(rng.uniform(0, duration, n))
    place = rng.choice(len(where), size=n, p=weights / weights.sum())
    user = rng.integers(0, n_users, size=n)
    phase = rng.uniform(0, ttl, size=n_users) if ttl > 0 else np.zeros(n_users)
    write = rng.random(n) < write_share
    known = np.zeros(n, dtype=bool)
    if down is not None:
        asked = resolved_at(time, phase[user], ttl)
        known = (asked >= fail_at + detection) & (asked < back + detection)
    policy.reset(len(dcs), rng)
    u = rng.random(n)
    dc = np.full(n, -1)
    for k, p in enumerate(where):
        for state in (False, True):
            views = _views(dcs, down if state else None)
            shares = policy.shares(p, views)
            mine = (place == k) & (known == state)
            if shares.sum() > 0 and mine.any():
                cdf = np.cumsum(shares) / shares.sum()
                dc[mine] = np.minimum(np.searchsorted(cdf, u[mine], side="right"), len(dcs) - 1)
    ok = dc >= 0
    if down is not None:
        ok &= ~((dc == down) & (time >= fail_at) & (time < back))
    rtt = network.matrix(where, dcs)
    latency = np.full(n, np.nan)
    latency[ok] = round_trips * rtt[place[ok], dc[ok]] + service
    lost = 0
    if down is not None:
        lost = writes_lost(time[write & (dc == down) & (time <= fail_at)], fail_at, lag)
    return Outcome(
        tuple(p.name for p in where), tuple(names), time, place, dc, ok, latency, write, lost
    )
