"""Workloads: when requests arrive, how much work each one is, and which key it asks for.

A workload is plain data (sorted arrival times in seconds and CPU seconds per request), made by a
seeded generator so that the same seed always gives the same traffic. Real traffic is rarely a flat
Poisson stream: people sleep (the diurnal curve), news breaks (the flash crowd) and a few items are far
more popular than the rest (Zipf). Each generator here models one of those shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from scalelab.sim.geo import Place, place
from scalelab.validate import at_least_zero, positive

#: What a request does to the data it names: reads it, or writes it.
READ, WRITE = 0, 1


@dataclass(frozen=True)
class Workload:
    """A stream of requests.

    Attributes
    ----------
    arrival : np.ndarray
        Arrival time of each request in seconds, sorted, within [start, start + duration).
    demand : np.ndarray
        CPU seconds each request needs on a server of speed 1.
    duration : float
        Length of the observation window in seconds.
    keys : np.ndarray or None
        Which item (page, video, user) each request asks for, when the workload has keys.
    kind : np.ndarray or None
        ``READ`` (0) or ``WRITE`` (1) per request; ``None`` means every request reads.
    session : np.ndarray or None
        Which user session sent each request (for read-your-writes), when the workload has sessions.
    start : float
        When the observation window opens, in seconds (0 for a generated workload; later for a window
        cut out of a run by :meth:`SimResult.between <scalelab.sim.result.SimResult.between>`).
    place : np.ndarray or None
        Where each request's user is: an index into ``places`` (see :func:`with_places`). ``None``
        means geography is off for the users: they are next to the first tier.
    places : tuple of Place
        The places ``place`` indexes (:mod:`scalelab.sim.geo`).
    """

    arrival: np.ndarray
    demand: np.ndarray
    duration: float
    keys: np.ndarray | None = None
    start: float = 0.0
    kind: np.ndarray | None = None
    session: np.ndarray | None = None
    place: np.ndarray | None = None
    places: tuple[Place, ...] = ()

    def __post_init__(self) -> None:
        if len(self.arrival) != len(self.demand):
            raise ValueError(
                f"a workload needs one demand per arrival, got {len(self.arrival)} arrivals "
                f"and {len(self.demand)} demands"
            )
        if len(self.arrival) > 1 and np.any(np.diff(self.arrival) < 0):
            raise ValueError("arrival times must be sorted, earliest first")
        for name in ("keys", "kind", "session", "place"):
            column = getattr(self, name)
            if column is not None and len(column) != len(self.arrival):
                raise ValueError(
                    f"a workload needs one {name} value per arrival, got {len(column)} for "
                    f"{len(self.arrival)} arrivals"
                )
        if self.kind is not None and len(self.kind) and not np.isin(self.kind, (READ, WRITE)).all():
            raise ValueError("kind must hold only READ (0) and WRITE (1)")
        positive("duration", self.duration)
        at_least_zero("start", self.start, "a number of seconds")
        if not isinstance(self.places, tuple) or not all(isinstance(p, Place) for p in self.places):
            raise TypeError(f"places must be a tuple of Place, got {self.places!r}")
        if (
            self.place is not None
            and len(self.place)
            and (
                self.place.dtype.kind not in "iu"
                or self.place.min() < 0
                or self.place.max() >= len(self.places)
            )
        ):
            raise ValueError(
                f"place must hold indexes into places (0 to {len(self.places) - 1}), "
                f"got values from {self.place.min()} to {self.place.max()}"
            )

    def __len__(self) -> int:
        return len(self.arrival)

    @property
    def rate(self) -> float:
        """Mean arrival rate in requests per second."""
        return len(self.arrival) / self.duration

    @property
    def writes(self) -> np.ndarray:
        """Mask of the requests that write (all False when the workload has no kinds)."""
        if self.kind is None:
            return np.zeros(len(self.arrival), dtype=bool)
        return self.kind == WRITE

    def slice(self, lo: int, hi: int, start: float, duration: float) -> Workload:
        """Requests ``lo`` to ``hi`` (by position), observed over ``[start, start + duration)``."""
        return self.rows(slice(lo, hi), start=float(start), duration=float(duration))

    def rows(self, which: slice | np.ndarray, **changes: object) -> Workload:
        """The requests at positions ``which``, every column cut alike, with ``changes`` applied."""
        columns = {
            name: None if getattr(self, name) is None else getattr(self, name)[which]
            for name in ("arrival", "demand", "keys", "kind", "session", "place")
        }
        return replace(self, **(columns | changes))


def _demands(n: int, cpu_time: float, distribution: str, rng: np.random.Generator) -> np.ndarray:
    positive("cpu_time", cpu_time)
    if distribution == "exponential":
        return rng.exponential(cpu_time, n)
    if distribution == "deterministic":
        return np.full(n, float(cpu_time))
    raise ValueError(
        f"service distribution must be 'exponential' or 'deterministic', got {distribution!r}"
    )


#: More requests than this in one workload would not fit in memory comfortably.
MAX_REQUESTS = 200_000_000


def _poisson_times(rate: float, duration: float, rng: np.random.Generator) -> np.ndarray:
    if rate * duration > MAX_REQUESTS:
        raise ValueError(
            f"rate × duration asks for about {rate * duration:,.0f} requests; the most a workload "
            f"can hold is {MAX_REQUESTS:,}: lower the rate or the duration"
        )
    n = rng.poisson(rate * duration)
    return np.sort(rng.uniform(0.0, duration, n))


def poisson(
    rate: float,
    duration: float,
    cpu_time: float,
    rng: np.random.Generator,
    service: str = "exponential",
) -> Workload:
    """Requests arriving at random, independently, at a constant mean ``rate`` per second.

    Poisson arrivals are what many independent users produce: nobody coordinates with anybody else.

    Parameters
    ----------
    rate : float
        Mean arrivals per second (λ).
    duration : float
        Seconds of traffic to generate.
    cpu_time : float
        Mean CPU seconds per request (1/μ on a server of speed 1).
    rng : numpy.random.Generator
        The seeded source of randomness, e.g. ``np.random.default_rng(1)``.
    service : {"exponential", "deterministic"}
        Distribution of the CPU time per request.
    """
    positive("rate", rate)
    positive("duration", duration)
    arrival = _poisson_times(rate, duration, rng)
    return Workload(arrival, _demands(len(arrival), cpu_time, service, rng), float(duration))


def from_rate(
    rate: Callable[[np.ndarray], np.ndarray],
    peak: float,
    duration: float,
    cpu_time: float,
    rng: np.random.Generator,
    service: str = "exponential",
) -> Workload:
    """Poisson arrivals whose rate changes over time, by thinning (Lewis & Shedler, 1979).

    Candidates arrive at the ``peak`` rate; one at time t is kept with probability rate(t) / peak.
    """
    positive("peak", peak)
    positive("duration", duration)
    candidates = _poisson_times(peak, duration, rng)
    rates = rate(candidates)
    if len(rates) and rates.max() > peak * (1 + 1e-9):
        raise ValueError(
            f"the rate reaches {rates.max():g} requests/s, above peak={peak:g}: thinning needs "
            "peak to be the highest rate"
        )
    keep = rng.uniform(0.0, peak, len(candidates)) < rates
    arrival = candidates[keep]
    return Workload(arrival, _demands(len(arrival), cpu_time, service, rng), float(duration))


def diurnal(
    mean_rate: float,
    duration: float,
    cpu_time: float,
    rng: np.random.Generator,
    period: float = 86_400.0,
    peak_to_mean: float = 2.0,
) -> Workload:
    """Traffic that follows the day: quietest at midnight, busiest at midday.

    The rate is ``mean_rate * (1 − (peak_to_mean − 1) · cos(2πt / period))``: the trough is at t = 0,
    the peak half a period later, and the peak is ``peak_to_mean`` times the mean. Alex Xu's rule of
    thumb "peak ≈ 2 × average" is the default.
    """
    positive("mean_rate", mean_rate)
    if not 1.0 <= peak_to_mean <= 2.0:
        raise ValueError(f"peak_to_mean must be between 1 and 2, got {peak_to_mean}")
    amplitude = peak_to_mean - 1.0

    def rate(t: np.ndarray) -> np.ndarray:
        # Trough at t = 0 (midnight), peak half a period later.
        return mean_rate * (1.0 - amplitude * np.cos(2.0 * np.pi * t / period))

    return from_rate(rate, mean_rate * peak_to_mean, duration, cpu_time, rng)


def flash_crowd(
    base_rate: float,
    peak_rate: float,
    start: float,
    decay: float,
    duration: float,
    cpu_time: float,
    rng: np.random.Generator,
) -> Workload:
    """A steady stream, then a sudden crowd at ``start`` that fades with time constant ``decay`` seconds.

    This is what a link on a front page does: the rate jumps to ``peak_rate`` at once and decays back.
    """
    positive("base_rate", base_rate)
    positive("decay", decay)
    if peak_rate < base_rate:
        raise ValueError(f"peak_rate must be at least base_rate ({base_rate}), got {peak_rate}")

    def rate(t: np.ndarray) -> np.ndarray:
        extra = np.where(t >= start, np.exp(-np.clip(t - start, 0, None) / decay), 0.0)
        return base_rate + (peak_rate - base_rate) * extra

    return from_rate(rate, peak_rate, duration, cpu_time, rng)


def zipf_keys(n: int, n_keys: int, s: float, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` keys from 0..n_keys-1 with Zipf popularity: key k is asked for ∝ 1/(k+1)^s.

    With s near 1, a few keys get most requests; this is why a small cache can serve most reads.
    """
    positive("n_keys", n_keys)
    if s < 0:
        raise ValueError(f"Zipf exponent s must be 0 or more, got {s}")
    weights = 1.0 / np.arange(1, n_keys + 1) ** s
    cdf = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cdf, rng.uniform(0.0, 1.0, n)), n_keys - 1)


