"""Chapter 05's real mode: a balancer in front of real web servers on this machine.

The simulator shows what a balancer does to thousands of requests; real mode shows the same
:class:`~scalelab.sim.route.Balancer` object (the library's ``RoundRobin`` or a learner's own class)
forwarding real HTTP requests. :class:`RealLab` starts three web servers (``web-1`` … on
``127.0.0.1``, each answering its own name), a reverse proxy driven by the balancer
(:class:`scalelab.net.proxy.ReverseProxy`) and active health checks (a :class:`HealthCheck`: HAProxy's
``inter 2s fall 3 rise 2`` made 40 times faster, so a lab runs in a fraction of a second). Stop one
server and the checks take it out after ``fall`` failed probes; start it and they put it back after
``rise`` good ones.

Everything it starts it stops: use it in a ``with`` block (``scalelab.net.stop_all()`` stops anything
left over, and runs when Python exits). Ports are the free ones the system picks, on 127.0.0.1 only;
every wait has a time limit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scalelab.balancer.health import HealthCheck
from scalelab.net.loopback import LocalServer, track, untrack
from scalelab.net.proxy import (
    Load,
    ReverseProxy,
    backend_app,
    check_balancer,
    check_weights,
    drive,
)
from scalelab.sim.route import Balancer
from scalelab.validate import positive, positive_int

STILL_RUNNING = (
    "your choose() is still running in the background: "
    "restart the kernel (Kernel → Restart) to stop it"
)
"""What the lab prints when it stops while a ``choose`` call that never returned is still running."""

MAX_SERVERS = 20
"""A lab's largest pool: each server is a real one, with its own thread and port."""

LAB_CHECK = HealthCheck(interval=0.05, fall=3, rise=2)
"""HAProxy's default ``fall 3 rise 2``, probing every 0.05 s instead of 2 s."""


@dataclass(frozen=True)
class Noticed:
    """How the health checks noticed that a server stopped (or started) answering."""

    server: str
    healthy: bool
    """True: put back in rotation; False: taken out."""
    probes: int
    """Failed probes (taking out) or good probes (putting back) from the stop or start to the change:
    ``fall`` or ``rise``, as the health check says."""
    seconds: float
    """From the stop or start to the change (varies from run to run: do not print it in a checked output)."""
    already: bool = False
    """The checks said so already when asked: nothing to wait for (``probes`` and ``seconds`` are 0)."""

    def __str__(self) -> str:
        if self.already:
            return (
                f"{self.server} is already {'up' if self.healthy else 'down'}: nothing to wait for"
            )
        kind, verb = ("good", "back in rotation") if self.healthy else ("failed", "marked down")
        return f"{self.server} {verb} after {self.probes} {kind} probes"


