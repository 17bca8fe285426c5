"""Chapter 06's routers and promotion rule against simple rules, over many random tiers and request
streams, and the replication arithmetic of ``theory.replication``."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from scalelab.database import (
    MostUpToDate,
    ReadWriteSplit,
    ReplicaRouter,
    nodes,
    read,
    routes,
    stream,
    write,
)
from scalelab.theory import replication as theory


def stream_of(rng: np.random.Generator) -> list:
    return stream(rng, int(rng.integers(1, 61)))


def expected(pairs, max_lag: float, delay: float) -> list[int | None]:
    """The rules of chapter 06, written out plainly."""
    last_write: dict[int, float] = {}
    turn, picks = 0, []
    for request, views in pairs:
        primaries = [v.index for v in views if v.role == "primary" and v.healthy]
        primary = primaries[0] if primaries else None
        usable = [v.index for v in views if v.role == "replica" and v.healthy and v.lag <= max_lag]
        if request.is_write:
            if primary is not None and request.session is not None:
                last_write[request.session] = request.time
            picks.append(primary)
            continue
        recent = (
            request.session in last_write and request.time - last_write[request.session] < delay
        )
        if recent and primary is not None:
            picks.append(primary)
        elif usable:
            pick = next((i for i in usable if i >= turn), usable[0])
            turn = pick + 1
            picks.append(pick)
        else:
            picks.append(primary)
    return picks


@pytest.mark.parametrize(
    ("max_lag", "delay"), [(1.0, 2.0), (0.0, 0.0), (0.5, 0.25), (math.inf, 0.0), (2.0, 0.5)]
)
def test_replica_router_follows_the_rules_on_random_streams(max_lag: float, delay: float) -> None:
    rng = np.random.default_rng(6)
    for _ in range(300):
        pairs = stream_of(rng)
        router = ReplicaRouter(max_lag=max_lag, delay=delay)
        got = [router.route(r, v) for r, v in pairs]
        assert got == expected(pairs, max_lag, delay), pairs


def test_read_write_split_is_a_router_without_pins_or_lag_limit() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        pairs = stream_of(rng)
        split = ReadWriteSplit()
        got = [split.route(r, v) for r, v in pairs]
        assert got == expected(pairs, math.inf, 0.0)


def test_a_write_never_goes_to_a_replica_and_a_read_fails_only_when_no_node_can_serve() -> None:
    rng = np.random.default_rng(8)
    for _ in range(200):
        router = ReplicaRouter(max_lag=0.5, delay=1.0)
        for request, views in stream(rng, 40):
            pick = router.route(request, views)
            if request.is_write:
                assert pick is None or views[pick].role == "primary"
            primary_up = any(v.healthy and v.role == "primary" for v in views)
            servable = primary_up or any(v.healthy and v.lag <= 0.5 for v in views)
            assert (pick is None) == (not primary_up if request.is_write else not servable)
            if pick is not None:
                assert views[pick].healthy


def test_read_your_writes_pins_only_the_writer_and_only_for_delay_seconds() -> None:
    router = ReplicaRouter(max_lag=1.0, delay=2.0)
    tier = nodes([0, 0.1, 0.1])
    picks = routes(
        router,
        [
            write(10.0, 1),
            read(10.5, 1),
            read(10.5, 2),
            read(11.999, 1),
            read(12.0, 1),
            read(12.0, 1),
        ],
        tier,
    )
    assert picks == [0, 0, 1, 0, 2, 1]


def test_a_replica_lagging_past_the_limit_gets_no_reads_until_it_catches_up() -> None:
    router = ReplicaRouter(max_lag=1.0, delay=2.0)
    assert routes(router, [read(0)] * 4, nodes([0, 1.0, 30.0])) == [1, 1, 1, 1]
    assert routes(router, [read(1)] * 2, nodes([0, 1.0, 1.0])) == [2, 1]
    assert routes(router, [read(2)], nodes([0, 1.01, 1.01])) == [0]  # fall back to the primary


def test_with_no_primary_writes_fail_and_pinned_reads_use_a_replica() -> None:
    router = ReplicaRouter(max_lag=1.0, delay=2.0)
    assert routes(router, [write(0, 1), read(0.1, 1)], nodes([0, 0, 0])) == [0, 0]
    dead = nodes([0, 0, 0], healthy=[False, True, True])
    assert routes(router, [write(0.2, 1), read(0.3, 1)], dead) == [None, 1]
    assert routes(router, [read(0.4)], nodes([0, 0], healthy=[False, False])) == [None]
    assert routes(router, [read(0.5)], nodes([0, 0, 0], primary=None)) == [2]


def test_a_router_keeps_its_pins_per_object_and_forgets_them_on_reset() -> None:
    a, b = ReplicaRouter(delay=5), ReplicaRouter(delay=5)
    tier = nodes([0, 0])
    routes(a, [write(0, 7)], tier)
    assert routes(b, [read(1, 7)], tier) == [1]
    assert routes(a, [read(1, 7)], tier) == [0]
    a.reset(2, np.random.default_rng(0))
    assert routes(a, [read(1, 7)], tier) == [1]


@pytest.mark.parametrize("bad", [-1, "2", None, math.nan, True])
def test_router_settings_must_be_seconds(bad: object) -> None:
    with pytest.raises(ValueError, match="must be a number of seconds"):
        ReplicaRouter(max_lag=bad)
    with pytest.raises(ValueError, match="delay must be"):
        ReplicaRouter(delay=bad)


def test_promotion_picks_the_live_replica_with_the_most_writes_applied() -> None:
    rule = MostUpToDate()
    replicas = nodes([0.3, 0.1, 0.2], applied=[100, 140, 120], primary=None)
    assert rule.choose(replicas) == 1
    replicas[1].healthy = False
    assert rule.choose(replicas) == 2
    assert rule.choose(nodes([0, 0], healthy=[False, False], primary=None)) is None
    assert rule.choose([]) is None


def test_promotion_against_the_rule_on_random_replica_sets() -> None:
    rng = random.Random(9)
    rule = MostUpToDate()
    for _ in range(2000):
        n = rng.randint(0, 6)
        views = nodes(
            [0.0] * n,
            [rng.random() < 0.7 for _ in range(n)],
            [rng.choice([0, 5, 10, 11]) for _ in range(n)],
            primary=None,
        )
        rng.shuffle(views)
        live = [v for v in views if v.healthy]
        want = min(live, key=lambda v: (-v.applied, v.index)).index if live else None
        assert rule.choose(views) == want


def test_fixture_nodes_says_what_it_expected() -> None:
    with pytest.raises(ValueError, match="one value per node: 2 lags, 3 healthy"):
        nodes([0, 0], healthy=[True] * 3)
    views = nodes([0.5, 0.2], applied=[3, 2])
    assert [(v.role, v.lag, v.applied) for v in views] == [("primary", 0.0, 3), ("replica", 0.2, 2)]


# --- theory.replication --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "mean", "p"),
    [(0.010, 0.1, 0.905), (0.1, 0.1, 0.368), (0.24, 0.1, 0.091), (0.24, 1.0, 0.787), (0, 1, 1.0)],
)
def test_stale_probability_matches_the_chapter_numbers(after: float, mean: float, p: float) -> None:
    assert theory.stale_probability(after, mean) == pytest.approx(p, abs=5e-4)


def test_stale_probability_matches_exponential_lags_drawn_at_random() -> None:
    lags = np.random.default_rng(1).exponential(0.3, 200_000)
    for after in (0.05, 0.3, 1.0):
        assert np.mean(lags > after) == pytest.approx(
            theory.stale_probability(after, 0.3), abs=0.005
        )


def test_replicas_needed_scales_reads_not_writes() -> None:
    assert theory.replicas_needed(9000, 1000, 2000) == 9
    assert theory.replicas_needed(18000, 1900, 2000) == 180
    assert theory.replicas_needed(9001, 1000, 2000) == 10
    assert theory.replicas_needed(0, 1000, 2000) == 0
    with pytest.raises(
        ValueError, match="write_rate must be below a node's capacity 2000/s, got 2000/s"
    ):
        theory.replicas_needed(18000, 2000, 2000)


def test_utilisation_splits_reads_over_replicas_and_copies_writes_to_each() -> None:
    np.testing.assert_allclose(
        theory.utilisation(900, 100, 3, 0.001, 0.002, 0.001), [0.2, 0.4, 0.4, 0.4]
    )
    np.testing.assert_allclose(theory.utilisation(900, 100, 0, 0.001, 0.002, 0.001), [1.1])
    with pytest.raises(ValueError, match="replicas must be a whole number"):
        theory.utilisation(900, 100, -1, 0.001, 0.002, 0.001)
    with pytest.raises(ValueError, match="apply_time must be a number of seconds"):
        theory.utilisation(900, 100, 1, 0.001, 0.002, -1)


# --- failover in the engine ----------------------------------------------------------------


def test_failover_loses_the_writes_the_promoted_replica_had_not_applied_at_the_crash() -> None:
    """Lost writes depend on when the primary crashed, not on when it comes back."""
    from scalelab.balancer import HealthCheck
    from scalelab.sim import Outage, Replication, Server, Tier, Topology, poisson, with_writes

    rng = np.random.default_rng(3)
    traffic = with_writes(poisson(200, 40, 0.002, rng), 0.2, rng)
    lost = []
    for end in (32.0, 39.0):  # detected after about 6 s, promoted 2 s later
        tier = Tier(
            "db",
            [Server(name="primary"), Server(name="replica-1")],
            router=ReadWriteSplit(),
            replication=Replication(mean_lag=1.0, promote=MostUpToDate(), failover_after=2.0),
        )
        topology = Topology(
            [tier], outages={"db": [Outage(0, 20.0, end)]}, health_checks={"db": HealthCheck()}
        )
        lost.append(topology.run(traffic, rng=np.random.default_rng(4)).lost_writes)
    # About 40 writes/s × 1 s of lag were committed on the primary and not yet on the replica.
    assert lost[0] == lost[1] and 10 < lost[0] < 200, lost


def test_replicated_db_promotes_with_the_rule_it_is_given() -> None:
    """The chapter's tier takes the learner's promotion rule (exercise 06) in place of MostUpToDate."""
    from scalelab.database import FailureDetector
    from scalelab.database.panel import DB_TIME, replicated_db
    from scalelab.sim import Outage, Promotion, Topology, poisson, with_writes

    class Never(Promotion):
        def __init__(self) -> None:
            self.asked: list[list[int]] = []

        def choose(self, replicas):  # noqa: ANN001, ANN201
            self.asked.append([r.index for r in replicas])
            return None

    rng = np.random.default_rng(5)
    traffic = with_writes(poisson(100, 20, DB_TIME, rng), 0.2, rng)
    failed = {}
    never = Never()
    for label, rule in (("default", None), ("never", never)):
        topology = Topology(
            [replicated_db(2, 0.1, ReadWriteSplit(), promote=rule)],
            outages={"db": [Outage(0, 5.0, 100.0)]},
            health_checks={"db": FailureDetector(1.0)},
        )
        result = topology.run(traffic, rng=np.random.default_rng(5))
        failed[label] = int((traffic.writes & ~result.ok).sum())
    assert never.asked == [[1, 2]], never.asked
    # promoted, writes resume a couple of seconds after the crash; never promoted, they fail to the end
    assert failed["default"] < failed["never"] / 3, failed
    with pytest.raises(
        ValueError, match="promote must be a Promotion .* got the class MostUpToDate"
    ):
        replicated_db(2, 0.1, ReadWriteSplit(), promote=MostUpToDate)
    with pytest.raises(ValueError, match="got 'most'"):
        replicated_db(2, 0.1, ReadWriteSplit(), promote="most")


def test_the_split_s_fast_path_routes_as_route_does():
    """ReadWriteSplit.route_many (arrays) against route (one at a time), health standing still."""
    import numpy as np

    from scalelab.sim import RequestView, ServerView

    g = np.random.default_rng(3)
    for _ in range(200):
        n = int(g.integers(1, 6))
        views = [
            ServerView(
                i, f"n{i}", role="primary" if i == 0 else "replica", healthy=bool(g.uniform() < 0.8)
            )
            for i in range(n)
        ]
        kinds = (g.uniform(size=int(g.integers(0, 30))) < 0.3).astype(np.int8)
        fast, slow = ReadWriteSplit(), ReadWriteSplit()
        start = int(g.integers(0, 6))
        fast._next = slow._next = start
        got = fast.route_many(np.zeros(len(kinds)), None, kinds, None, views)
        expected = [
            slow.route(RequestView(k, 0.0, kind=int(c)), views) for k, c in enumerate(kinds)
        ]
        assert got.tolist() == [-1 if e is None else e for e in expected]
        assert fast._next % n == slow._next % n or not len(kinds)


def test_a_subclass_of_the_split_is_routed_one_request_at_a_time():
    assert ReadWriteSplit().route_many is not None
    assert ReplicaRouter(max_lag=1.0, delay=2.0).route_many is None
