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
``[0, ttl)``; a request at time ``t`` uses the answer of the resolver's last query, made at
:func:`resolved_at`. So the traffic of a failed region moves over ``[fail + detection, fail + detection +
ttl)``, each user at one moment of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scalelab.sim import Balancer
from scalelab.sim.route import ServerView


def failover_seconds(interval: float, threshold: int, ttl: float) -> float:
    """The longest a user keeps reaching a dead region: detection (interval × threshold) + TTL."""
    if interval <= 0 or threshold < 1 or ttl < 0:
        raise ValueError(
            f"need interval > 0, threshold >= 1, ttl >= 0, got {interval}, {threshold}, {ttl}"
        )
    return interval * threshold + ttl


def resolved_at(t: np.ndarray | float, phase: np.ndarray | float, ttl: float) -> np.ndarray:
    """The resolver's last query at or before ``t``: the latest ``phase + k·ttl <= t`` (``t`` if ttl = 0)."""
    t = np.asarray(t, dtype=float)
    if ttl <= 0:
        return t
    return np.asarray(phase) + np.floor((t - np.asarray(phase)) / ttl) * ttl


class CachedDns(Balancer):
    """A routing policy seen through users' DNS caches.

    ``known_down`` maps a data centre's index to the time the DNS learns it is down (failure + detection).
    A request is routed by ``policy`` as the DNS answered at the user's last resolution: a data centre
    counts as healthy unless it was known down by then. The user is the request's session (its resolver's
    phase is drawn once per session); without sessions each request is its own user.
    """

    def __init__(self, policy: Balancer, ttl: float, known_down: dict[int, float]) -> None:
        if ttl < 0:
            raise ValueError(f"ttl must be 0 or more seconds, got {ttl}")
        self.policy, self.ttl, self.known_down = policy, float(ttl), dict(known_down)

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
                healthy=s.healthy and not asked >= self.known_down.get(s.index, np.inf),
                place=s.place,
            )
            for s in servers
        ]
        return self.policy.route(request, views)
