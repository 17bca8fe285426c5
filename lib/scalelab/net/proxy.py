"""A reverse proxy on the loopback address: a load balancer in front of real HTTP servers.

The simulator's balancer (chapter 05) decides which server gets each request. Here the very same
object, a :class:`~scalelab.sim.route.Balancer` subclass with ``choose(servers)``, decides for real
requests: :class:`ReverseProxy` is a :class:`~scalelab.net.loopback.LocalServer` whose app

1. builds one :class:`~scalelab.sim.route.ServerView` per backend from live state: ``healthy`` as the
   health checks last saw it, ``weight``, and ``active`` (requests in flight) for a balancer that
   declares ``uses_load = True``;
2. asks the balancer, one request at a time (a balancer keeps state, so calls never overlap), in a
   thread of its own that the request waits for at most ``decide_timeout`` seconds;
3. forwards the request to the chosen backend with :mod:`http.client` under a time limit and hands
   the answer back with an ``X-Backend`` header naming who served it.

What the user gets when it goes wrong is what a real balancer answers: **503** when the balancer says
``None`` (no healthy server), **502** when the chosen backend does not answer (it died and health checks
have not noticed yet), **500** with one line saying what the balancer did wrong when ``choose`` raises,
returns something that is not a server's index, or has not returned within ``decide_timeout`` (a call
that never returns keeps running in the background: Python cannot stop a thread, see ``stuck``).

:class:`HealthChecker` probes every backend's ``/health`` on a timer in a background thread, with the
semantics of :class:`scalelab.balancer.HealthCheck` (``interval``, ``fall``, ``rise``; HAProxy's
``inter``, ``fall``, ``rise``): probes at 0, interval, 2·interval, …; a backend is marked down after
``fall`` failed probes in a row and up again after ``rise`` good ones; every backend starts healthy.
It takes any object with those three attributes, so this module needs no chapter's family.

:func:`drive` is a bounded load: a fixed number of requests, a deadline, optionally a few at a time;
it returns who answered how many and the errors. Sequential requests make a balancer's shares exact
and repeatable (the course prints them); concurrent ones show ``active`` at work.

Everything binds to ``127.0.0.0/8`` only, on ports the system picks, and stops with
:func:`scalelab.net.stop_all` like any :class:`~scalelab.net.loopback.LocalServer`.

Real systems: HAProxy (``server web1 10.0.0.11:80 check inter 2s fall 3 rise 2``), Nginx ``upstream``
(passive checks; active ones in NGINX Plus ``health_check``), Envoy clusters with ``health_checks``.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from numbers import Integral
from typing import Protocol

import numpy as np

from scalelab.net.loopback import (
    TIMEOUT,
    LocalServer,
    Reply,
    Request,
    check_loopback,
    get,
    track,
    untrack,
)
from scalelab.sim.route import Balancer, RequestView, ServerView
from scalelab.validate import positive, positive_int

HEALTH_PATH = "/health"
BACKEND_HEADER = "X-Backend"


def backend_app(name: str) -> Callable[[Request], Reply]:
    """A web server's app that answers its own ``name`` on every path, and ``ok`` on ``/health``."""

    def app(request: Request) -> Reply:
        if request.path == HEALTH_PATH:
            return Reply(200, "ok")
        return Reply(200, name)

    return app


class HealthParameters(Protocol):
    """What the checker reads from a health check (``scalelab.balancer.HealthCheck`` is one)."""

    interval: float
    fall: int
    rise: int


@dataclass(frozen=True)
class Change:
    """The checker changed its mind about one backend."""

    time: float
    """Seconds since the checks started."""
    server: int
    healthy: bool
    probe: int
    """Which of this backend's probes (1 for the first) made the change."""
    failed: int
    """This backend's failed probes so far, in all (differences count failures between two moments)."""
    good: int
    """This backend's good probes so far, in all."""


