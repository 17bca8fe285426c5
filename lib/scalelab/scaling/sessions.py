"""Where a login lives: in one server's memory (stateful) or in a store every server shares (stateless).

A user logs in once and gets a **session token**, a long random string kept in a cookie; every later
request carries it, and the server looks the token up to learn who is asking. If the lookup table is a
dictionary in the memory of the server that issued the token, the user is logged out as soon as a
balancer sends them to another server (round robin does so three times in four with four servers), and
everyone on a server is logged out when it restarts (a deploy, a crash). Scaling out needs a
**stateless** web tier: any server can answer any request, because what a request needs lives outside
the servers, in a shared store (Redis or Memcached, with an expiry on each session) or in a signed
cookie the browser keeps (Rails' default cookie store; Django's ``signed_cookies`` session backend).
*Sticky sessions* (the balancer sends a user back to the same server) hide the problem until that
server goes down.

:class:`SessionStore` stands for the shared store, :class:`StatelessServer` uses it, and
:class:`StatefulServer` is the bug. :func:`logged_out` replays a simulated run and counts the requests
that found their user logged out, each way.
"""

from __future__ import annotations

import secrets

import numpy as np

from scalelab.sim.faults import Outage
from scalelab.sim.result import SimResult


def new_token() -> str:
    """A fresh session token: 16 random bytes from the OS (22 URL-safe characters), never guessable."""
    return secrets.token_urlsafe(16)


class SessionStore:
    """Sessions in one place every server reaches (what Redis is to a real site): token → user.

    Each store is its own: two stores share nothing (two Redis servers). A real store also expires
    sessions (Redis ``SET token user EX 86400``); this one keeps them until deleted.
    """

    def __init__(self) -> None:
        self._sessions: dict[str, object] = {}

    def save(self, token: str, user: object) -> None:
        self._sessions[token] = user

    def load(self, token: str) -> object | None:
        """The user of ``token``, or ``None`` for a token this store does not know."""
        return self._sessions.get(token)

    def delete(self, token: str) -> None:
        """Forget ``token``; an unknown or already deleted token does nothing (like Redis ``DEL``)."""
        self._sessions.pop(token, None)

    def __len__(self) -> int:
        return len(self._sessions)


class StatelessServer:
    """A web server that keeps nothing about users in its own memory: sessions live in ``store``."""

    def __init__(self, name: str, store: SessionStore) -> None:
        if not all(callable(getattr(store, m, None)) for m in ("save", "load", "delete")):
            raise ValueError(
                f"store must be a SessionStore (an object with save, load and delete), got {store!r}"
            )
        self.name, self.store = name, store

    def login(self, user: object) -> str:
        """Start a session for ``user``; return its token (the browser keeps it in a cookie)."""
        token = new_token()
        self.store.save(token, user)
        return token

    def whoami(self, token: str) -> object | None:
        """The user whose session ``token`` is, or ``None`` (not logged in)."""
        return self.store.load(token)

    def logout(self, token: str) -> None:
        self.store.delete(token)

    def restart(self) -> None:
        """A deploy or a crash: the process starts again with empty memory (nothing is lost here)."""


class StatefulServer(StatelessServer):
    """The bug: sessions in a dictionary in this server's memory, lost on a restart, unknown elsewhere."""

    def __init__(self, name: str) -> None:
        super().__init__(name, SessionStore())

    def restart(self) -> None:
        self.store = SessionStore()


def logged_out(result: SimResult, shared: bool, outages: list[Outage] | tuple = ()) -> np.ndarray:
    """For each request of a run with sessions: did it find its user logged out?

    A user's first request logs in on the server it reaches; the cookie then holds that token. With
    ``shared=False`` the token is known only on the server that issued it, and only until that server
    restarts (the end of one of its ``outages``): a request that reaches another server, or the same
    one after a restart, finds its user logged out, who logs in again there (a new token). With
    ``shared=True`` every server reads one store, and nobody is logged out. Failed requests change
    nothing.
    """
    sessions = result.workload.session
    if sessions is None:
        raise ValueError("the run's workload has no sessions: build it with with_sessions(...)")
    out = np.zeros(len(sessions), dtype=bool)
    if shared:
        return out
    restarts: dict[int, list[float]] = {}
    for o in outages:
        restarts.setdefault(o.server, []).append(o.end)
    home: dict[int, tuple[int, float]] = {}  # session → (server holding its token, when issued)
    arrival, server, ok = result.workload.arrival, result.server, result.ok
    for i in np.flatnonzero(ok):
        s, t, user = int(server[i]), float(arrival[i]), int(sessions[i])
        where = home.get(user)
        if where is not None:
            issued_on, issued_at = where
            lost = any(issued_at < r <= t for r in restarts.get(issued_on, ()))
            if issued_on == s and not lost:
                continue
            out[i] = True
        home[user] = (s, t)
    return out
