"""Cache stampede (캐시 스탬피드): a hot key expires and every reader recomputes it at once.

One key is read as a Poisson stream at ``rate`` per second. Its value lives ``ttl`` seconds; rebuilding it
(the database query, the page render) takes ``delta`` seconds. When it expires, every read that arrives
before the first rebuild is stored misses too and starts a rebuild of its own: about ``1 + rate·delta``
rebuilds per expiry, all hitting the database together (at 1,000 reads/s and a 1 s query, about a
thousand identical queries at once). Three ways to run it (``protection``):

* ``"none"``: every reader that misses rebuilds.
* ``"lock"``: request coalescing. The first reader to miss takes a lock (Redis ``SET lock NX PX``, or
  singleflight in one process) and rebuilds; the others wait for its value. One rebuild per expiry, but
  the readers who arrive during the rebuild wait up to ``delta``.
* ``"xfetch"``: probabilistic early recomputation (Vattani, Chierichetti & Lowenstein, "Optimal
  Probabilistic Cache Stampede Prevention", VLDB 2015). A read at time ``t`` rebuilds early if
  ``t − delta·beta·ln(U) ≥ expiry`` (``U`` uniform on (0, 1]): the chance is
  ``e^(−(expiry − t)/(beta·delta))``, negligible long before expiry, large in its last ``delta``.
  Usually one reader rebuilds before the value expires, and nobody waits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from scalelab.validate import positive, positive_int

PROTECTIONS = ("none", "lock", "xfetch")

_CHUNK = 4096


@dataclass(frozen=True)
class StampedeResult:
    """What one run of :func:`stampede` saw.

    Attributes
    ----------
    starts : numpy.ndarray
        When each rebuild started (each one is a query to the database lasting ``delta``), in seconds.
    delta, ttl, duration : float
        The rebuild time, the time to live and the length of the run, in seconds.
    reads : int
        Reads of the key in the run.
    waited : int
        Reads that found no value and waited for a rebuild (their own, or the lock holder's).
    expiries : int
        Times a rebuild started while none was running: each expiry (or early refresh) that set off
        the rebuilds after it.
    """

    starts: np.ndarray
    delta: float
    ttl: float
    duration: float
    reads: int
    waited: int
    expiries: int

    @property
    def cycles(self) -> float:
        """How many times the value could have expired: ``duration / ttl``."""
        return self.duration / self.ttl

    @property
    def rebuilds_per_cycle(self) -> float:
        return len(self.starts) / self.cycles

    @property
    def rebuilds_per_expiry(self) -> float:
        """Rebuilds set off by one expiry: about ``1 + rate·delta`` unprotected, 1 with a lock."""
        return len(self.starts) / self.expiries if self.expiries else 0.0

    @property
    def waited_share(self) -> float:
        return self.waited / self.reads if self.reads else 0.0

    def concurrent(self, times: np.ndarray) -> np.ndarray:
        """Rebuilds running at each of ``times``: the database's extra concurrent queries."""
        started = np.searchsorted(self.starts, times, side="right")
        finished = np.searchsorted(self.starts + self.delta, times, side="right")
        return started - finished

    @property
    def peak(self) -> int:
        """Most rebuilds running at once."""
        if len(self.starts) == 0:
            return 0
        return int(self.concurrent(self.starts).max())


def stampede(
    rate: float,
    delta: float,
    ttl: float,
    protection: str = "none",
    beta: float = 1.0,
    cycles: int = 10,
    rng: np.random.Generator | None = None,
) -> StampedeResult:
    """Read one hot key for ``cycles × ttl`` seconds; the value is fresh at time 0 and expires at ``ttl``.

    Each finished rebuild stores the value again, living ``ttl`` from then. Seeded by ``rng``.
    """
    positive("rate", rate)
    positive("delta", delta)
    positive("ttl", ttl)
    positive("beta", beta)
    positive_int("cycles", cycles)
    if protection not in PROTECTIONS:
        raise ValueError(f"protection must be one of {list(PROTECTIONS)}, got {protection!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    duration = cycles * ttl
    n = int(rng.poisson(rate * duration))
    times = np.sort(rng.uniform(0.0, duration, n))
    # How early a read may rebuild under XFetch: delta·beta·(−ln U), U in (0, 1].
    early = delta * beta * -np.log1p(-rng.uniform(0.0, 1.0, n)) if protection == "xfetch" else None
    ahead = times + early if early is not None else times

    expiry = ttl
    running: deque[float] = (
        deque()
    )  # when each rebuild in flight finishes (they finish in start order)
    starts: list[float] = []
    waited = expiries = 0
    i = 0
    while i < n:
        if not running:  # nothing in flight: jump to the next read that misses or rebuilds early
            j = i
            while j < n:
                hit = np.flatnonzero(ahead[j : j + _CHUNK] >= expiry)
                if hit.size:
                    j += int(hit[0])
                    break
                j += _CHUNK
            if j >= n:
                break
            i = j
        now = times[i]
        while running and running[0] <= now:
            expiry = max(expiry, running.popleft() + ttl)
        present = now < expiry
        if not present:
            waited += 1
        rebuild = (
            (not present and (protection == "none" or not running))
            if protection != "xfetch"
            else (not present or ahead[i] >= expiry)
        )
        if rebuild:
            expiries += not running
            running.append(now + delta)
            starts.append(now)
        i += 1
    return StampedeResult(np.array(starts), delta, ttl, duration, n, waited, expiries)