class HealthChecker:
    """Active health checks on real servers, in a background thread.

    ``urls[i]`` is backend i's base URL; every ``check.interval`` seconds each one is asked for
    ``/health`` (a probe fails unless it answers 2xx within ``timeout`` seconds). ``healthy[i]`` turns
    False after ``check.fall`` failures in a row and True again after ``check.rise`` successes, as
    :class:`scalelab.balancer.HealthCheck` computes it for the simulator. A late probe round is not
    made up for: the next one runs on the next tick of the timer.
    """

    def __init__(
        self,
        urls: Sequence[str],
        check: HealthParameters,
        timeout: float = 1.0,
        names: Sequence[str] | None = None,
    ) -> None:
        for attribute in ("interval", "fall", "rise"):
            if not hasattr(check, attribute):
                raise TypeError(
                    f"check must have interval, fall and rise (e.g. scalelab.HealthCheck), got {check!r}"
                )
        positive("interval", check.interval)
        positive_int("fall", check.fall)
        positive_int("rise", check.rise)
        positive("timeout", timeout)
        self.urls = list(urls)
        self.names = (
            [f"web-{i + 1}" for i in range(len(self.urls))] if names is None else list(names)
        )
        """What messages call each backend (the learner's names, not indexes)."""
        self.interval, self.fall, self.rise = (
            float(check.interval),
            int(check.fall),
            int(check.rise),
        )
        self.timeout = float(timeout)
        n = len(self.urls)
        self._healthy = [True] * n
        self._fails = [0] * n
        self._goods = [0] * n
        self._probes = [0] * n
        self._failed = [0] * n
        self._good = [0] * n
        self._changes: list[Change] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def start(self) -> HealthChecker:
        if self._thread is not None:
            return self
        self._stopping.clear()
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name="scalelab-health-checks", daemon=True
        )
        self._thread.start()
        track(self)  # scalelab.net.stop_all() stops the checks too
        return self

    def stop(self) -> None:
        """Stop probing; waits for a probe round in progress (at most ``timeout`` per backend)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout * max(1, len(self.urls)) + self.interval + 1)
            self._thread = None
        untrack(self)

    def _run(self) -> None:
        tick = 0
        while not self._stopping.is_set():
            for i, url in enumerate(self.urls):
                if self._stopping.is_set():
                    return
                answer = get(url + HEALTH_PATH, timeout=self.timeout)
                self._record(i, answer.status is not None and 200 <= answer.status < 300)
            now = time.monotonic() - self._started
            tick = max(tick + 1, math.ceil(now / self.interval))  # skip ticks already missed
            self._stopping.wait(max(0.0, tick * self.interval - now))

    def _record(self, server: int, ok: bool) -> None:
        with self._changed:
            self._probes[server] += 1
            if ok:
                self._good[server] += 1
                self._fails[server], self._goods[server] = 0, self._goods[server] + 1
                flip = not self._healthy[server] and self._goods[server] >= self.rise
            else:
                self._failed[server] += 1
                self._fails[server], self._goods[server] = self._fails[server] + 1, 0
                flip = self._healthy[server] and self._fails[server] >= self.fall
            if flip:
                self._healthy[server] = ok
                when = time.monotonic() - self._started
                probes = self._probes[server], self._failed[server], self._good[server]
                self._changes.append(Change(when, server, ok, *probes))
            self._changed.notify_all()

    @property
    def started(self) -> float:
        """When the checks started, on ``time.monotonic()``'s clock (``Change.time`` counts from it)."""
        return self._started

    @property
    def healthy(self) -> list[bool]:
        """What the checks last concluded, one flag per backend (a copy)."""
        with self._changed:
            return list(self._healthy)

    @property
    def changes(self) -> list[Change]:
        """Every change of mind so far, oldest first (a copy)."""
        with self._changed:
            return list(self._changes)

    def probes(self, server: int) -> tuple[int, int]:
        """Backend ``server``'s probes so far: ``(failed, good)``."""
        with self._changed:
            return self._failed[server], self._good[server]

    def wait_for(self, server: int, healthy: bool, timeout: float, since: int = 0) -> Change:
        """Block until the checks mark backend ``server`` up (``healthy=True``) or down; return that change.

        Only changes from number ``since`` on count (``since=len(checker.changes)`` taken before
        stopping a backend waits for the change that stop causes). Raises ``TimeoutError`` with one
        clear line if it has not happened within ``timeout`` seconds.
        """

        with self._changed:
            change = self._changed.wait_for(
                lambda: self.change_since(server, healthy, since), timeout=timeout
            )
            if change is None:
                raise TimeoutError(
                    f"expected health checks to mark {self.names[server]} "
                    f"{'up' if healthy else 'down'} within {timeout:g} s, got still "
                    f"{'up' if self._healthy[server] else 'down'} after {self._probes[server]} probes"
                )
            return change

    def change_since(self, server: int, healthy: bool, since: int = 0) -> Change | None:
        """The first change from number ``since`` on that marked backend ``server`` up (or down), if any."""
        with self._changed:
            later = self._changes[since:]
            return next((c for c in later if c.server == server and c.healthy == healthy), None)