def with_keys(workload: Workload, n_keys: int, s: float, rng: np.random.Generator) -> Workload:
    """The same requests, each now asking for a Zipf-distributed key."""
    return replace(workload, keys=zipf_keys(len(workload), n_keys, s, rng))


def with_writes(workload: Workload, share: float, rng: np.random.Generator) -> Workload:
    """The same requests, each now a write with probability ``share`` and a read otherwise."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share of writes must be between 0 and 1, got {share!r}")
    kind = np.where(rng.uniform(0.0, 1.0, len(workload)) < share, WRITE, READ).astype(np.int8)
    return replace(workload, kind=kind)


def with_sessions(workload: Workload, n_sessions: int, rng: np.random.Generator) -> Workload:
    """The same requests, each now sent by one of ``n_sessions`` users, uniformly at random."""
    if isinstance(n_sessions, bool) or not isinstance(n_sessions, int) or n_sessions < 1:
        raise ValueError(f"n_sessions must be a positive integer, got {n_sessions!r}")
    return replace(workload, session=rng.integers(0, n_sessions, len(workload)))


def with_places(workload: Workload, shares: dict[str, float], rng: np.random.Generator) -> Workload:
    """The same requests, each now sent from a place drawn with the given ``shares``.

    ``shares`` maps a place (a name from :data:`scalelab.sim.geo.PLACES`, an AWS region code, or a
    :class:`~scalelab.sim.geo.Place`) to the share of users there; the shares must add up to 1, e.g.
    ``with_places(w, {"Seoul": 0.6, "Frankfurt": 0.3, "São Paulo": 0.1}, rng)``.
    """
    if not isinstance(shares, dict) or not shares:
        raise ValueError(f"shares must be a non-empty dict of place → share, got {shares!r}")
    table = tuple(place(p) for p in shares)
    if len({p.name for p in table}) != len(table):
        raise ValueError(f"shares names a place twice: {[p.name for p in table]}")
    weights = np.array(list(shares.values()), dtype=float)
    if np.any(~np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"each share must be 0 or more, got {list(shares.values())}")
    if abs(weights.sum() - 1.0) > 1e-9:
        raise ValueError(f"shares must add up to 1, got {weights.sum():g}")
    cdf = np.cumsum(weights)
    where = np.minimum(
        np.searchsorted(cdf, rng.uniform(0.0, 1.0, len(workload)), side="right"), len(table) - 1
    )
    return replace(workload, place=where.astype(np.int64), places=table)
