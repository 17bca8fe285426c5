"""A server: a few workers in front of one FIFO queue, the station every tier is built of.

A server with ``workers`` workers runs that many requests at once; the rest wait in line, first come
first served. Its capacity is ``workers * speed / cpu_time`` requests per second. Past capacity the line
grows without bound, unless ``queue_limit`` caps it: then the excess is refused at once (an HTTP 503),
which is what Nginx's ``limit_conn`` or a full accept backlog does. A faster machine (scale up) has a
higher ``speed``; more machines (scale out) need a load balancer in front of them.

This module holds what a server *is*; how a request waits in its line, is served or is lost is the
engine's ``_Queue.admit`` and ``_lindley`` in :mod:`scalelab.sim.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scalelab.sim.geo import Place, place
from scalelab.validate import positive, positive_int


@dataclass(frozen=True)
class Server:
    """What one server can do.

    Parameters
    ----------
    workers : int
        Requests served at the same time (CPU cores, worker processes).
    speed : float
        How fast each worker is, relative to the reference machine: service time = demand / speed.
    queue_limit : int or None
        Most requests allowed to wait; one more is refused. ``None`` means the line can grow forever.
    weight : int
        The share of traffic a weighted balancer should send here (a bigger box gets a bigger weight).
    name : str
        The label on diagrams and plots.
    place : Place, str or None
        Where the server is (a name from :data:`scalelab.sim.geo.PLACES`, an AWS region code, or a
        :class:`~scalelab.sim.geo.Place`; kept as a Place). ``None`` means no place: it adds no
        distance, as if it sat beside whatever sends it requests.
    """

    workers: int = 1
    speed: float = 1.0
    queue_limit: int | None = None
    weight: int = 1
    name: str = "server"
    place: Place | None = None

    def __post_init__(self) -> None:
        if self.place is not None:
            object.__setattr__(self, "place", place(self.place))
        positive_int("workers", self.workers)
        positive("speed", self.speed)
        positive_int("weight", self.weight)
        if self.queue_limit is not None and (
            isinstance(self.queue_limit, bool)
            or not isinstance(self.queue_limit, int)
            or self.queue_limit < 0
        ):
            raise ValueError(
                f"queue_limit must be None or an integer of 0 or more, got {self.queue_limit!r}"
            )

    def capacity(self, cpu_time: float) -> float:
        """Requests per second this server completes when it is never idle."""
        positive("cpu_time", cpu_time)
        return self.workers * self.speed / cpu_time


def pool(n: int, **kwargs: object) -> list[Server]:
    """``n`` identical servers named web-1 … web-n."""
    positive_int("number of servers", n)
    return [Server(name=f"web-{i + 1}", **kwargs) for i in range(n)]  # type: ignore[arg-type]