class ReverseProxy:
    """A load balancer on ``127.0.0.1``: ``balancer`` picks one of ``backends`` for each request.

    ``backends`` are base URLs on the loopback address (``http://127.0.0.1:<port>``) and ``names`` their
    labels (``web-1`` … by default). With ``health_check`` (an object with ``interval``, ``fall`` and
    ``rise``, e.g. ``scalelab.HealthCheck(interval=0.05)``) a :class:`HealthChecker` keeps
    ``ServerView.healthy`` up to date; without one every backend always looks healthy, as in the
    simulator without health checks. The balancer's ``reset(n, rng)`` is called at ``start()``, as the
    simulator does before a run. ``timeout`` bounds each forwarded request; ``decide_timeout`` bounds
    how long a request waits for the balancer's answer.
    """

    def __init__(
        self,
        balancer: Balancer,
        backends: Sequence[str],
        names: Sequence[str] | None = None,
        weights: Sequence[int] | None = None,
        health_check: HealthParameters | None = None,
        timeout: float = TIMEOUT,
        decide_timeout: float = 1.0,
        probe_timeout: float = 1.0,
        rng: np.random.Generator | None = None,
        name: str = "balancer",
    ) -> None:
        check_balancer(balancer)
        self.backends = [_base_url(url) for url in backends]
        n = len(self.backends)
        if n == 0:
            raise ValueError("need at least one backend URL, got none")
        self.names = [f"web-{i + 1}" for i in range(n)] if names is None else list(names)
        if len(self.names) != n:
            raise ValueError(f"need one name per backend: {n} backends, {len(self.names)} names")
        self.weights = [1] * n if weights is None else check_weights(weights, self.names)
        positive("timeout", timeout)
        positive("decide_timeout", decide_timeout)
        self.balancer = balancer
        self.timeout = float(timeout)
        self.decide_timeout = float(decide_timeout)
        self.checker = (
            HealthChecker(self.backends, health_check, timeout=probe_timeout, names=self.names)
            if health_check is not None
            else None
        )
        self._rng = rng if rng is not None else np.random.default_rng(0)
        self.server = LocalServer(self._handle, name=name)
        self._lock = threading.Lock()  # the counters below
        self._deciding = threading.Lock()  # one choose() at a time
        self._busy_since: float | None = None
        self._stuck_thread: threading.Thread | None = None
        self._decide_seconds = 0.0  # time spent in choose(), all calls
        self._decisions = 0
        self._in_flight = [0] * n
        self._requests = 0
        self._started = 0.0
        self.sent: Counter[str] = Counter()
        """Requests forwarded to each backend, by name."""
        self.answered: Counter[str] = Counter()
        """Requests each backend answered, by name."""
        self.errors: Counter[str] = Counter()
        """What went wrong, by reason (``502 web-2 did not answer``, ``503 no healthy server`` …)."""

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> ReverseProxy:
        if self.server.running:
            return self
        try:
            self.balancer.reset(len(self.backends), self._rng)
            self._started = time.monotonic()
            if self.checker is not None:
                self.checker.start()
            self.server.start()
        except BaseException:  # an interrupt too: leave nothing running
            self.stop()
            raise
        track(self)
        return self

    def stop(self) -> None:
        self.server.stop()
        if self.checker is not None:
            self.checker.stop()
        untrack(self)

    def __enter__(self) -> ReverseProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def stuck(self) -> bool:
        """True while a ``choose`` call that overran ``decide_timeout`` is still running in the background
        (a Python thread cannot be stopped from outside: only restarting the kernel ends it)."""
        return self._stuck_thread is not None and self._stuck_thread.is_alive()

    def decide_time(self) -> tuple[float, int]:
        """Seconds spent in ``choose`` so far and how many calls returned (differences give a mean)."""
        with self._lock:
            return self._decide_seconds, self._decisions

    @property
    def healthy(self) -> list[bool]:
        """What the balancer believes about each backend (all True without health checks)."""
        return self.checker.healthy if self.checker is not None else [True] * len(self.backends)

    def clear_counts(self) -> None:
        with self._lock:
            self.sent.clear()
            self.answered.clear()
            self.errors.clear()

    # --- one request ------------------------------------------------------------------------------

    def views(self) -> list[ServerView]:
        """The pool as the balancer sees it now: one :class:`ServerView` per backend."""
        healthy = self.healthy
        with self._lock:
            active = list(self._in_flight)
        views = [
            ServerView(i, name, weight=w, healthy=h)
            for i, (name, w, h) in enumerate(zip(self.names, self.weights, healthy, strict=True))
        ]
        if self.balancer.uses_load:
            for view, load in zip(views, active, strict=True):
                view._active = load  # as the engine does: only for balancers that ask for it
        return views

    def _decide(self, request: Request) -> int | Reply:
        """The balancer's pick for ``request``, or the error reply when there is none to follow.

        ``choose`` runs in a thread of its own, one call at a time, and the request waits for it at
        most ``decide_timeout`` seconds: a ``choose`` that never returns costs the first request one
        ``decide_timeout`` and every later one nothing, each answered 500 with that sentence. Python
        cannot kill a thread, so such a call keeps running in the background (see :attr:`stuck`).
        """
        stuck = f"the balancer's choose() has not returned for {self.decide_timeout:g} s"
        busy_since = self._busy_since
        if busy_since is not None and time.monotonic() - busy_since > self.decide_timeout:
            return self._error(500, stuck)
        if not self._deciding.acquire(timeout=self.decide_timeout):
            return self._error(500, stuck)
        # From here the choose thread owns the lock and releases it when choose() returns.
        self._busy_since = time.monotonic()
        views = self.views()
        with self._lock:
            index = self._requests
            self._requests += 1
        seen = RequestView(index, time.monotonic() - self._started)
        answer: list[object] = []
        done = threading.Event()

        def decide() -> None:
            started = time.monotonic()
            try:
                answer.append(self.balancer.route(seen, views))
            except Exception as error:  # noqa: BLE001 - a broken balancer answers 500, it does not crash
                answer.append(error)
            finally:
                with self._lock:
                    self._decide_seconds += time.monotonic() - started
                    self._decisions += 1
                self._busy_since = None
                self._deciding.release()
                done.set()

        thread = threading.Thread(target=decide, name="scalelab-choose", daemon=True)
        thread.start()
        if not done.wait(self.decide_timeout):
            self._stuck_thread = thread
            return self._error(500, stuck)
        pick = answer[0]
        if isinstance(pick, Exception):
            said = f": {pick}" if str(pick) else ""
            return self._error(500, f"the balancer's choose() raised {type(pick).__name__}{said}")
        n = len(self.backends)
        if pick is None:
            return self._error(503, "no healthy server")
        if (
            isinstance(pick, bool)
            or not isinstance(pick, Integral | np.integer)
            or not 0 <= pick < n
        ):
            return self._error(
                500,
                f"the balancer's choose() returned {pick!r}; expected the index of a server "
                f"(0 to {n - 1}) or None",
            )
        return int(pick)

    def _handle(self, request: Request) -> Reply:
        pick = self._decide(request)
        if isinstance(pick, Reply):
            return pick
        name = self.names[pick]
        with self._lock:
            self.sent[name] += 1
            self._in_flight[pick] += 1
        try:
            status, body, content_type = self._forward(self.backends[pick], request)
        except (OSError, http.client.HTTPException) as error:
            return self._error(502, f"{name} did not answer ({type(error).__name__})", name)
        finally:
            with self._lock:
                self._in_flight[pick] -= 1
        with self._lock:
            self.answered[name] += 1
        return Reply(status, body, content_type, {BACKEND_HEADER: name})

    def _forward(self, base: str, request: Request) -> tuple[int, bytes, str]:
        parts = urllib.parse.urlsplit(base)
        path = request.path + ("?" + urllib.parse.urlencode(request.query) if request.query else "")
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        try:
            headers = {"X-Forwarded-For": "127.0.0.1", "Connection": "close"}
            if "Content-Type" in request.headers:
                headers["Content-Type"] = request.headers["Content-Type"]
            connection.request(request.method, path, body=request.body or None, headers=headers)
            response = connection.getresponse()
            body = response.read()
            content_type = response.getheader("Content-Type", "text/plain; charset=utf-8")
            return response.status, body, content_type
        finally:
            connection.close()

    def _error(self, status: int, reason: str, backend: str | None = None) -> Reply:
        with self._lock:
            self.errors[f"{status} {reason.split(' (')[0]}"] += 1
        headers = {BACKEND_HEADER: backend} if backend else {}
        return Reply(status, f"balancer: {reason}", headers=headers)

    def __repr__(self) -> str:
        where = "running" if self.server.running else "stopped"
        return (
            f"ReverseProxy({type(self.balancer).__name__}, {len(self.backends)} backends, {where})"
        )


