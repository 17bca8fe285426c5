"""Benchmark: geography's cost. The same 10⁶ requests with and without places.

Models: (1) Poisson → round robin over 4 servers (bench.py's first model); with places, users in three
regions and the servers split between Seoul and N. Virginia. (2) bench/three_tier.py's path; with
places, users in three regions, the web tier in Seoul (cache and database beside it: no place). Prints
the best of three runs each; asserts nothing about speed (machines differ), only that the network time
is what the model says.
"""

from __future__ import annotations

import numpy as np
import three_tier
from compare import best_of

import scalelab
from scalelab.sim import Server, Tier, Topology, geo, poisson, with_places

USERS = {"Seoul": 0.5, "Tokyo": 0.3, "Frankfurt": 0.2}


def report() -> None:
    """Print the time of 10⁶ requests without and with geography, for both models."""
    rng = np.random.default_rng(1)
    plain = poisson(0.8 * 4 / 0.01, 1_000_000 / 320, 0.01, rng)
    placed = with_places(plain, USERS, np.random.default_rng(2))
    cities = ["Seoul", "Seoul", "N. Virginia", "N. Virginia"]
    off = Topology([Tier("web", scalelab.pool(4), scalelab.RoundRobin())])
    on = Topology(
        [
            Tier(
                "web",
                [Server(name=f"web-{j}", place=c) for j, c in enumerate(cities)],
                scalelab.RoundRobin(),
                round_trips=geo.NEW_TLS13,
            )
        ]
    )
    off_s, _ = best_of(3, lambda: off.run(plain, rng=np.random.default_rng(3)))
    on_s, run = best_of(3, lambda: on.run(placed, rng=np.random.default_rng(3)))
    assert np.all(run.network[run.ok] >= 3 * geo.MODEL.same_place)
    print(
        "model: Poisson → round robin → 4 servers (Seoul ×2, N. Virginia ×2), new TLS 1.3 connections"
    )
    print(
        f"geography: {len(plain):,} requests without places in {off_s * 1000:,.0f} ms, "
        f"with places in {on_s * 1000:,.0f} ms ({on_s / off_s:.2f}×)"
    )
    big = three_tier.workload(1_000_000)
    big_placed = with_places(big, USERS, np.random.default_rng(2))
    path = three_tier.topology(big)
    tiers = list(path.tiers)
    web = tiers[0]
    seoul = [Server(name=s.name, place="Seoul") for s in web.servers]
    placed_path = Topology([Tier("web", seoul, scalelab.RoundRobin()), *tiers[1:]])
    off_s, _ = best_of(3, lambda: path.run(big, rng=np.random.default_rng(three_tier.SEED)))
    on_s, run = best_of(
        3, lambda: placed_path.run(big_placed, rng=np.random.default_rng(three_tier.SEED))
    )
    seoul_users = big_placed.place == 0
    assert np.allclose(run.network[run.ok & seoul_users], geo.MODEL.same_place)
    print("model: three tiers (bench/three_tier.py), web in Seoul, users in Seoul/Tokyo/Frankfurt")
    print(
        f"geography: {len(big):,} requests without places in {off_s * 1000:,.0f} ms, "
        f"with places in {on_s * 1000:,.0f} ms ({on_s / off_s:.2f}×)"
    )


if __name__ == "__main__":
    report()