class RealLab:
    """``servers`` web servers on 127.0.0.1 behind a reverse proxy that ``balancer`` drives.

    >>> from scalelab import RoundRobin
    >>> with RealLab(RoundRobin()) as lab:
    ...     print(lab.send(6))
    6 requests: web-1 2, web-2 2, web-3 2; errors: none
    """

    def __init__(
        self,
        balancer: Balancer,
        servers: int = 3,
        weights: Sequence[int] | None = None,
        health_check: HealthCheck | None = LAB_CHECK,
        rng: np.random.Generator | None = None,
        decide_timeout: float = 1.0,
    ) -> None:
        check_balancer(balancer)
        positive_int("servers", servers)
        if servers > MAX_SERVERS:
            raise ValueError(
                f"servers must be at most {MAX_SERVERS} (each is a real web server in this notebook), "
                f"got {servers}"
            )
        positive("decide_timeout", decide_timeout)
        self.decide_timeout = float(decide_timeout)
        self.names = [f"web-{i + 1}" for i in range(servers)]
        self.servers = [LocalServer(backend_app(name), name=name) for name in self.names]
        self.balancer = balancer
        self.health_check = health_check
        self._weights = None if weights is None else check_weights(weights, self.names)
        self._rng = rng
        self.proxy: ReverseProxy | None = None
        self._since: dict[int, tuple[int, tuple[int, int], float]] = {}

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> RealLab:
        if self.proxy is not None:
            return self
        try:
            for server in self.servers:
                server.start()
            self.proxy = ReverseProxy(
                self.balancer,
                [s.url for s in self.servers],
                names=self.names,
                weights=self._weights,
                health_check=self.health_check,
                rng=self._rng,
                decide_timeout=self.decide_timeout,
            ).start()
        except BaseException:  # an interrupt too: leave no server up
            self.stop()
            raise
        track(self)  # scalelab.net.stop_all() stops the lab as a whole, and the lab knows it
        return self

    def stop(self) -> None:
        """Stop the proxy, its health checks and every server (safe to call twice)."""
        proxy, self.proxy = self.proxy, None
        if proxy is not None:
            proxy.stop()
        for server in self.servers:
            server.stop()
        untrack(self)
        if proxy is not None and proxy.stuck:
            print(STILL_RUNNING)  # the one thing the lab cannot stop: say so, and how

    def __enter__(self) -> RealLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _running_proxy(self) -> ReverseProxy:
        if self.proxy is None:
            raise RuntimeError("the lab is not running: use `with RealLab(balancer) as lab:`")
        return self.proxy

    # --- what the learner does --------------------------------------------------------------------

    def send(self, count: int, deadline: float = 10.0, concurrency: int = 1) -> Load:
        """Send ``count`` requests through the balancer (one at a time unless ``concurrency`` > 1),
        stopping at ``deadline`` seconds; returns who answered how many and the errors."""
        proxy = self._running_proxy()
        spent, calls = proxy.decide_time()
        load = drive(proxy.url, count, deadline=deadline, concurrency=concurrency)
        spent, calls = proxy.decide_time()[0] - spent, proxy.decide_time()[1] - calls
        # The balancer is why the deadline came first when choose() took most of the load's time.
        slow = spent / calls if load.unsent and calls and spent >= load.seconds / 2 else None
        answered = {name: load.answered.get(name, 0) for name in self.names}
        return Load(
            load.sent,
            answered,
            load.errors,
            load.unsent,
            load.seconds,
            load.said,
            deadline=deadline,
            slow_choose=slow,
        )

    def index(self, server: int | str) -> int:
        """A server's index from its index or its name (``"web-2"`` is 1)."""
        if isinstance(server, str) and server in self.names:
            return self.names.index(server)
        if (
            isinstance(server, int)
            and not isinstance(server, bool)
            and 0 <= server < len(self.names)
        ):
            return server
        raise ValueError(
            f"expected one of {self.names} or an index 0 to {len(self.names) - 1}, got {server!r}"
        )

    def stop_server(self, server: int | str) -> None:
        """Stop one web server: it refuses connections from now on (a crash, as far as users can tell)."""
        i = self.index(server)
        self._note_changes(i)
        self.servers[i].stop()

    def start_server(self, server: int | str) -> None:
        """Start a stopped web server again, on the same address."""
        i = self.index(server)
        self._note_changes(i)
        self.servers[i].start()

    def _note_changes(self, i: int) -> None:
        checker = self._running_proxy().checker
        if checker is not None:
            self._since[i] = (len(checker.changes), checker.probes(i), time.monotonic())

    def wait_until(self, server: int | str, healthy: bool, timeout: float = 5.0) -> Noticed:
        """Wait (at most ``timeout`` s) until health checks mark ``server`` up or down after it was
        last stopped or started; says after how many probes and seconds. Returns at once when the
        checks already say so and the server is in that state (up and running, or down and stopped)."""
        positive("timeout", timeout)
        i = self.index(server)
        checker = self._running_proxy().checker
        if checker is None:
            raise RuntimeError(
                "this lab runs without health checks: nothing will mark a server down"
            )
        since, (failed, good), when = self._since.get(i, (0, (0, 0), time.monotonic()))
        if (
            checker.change_since(i, healthy, since) is None
            and checker.healthy[i] == healthy
            and self.servers[i].running == healthy
        ):
            return Noticed(self.names[i], healthy, 0, 0.0, already=True)
        change = checker.wait_for(i, healthy, timeout, since=since)
        probes = change.good - good if healthy else change.failed - failed
        seconds = change.time - (when - checker.started)
        return Noticed(self.names[i], healthy, probes, seconds)

    @property
    def health(self) -> dict[str, str]:
        """What the balancer believes: ``{"web-1": "up", "web-2": "DOWN", …}``."""
        healthy = self._running_proxy().healthy
        return {name: "up" if h else "DOWN" for name, h in zip(self.names, healthy, strict=True)}

    def __repr__(self) -> str:
        state = "running" if self.proxy is not None else "stopped"
        return f"RealLab({type(self.balancer).__name__}, {len(self.names)} servers, {state})"