def check_balancer(balancer: object) -> None:
    """Raise one clear ``TypeError`` unless ``balancer`` is a :class:`Balancer` instance."""
    if isinstance(balancer, type) and issubclass(balancer, Balancer):
        name = balancer.__name__
        raise TypeError(
            f"balancer must be a balancer, got the class {name}: pass an instance: {name}()"
        )
    if not isinstance(balancer, Balancer):
        raise TypeError(
            f"balancer must be a scalelab.Balancer subclass with choose(servers), got {balancer!r}"
        )


def check_weights(weights: Sequence[int], names: Sequence[str]) -> list[int]:
    """``weights`` as a list, if it holds one positive integer per name (as ``Server(weight=…)`` asks
    in the simulator); else one clear ``ValueError``: ``expected one weight per server (3), got 2``."""
    if isinstance(weights, str | bytes) or not hasattr(weights, "__len__"):
        raise ValueError(
            "weights must be a list of one positive integer per server, "
            f"e.g. {[3] + [1] * (len(names) - 1)}, got {weights!r}"
        )
    weights = list(weights)
    if len(weights) != len(names):
        raise ValueError(
            f"expected one weight per server ({len(names)}), got {len(weights)}: {weights!r}"
        )
    for name, weight in zip(names, weights, strict=True):
        positive_int(f"the weight of {name}", weight)
    return [int(w) for w in weights]


