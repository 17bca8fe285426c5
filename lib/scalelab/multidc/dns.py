"""DNS failover with cached answers: when a region fails, users keep the old answer until it expires.

Route 53 health checks probe every 30 s (or 10 s) and call an endpoint down after ``threshold`` failures
in a row (default 3), so the DNS server stops answering with a dead region about ``interval × threshold``
seconds after it dies. Resolvers cache the last answer for the record's TTL: a user whose resolver asked
just before that moment keeps going to the dead region for up to one more TTL. Failover time ≈ detection
+ TTL (30 s × 3 + 60 s = 150 s; 10 s × 1 + 30 s = 40 s): CHAPTERS.md 09 (a) 2–3,
docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html.
Resolvers that keep answers past the TTL make it longer; anycast (one address announced from every
region) has no TTL term.

The model: each user's resolver re-resolves every ``ttl`` seconds at its own phase, uniform in
``[0, ttl)``, at ``phase + k·ttl`` for every whole ``k`` (also before time 0); a request at time ``t`` uses
the answer of the resolver's last query, made at :func:`resolved_at`. So the traffic of a failed region
moves over ``[fail + detection, fail + detection + ttl)``, each user at one moment of it.

Fail-back: when the region comes back, the health checks see it healthy again after their own detection
(Route 53 counts ``threshold`` passing checks in a row), the DNS answers with it again, and users move back
over one more TTL (``known_up`` of :class:`CachedDns`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scalelab.sim import Balancer
from scalelab.sim.route import ServerView


def _seconds(name: str, x: object, low: float = 0.0, strict: bool = False) -> float:
    """``x`` as a finite number of seconds ``>= low`` (``> low`` if strict), or one clear ValueError."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number of seconds, got {x!r}")
    x = float(x)
    if not np.isfinite(x) or x < low or (strict and x == low):
        raise ValueError(
            f"{name} must be a finite number {'>' if strict else '>='} {low:g}, got {x}"
        )
    return x


def failover_seconds(interval: float, threshold: int, ttl: float) -> float:
    """The longest a user keeps reaching a dead region: detection (interval × threshold) + TTL."""
    interval = _seconds("interval", interval, strict=True)
    ttl = _seconds("ttl", ttl)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise ValueError(f"threshold must be a whole number of checks >= 1, got {threshold!r}")
    return interval * threshold + ttl


def resolved_at(t: np.ndarray | float, phase: np.ndarray | float, ttl: float) -> np.ndarray:
    """The resolver's last query at or before ``t``: the latest ``phase + k·ttl <= t`` over every whole ``k``,
    also negative ones (before time 0); ``t`` itself if ttl = 0. Needs ``0 <= phase < ttl``."""
    t = np.asarray(t, dtype=float)
    ttl = _seconds("ttl", ttl)
    ph = np.asarray(phase, dtype=float)
    if ttl > 0 and ph.size and not ((ph >= 0) & (ph < ttl)).all():
        raise ValueError(f"phase must be in [0, ttl) = [0, {ttl:g}), got {phase}")
    if ttl == 0:
        return t
    return np.asarray(phase) + np.floor((t - np.asarray(phase)) / ttl) * ttl


class CachedDns(Balancer):
    """A routing policy seen through users' DNS caches.

    ``known_down`` maps a data centre's index to the time the DNS learns it is down (failure + detection),
    ``known_up`` (optional) to the time it learns it is up again (recovery + detection: fail-back).
    A request is routed by ``policy`` as the DNS answered at the user's last resolution: a data centre
    counts as healthy unless it was known down by then and not yet known up again. The user is the
    request's session (its resolver's phase is drawn once per session); without sessions each request is
    its own user.
    """

    def __init__(
        self,
        policy: Balancer,
        ttl: float,
        known_down: dict[int, float],
        known_up: dict[int, float] | None = None,
    ) -> None:
        ttl = _seconds("ttl", ttl)
        known_up = dict(known_up or {})
        for i, up in known_up.items():
            if not up > known_down.get(i, np.inf):
                raise ValueError(
                    f"data centre {i} is known up at {up} s: that must come after it is known down, "
                    f"got known_down {known_down.get(i)}"
                )
        self.policy, self.ttl, self.known_down, self.known_up = (
            policy,
            ttl,
            dict(known_down),
            known_up,
        )

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self.rng, self.phase = rng, {}
        self.policy.reset(n_servers, rng)

    def route(self, request, servers: Sequence[ServerView]):  # noqa: ANN201, ANN001
        user = request.session if request.session is not None else -1 - request.index
        if user not in self.phase:
            self.phase[user] = self.rng.uniform(0, self.ttl) if self.ttl > 0 else 0.0
        asked = float(resolved_at(request.time, self.phase[user], self.ttl))
        views = [
            ServerView(
                s.index,
                s.name,
                s.weight,
                healthy=s.healthy
                and not (
                    self.known_down.get(s.index, np.inf)
                    <= asked
                    < self.known_up.get(s.index, np.inf)
                ),
                place=s.place,
            )
            for s in servers
        ]
        return self.policy.route(request, views)
