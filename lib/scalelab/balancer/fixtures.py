"""Test fixtures for balancers: a pool as a balancer sees it, and what a balancer picks from it.

Chapter 05's exercise and its tests call these to try a strategy without running the simulator.
"""

from __future__ import annotations

from collections.abc import Sequence

from scalelab.check import time_limit
from scalelab.sim.route import Balancer, ServerView


def views(healthy: Sequence[bool], weights: Sequence[int] | None = None) -> list[ServerView]:
    """Server views for a pool where server i is up when ``healthy[i]`` is True (weights default 1)."""
    weights = [1] * len(healthy) if weights is None else list(weights)
    if len(weights) != len(healthy):
        raise ValueError(
            f"need one weight per server: {len(healthy)} servers, {len(weights)} weights"
        )
    return [
        ServerView(i, f"web-{i + 1}", weight=w, healthy=bool(h))
        for i, (h, w) in enumerate(zip(healthy, weights, strict=True))
    ]


def picks(
    balancer: Balancer,
    healthy: Sequence[bool],
    count: int,
    weights: Sequence[int] | None = None,
    seconds: float = 2.0,
) -> list[int | None]:
    """What ``balancer.choose`` returns for ``count`` requests in a row, with the pool as given.

    The balancer carries on from wherever it is: ``picks`` does not call ``reset``. If the calls take
    longer than ``seconds`` in all, it stops them with an ``AssertionError`` that says so (a loop
    that never ends, such as searching for a healthy server when there is none).
    """
    pool = views(healthy, weights)
    up = sum(map(bool, healthy))
    message = (
        f"{count} picks with {up} of {len(pool)} servers up: expected them within {seconds:g} s, "
        "got no answer (choose() was still running)"
    )
    with time_limit(seconds, message):
        return [balancer.choose(pool) for _ in range(count)]