def _base_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or not parts.port:
        raise ValueError(f"expected a backend URL like 'http://127.0.0.1:8000', got {url!r}")
    check_loopback(parts.hostname)
    return f"http://{parts.hostname}:{parts.port}"


@dataclass(frozen=True)
class Load:
    """What a bounded load saw: who answered how many requests, and what failed."""

    sent: int
    """Requests sent (fewer than asked for when the deadline came first)."""
    answered: dict[str, int]
    """Good answers (2xx) per backend name, in the order first seen (a lab's: its servers' order);
    printed in that order; see :meth:`shares`."""
    errors: dict[str, int] = field(default_factory=dict)
    """Failed requests by reason: ``"502"``, ``"503"``, ``"no answer"`` …"""
    unsent: int = 0
    """Requests never sent because the deadline passed."""
    seconds: float = 0.0
    """Wall-clock time the load took (varies from run to run: do not print it in a checked output)."""
    said: dict[str, str] = field(default_factory=dict)
    """For each kind of error, the first line of the first such answer (what the proxy said)."""
    deadline: float | None = None
    """The load's deadline in seconds (named when requests were left unsent)."""
    slow_choose: float | None = None
    """Mean seconds per ``choose`` call when a slow balancer is why the deadline came first, else None."""

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def shares(self, names: Sequence[str] | None = None) -> dict[str, int]:
        """Answered requests per backend, listing every name in ``names`` (0 where none answered)."""
        names = list(self.answered) if names is None else names
        return {name: self.answered.get(name, 0) for name in names}

    def __str__(self) -> str:
        shares = ", ".join(f"{name} {count}" for name, count in self.answered.items())  # as given
        errors = ", ".join(
            f"{count} × {reason}" + (f" ({self.said[reason]})" if self.said.get(reason) else "")
            for reason, count in sorted(self.errors.items())
        )
        text = f"{self.sent} requests: {shares or 'no answers'}; errors: {errors or 'none'}"
        if not self.unsent:
            return text
        why = "deadline" if self.deadline is None else f"the {self.deadline:g} s deadline passed"
        if self.slow_choose is not None:
            why += f"; the balancer is slow: choose() took {self.slow_choose:.2f} s per request on average"
        return text + f" ({self.unsent} not sent: {why})"


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _wait_for(threads: Sequence[threading.Thread], until: float) -> None:
    """Wait for the load's workers to end, at most until ``until`` on ``time.monotonic()``'s clock
    (the one place :func:`drive`'s caller waits, and where an interrupt reaches it)."""
    for thread in threads:
        thread.join(timeout=max(0.0, until - time.monotonic()))


def drive(
    url: str,
    count: int,
    deadline: float = 10.0,
    concurrency: int = 1,
    path: str = "/",
    timeout: float = TIMEOUT,
) -> Load:
    """Send ``count`` GET requests to ``url + path``, ``concurrency`` at a time, stopping at ``deadline`` s.

    No request starts after the deadline; one in flight then may take its ``timeout`` to finish, so a
    load lasts at most ``deadline + timeout`` seconds. A request's backend is read from the proxy's
    ``X-Backend`` header (or the body, for a backend asked directly). Never raises for a failed
    request: it is counted in ``errors``.
    """
    positive_int("count", count)
    positive_int("concurrency", concurrency)
    positive("deadline", deadline)
    started = time.monotonic()
    end = started + deadline
    lock = threading.Lock()
    answered: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    said: dict[str, str] = {}
    next_request = [0]
    stop = (
        threading.Event()
    )  # set when the caller stops waiting (an interrupt, an error): no new request

    def worker() -> None:
        while True:
            with lock:
                if stop.is_set() or next_request[0] >= count or time.monotonic() >= end:
                    return
                next_request[0] += 1
            answer = get(url + path, timeout=timeout)
            with lock:
                if answer.status is None:
                    errors["no answer"] += 1
                    said.setdefault("no answer", answer.error)
                elif 200 <= answer.status < 300:
                    answered[answer.headers.get(BACKEND_HEADER) or answer.text] += 1
                else:
                    reason = _status_text(answer.status)
                    errors[reason] += 1
                    said.setdefault(reason, answer.text.strip().split("\n")[0][:160])

    if concurrency == 1:
        worker()
    else:
        threads = [
            threading.Thread(target=worker, name=f"scalelab-load-{k}", daemon=True)
            for k in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        try:
            _wait_for(threads, end + timeout + 1)
        finally:  # KeyboardInterrupt included: the workers send nothing more and end with their request
            stop.set()
    sent = next_request[0]
    return Load(
        sent=sent,
        answered=dict(answered),
        errors=dict(errors),
        unsent=count - sent,
        seconds=time.monotonic() - started,
        said=said,
        deadline=deadline,
    )
