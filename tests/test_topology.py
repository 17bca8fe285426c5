"""Tiers that chain: the multi-tier engine against queueing theory, arithmetic and itself.

Each test has a case that fails when the model is wrong: tandem queues against Burke's theorem, a
replicated tier's utilisation against the arithmetic of reads and applies, stale reads against the
exponential lag, the array path against the one-request-at-a-time path, and a failover against what
the promoted replica had applied.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from scalelab.sim import (
    OK,
    READ,
    READ_ONLY,
    REFUSED,
    WRITE,
    Balancer,
    Outage,
    Promotion,
    Replication,
    Server,
    Stage,
    Tier,
    Topology,
    Workload,
    poisson,
    pool,
    with_keys,
    with_sessions,
    with_writes,
)
from scalelab.sim.result import PathResult

rng = np.random.default_rng


class SplitByKind(Balancer):
    """Writes to node 0, reads round robin over the others (the one-at-a-time way)."""

    def reset(self, n_servers, rng):
        self.turn = 0

    def route(self, request, servers):
        if request.is_write:
            return next(s.index for s in servers if s.role == "primary")
        replicas = [s.index for s in servers if s.role == "replica" and s.healthy]
        if not replicas:
            return next(s.index for s in servers if s.role == "primary")
        self.turn += 1
        return replicas[(self.turn - 1) % len(replicas)]


class SplitByKindFast(SplitByKind):
    """The same choices, made in arrays (the engine's fast path)."""

    def route_many(self, times, keys, kinds, sessions, servers):
        out = np.zeros(len(kinds), dtype=np.int64)
        reads = np.flatnonzero(kinds != WRITE)
        out[reads] = 1 + (np.arange(len(reads)) + self.turn) % (len(servers) - 1)
        self.turn += len(reads)
        return out


class MostApplied(Promotion):
    def choose(self, replicas):
        live = [r for r in replicas if r.healthy]
        return max(live, key=lambda r: (r.applied, -r.index)).index if live else None


class LeastApplied(Promotion):
    def choose(self, replicas):
        live = [r for r in replicas if r.healthy]
        return min(live, key=lambda r: (r.applied, r.index)).index if live else None


def database(replicas: int, router: Balancer, **replication) -> Tier:
    nodes = [Server(name="primary")] + [Server(name=f"replica-{i + 1}") for i in range(replicas)]
    return Tier("db", nodes, router, cpu_time=0.002, replication=Replication(**replication))


def data_workload(rate, duration, writes, seed, n_keys=50, sessions=20):
    w = poisson(rate, duration, 0.001, rng(seed))
    w = with_keys(w, n_keys, 1.0, rng(seed + 1))
    w = with_writes(w, writes, rng(seed + 2))
    return with_sessions(w, sessions, rng(seed + 3))


# -- queueing theory -------------------------------------------------------------------------------


def test_tandem_mm1_queues_add_up_as_burke_says():
    """Poisson into two M/M/1 in series: each is an M/M/1 at the same rate (Burke, 1956)."""
    lam, s1, s2 = 50.0, 0.01, 0.0125
    w = poisson(lam, 21_000, s1, rng(11))
    assert len(w) >= 1_000_000
    path = Topology([Tier("web", [Server()]), Tier("db", [Server()], cpu_time=s2)])
    result = path.run(w, rng=rng(12))
    expected = 1 / (1 / s1 - lam) + 1 / (1 / s2 - lam)
    assert result.mean_latency() == pytest.approx(expected, rel=0.02)
    # And each tier on its own is the M/M/1 it should be.
    assert result.tier("db").mean_latency() == pytest.approx(1 / (1 / s2 - lam), rel=0.02)


def test_a_second_tier_is_not_free():
    """If the engine dropped the second tier's wait, the mean would be the first tier's alone."""
    w = poisson(50, 2_000, 0.01, rng(3))
    one = Topology([Tier("web", [Server()])]).run(w, rng=rng(4))
    two = Topology([Tier("web", [Server()]), Tier("db", [Server()], cpu_time=0.0125)]).run(
        w, rng=rng(4)
    )
    assert two.mean_latency() > one.mean_latency() + 0.02


# -- replication: utilisation, staleness --------------------------------------------------------


@pytest.mark.parametrize("replicas", [1, 2, 4])
def test_each_nodes_utilisation_is_the_arithmetic_of_reads_and_applies(replicas):
    lam, writes, s = 200.0, 0.1, 0.002
    w = with_writes(poisson(lam, 600, 0.001, rng(5)), writes, rng(6))
    tier = database(replicas, SplitByKindFast(), mean_lag=0.01)
    result = Topology([tier]).run(w, rng=rng(7))
    busy = result.utilisation("db")
    write_load = lam * writes * s
    read_load = lam * (1 - writes) * s / replicas
    assert busy[0] == pytest.approx(write_load, rel=0.02)
    for b in busy[1:]:
        assert b == pytest.approx(read_load + write_load, rel=0.02)  # replicas apply every write


def test_applies_can_be_free():
    w = with_writes(poisson(200, 300, 0.001, rng(5)), 0.1, rng(6))
    tier = database(2, SplitByKindFast(), mean_lag=0.01, apply_cost=0.0)
    busy = Topology([tier]).run(w, rng=rng(7)).utilisation("db")
    assert busy[1] == pytest.approx(200 * 0.9 * 0.002 / 2, rel=0.03)


def pair(w: Workload, mean_lag: float, apply_cost: float = 0.0) -> Tier:
    """A primary and one replica; writes to the primary, reads to the replica; each request's work
    is the workload's own."""
    return Tier(
        "db",
        [Server(name="primary"), Server(name="replica")],
        SplitByKindFast(),
        cpu_time=w.demand,
        replication=Replication(mean_lag=mean_lag, apply_cost=apply_cost),
    )


def write_then_read(lag_after: float, mean_lag: float, pairs: int = 20_000) -> Workload:
    """Each key written once, then read ``lag_after`` seconds after the write committed."""
    gap = 20 * mean_lag + lag_after
    t_write = np.arange(pairs) * gap
    tiny = 1e-9
    arrival = np.concatenate([t_write, t_write + tiny + lag_after])
    kind = np.concatenate([np.full(pairs, WRITE), np.full(pairs, READ)]).astype(np.int8)
    keys = np.concatenate([np.arange(pairs), np.arange(pairs)])
    order = np.argsort(arrival, kind="stable")
    return Workload(
        arrival[order],
        np.full(2 * pairs, tiny),
        float(pairs * gap),
        keys=keys[order],
        kind=kind[order],
    )


@pytest.mark.parametrize(("after", "mean_lag"), [(0.01, 0.1), (0.1, 0.1), (0.24, 0.1), (0.24, 1.0)])
def test_a_read_at_a_fixed_time_after_a_write_is_stale_with_probability_exp(after, mean_lag):
    """Lag ~ Exp(mean): a read t after the commit is stale with probability e^(−t/mean)."""
    w = write_then_read(after, mean_lag)
    tier = pair(w, mean_lag, 0.0)
    result = Topology([tier]).run(w, rng=rng(8))
    assert result.stale_share() == pytest.approx(math.exp(-after / mean_lag), abs=0.02)


def test_reads_on_the_primary_are_never_stale():
    w = data_workload(300, 60, 0.3, seed=21)

    class PrimaryOnly(Balancer):
        def choose(self, servers):
            return 0

    result = Topology([database(2, PrimaryOnly(), mean_lag=1.0)]).run(w, rng=rng(1))
    assert result.stale_share() == 0.0
    lagging = Topology([database(2, SplitByKindFast(), mean_lag=1.0)]).run(w, rng=rng(1))
    assert lagging.stale_share() > 0.05


def test_a_write_sent_to_a_replica_is_refused():
    class Everywhere(Balancer):
        def reset(self, n, rng):
            self.turn = -1

        def choose(self, servers):
            self.turn += 1
            return self.turn % len(servers)

    w = data_workload(100, 20, 0.5, seed=4)
    result = Topology([database(2, Everywhere())]).run(w, rng=rng(1))
    wrong = w.writes & (result.node[0] > 0)
    assert wrong.any()
    assert (result.status[wrong] == READ_ONLY).all()
    assert (result.status[w.writes & (result.node[0] == 0)] == OK).all()


# -- two ways to the same numbers -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_the_array_path_and_the_request_path_agree(seed):
    g = rng(seed)
    replicas = int(g.integers(1, 4))
    workers = int(g.integers(1, 3))
    w = data_workload(float(g.uniform(100, 600)), 20, float(g.uniform(0, 0.4)), seed=seed)
    nodes = [Server(workers=workers, name="primary")] + [
        Server(workers=workers, speed=float(g.uniform(0.5, 2)), name=f"r{i}")
        for i in range(replicas)
    ]
    mean_lag = float(g.uniform(0.001, 0.5))
    results = []
    for router in (SplitByKindFast(), SplitByKind()):
        tier = Tier("db", nodes, router, cpu_time=0.001, replication=Replication(mean_lag=mean_lag))
        results.append(Topology([tier]).run(w, rng=rng(seed)))
    fast, slow = results
    np.testing.assert_array_equal(fast.node, slow.node)
    np.testing.assert_array_equal(fast.status, slow.status)
    np.testing.assert_allclose(fast.tier_departure, slow.tier_departure, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.tier_start, slow.tier_start, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.stale, slow.stale)
    np.testing.assert_allclose(fast.utilisation("db"), slow.utilisation("db"), atol=1e-9)


def test_same_seed_same_numbers_in_another_process():
    code = (
        "import numpy as np, hashlib\n"
        "from tests.test_topology import data_workload, database, SplitByKind\n"
        "from scalelab.sim import Topology\n"
        "w = data_workload(300, 30, 0.2, seed=9)\n"
        "r = Topology([database(2, SplitByKind(), mean_lag=0.3)]).run(w, rng=np.random.default_rng(3))\n"
        "h = hashlib.sha256()\n"
        "for a in (r.node, r.status, r.tier_departure, r.stale): h.update(a.tobytes())\n"
        "print(h.hexdigest())\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout != ""
    w = data_workload(300, 30, 0.2, seed=9)
    here = Topology([database(2, SplitByKind(), mean_lag=0.3)]).run(w, rng=rng(3))
    other = Topology([database(2, SplitByKind(), mean_lag=0.3)]).run(w, rng=rng(4))
    assert not np.array_equal(here.stale, other.stale)  # the seed does matter


# -- failover ----------------------------------------------------------------------------------------


def failover_run(rule: Promotion | None, mean_lag: float = 0.5, seed: int = 2) -> PathResult:
    w = data_workload(400, 40, 0.2, seed=seed)
    tier = database(3, SplitByKind(), mean_lag=mean_lag, promote=rule, failover_after=5.0)
    topology = Topology([tier], outages={"db": [Outage(0, 10.0)]})
    return topology.run(w, rng=rng(seed))


def test_writes_fail_until_a_replica_is_promoted_then_go_to_it():
    result = failover_run(MostApplied())
    w = result.workload
    t = w.arrival
    during = w.writes & (t >= 10.0) & (t < 15.0)
    after = w.writes & (t >= 15.0)
    assert (result.status[during] == REFUSED).all()
    assert (result.status[after] == OK).all()
    promoted = set(result.node[0, after].tolist())
    assert len(promoted) == 1 and promoted != {0}
    reads_after = ~w.writes & (t >= 15.0)
    assert (result.status[reads_after] == OK).all()


def test_without_a_promotion_rule_writes_fail_for_good():
    result = failover_run(None)
    late_writes = result.workload.writes & (result.workload.arrival >= 10.0)
    assert (result.status[late_writes] != OK).all()
    assert result.lost_writes == 0


def test_promoting_the_least_up_to_date_replica_loses_more_writes():
    best = [failover_run(MostApplied(), seed=s).lost_writes for s in range(4)]
    worst = [failover_run(LeastApplied(), seed=s).lost_writes for s in range(4)]
    assert sum(best) < sum(worst)
    assert failover_run(MostApplied(), mean_lag=1e-6).lost_writes == 0


def test_the_router_sees_lag_and_applied_positions():
    seen = []

    class Watch(SplitByKind):
        def route(self, request, servers):
            seen.append([(s.role, s.applied, s.lag) for s in servers])
            return super().route(request, servers)

    w = data_workload(300, 20, 0.3, seed=6)
    Topology([database(2, Watch(), mean_lag=0.5)]).run(w, rng=rng(1))
    primary_applied = [v[0][1] for v in seen]
    assert primary_applied == sorted(primary_applied) and primary_applied[-1] > 100
    assert max(v[1][2] for v in seen) > 0.3  # a replica falls behind by about the mean lag
    assert all(v[0][2] == 0 and v[1][1] <= v[0][1] for v in seen)


# -- stages: a cache answers, a dead cache falls through -------------------------------------------


class EvenKeysHit(Stage):
    def visit(self, node, request):
        return request.key % 2 == 0


class _RoundRobin(Balancer):
    def reset(self, n, rng):
        self.turn = -1

    def choose(self, servers):
        self.turn += 1
        return self.turn % len(servers)


def cached_path(stage: Stage, outages=()):
    return Topology(
        [
            Tier("web", pool(2), _RoundRobin()),
            Tier(
                "cache", [Server(name="cache")], cpu_time=0.0005, stage=stage, bypass_when_down=True
            ),
            Tier("db", [Server(name="db")], cpu_time=0.004),
        ],
        outages={"cache": list(outages)},
    )


def test_a_stage_answers_hits_and_sends_misses_on():
    w = with_keys(poisson(100, 60, 0.002, rng(1)), 100, 0.0, rng(2))
    result = cached_path(EvenKeysHit()).run(w, rng=rng(3))
    even = w.keys % 2 == 0
    assert (result.answered_by[even] == 1).all() and (result.answered_by[~even] == 2).all()
    assert result.hit_ratio("cache") == pytest.approx(even.mean())
    assert np.isnan(result.tier_arrival[2, even]).all()
    assert result.latency[~even].mean() > result.latency[even].mean() + 0.003  # the db's 4 ms


def test_a_dead_cache_sends_everything_to_the_database():
    w = with_keys(poisson(100, 60, 0.002, rng(1)), 100, 0.0, rng(2))
    result = cached_path(EvenKeysHit(), outages=[Outage(0, 20.0, 40.0)]).run(w, rng=rng(3))
    down = (result.tier_arrival[1] >= 20.0) & (result.tier_arrival[1] < 40.0)
    assert (result.status == OK).all()
    assert (result.answered_by[down] == 2).all()
    assert result.tier("db").requests_per_server()[0] > 0.5 * len(w)


def test_a_stage_must_say_true_or_false():
    class Maybe(Stage):
        def visit(self, node, request):
            return "yes"

    w = with_keys(poisson(50, 2, 0.002, rng(1)), 10, 0.0, rng(2))
    with pytest.raises(ValueError, match="must return True"):
        cached_path(Maybe()).run(w, rng=rng(3))


# -- describing a path: clear errors -----------------------------------------------------------------


def test_mistakes_in_a_description_are_explained():
    with pytest.raises(ValueError, match="needs a router"):
        Tier("web", pool(2))
    with pytest.raises(ValueError, match="needs a cpu_time"):
        Topology([Tier("web", [Server()]), Tier("db", [Server()])])
    with pytest.raises(ValueError, match="tier names must differ"):
        Topology([Tier("a", [Server()]), Tier("a", [Server()], cpu_time=0.1)])
    with pytest.raises(ValueError, match="names tier 'dbx'"):
        Topology([Tier("db", [Server()])], outages={"dbx": [Outage(0, 1.0)]})
    with pytest.raises(ValueError, match="server 3 of tier 'db'"):
        Topology([Tier("db", [Server()])], outages={"db": [Outage(3, 1.0)]})
    with pytest.raises(ValueError, match="mean_lag"):
        Replication(mean_lag=-1)
    with pytest.raises(TypeError, match="Promotion"):
        Replication(promote=object())
    with pytest.raises(KeyError, match="no tier 'x'"):
        Topology([Tier("db", [Server()])]).tier_index("x")


def test_a_promotion_rule_must_name_a_replica():
    class Bad(Promotion):
        def choose(self, replicas):
            return 0  # the dead primary

    with pytest.raises(ValueError, match="index of a replica"):
        failover_run(Bad())


def test_a_read_sees_the_data_when_it_is_served_not_when_it_arrives():
    """A read queued behind a backlog is served after the write's apply (FIFO): not stale."""
    backlog = 100
    arrival = np.concatenate([np.zeros(backlog), [0.001, 0.5]])
    kind = np.array([READ] * backlog + [WRITE, READ], dtype=np.int8)
    keys = np.array([999] * backlog + [5, 5])
    demand = np.concatenate([np.full(backlog, 0.01), [1e-6, 1e-6]])
    w = Workload(arrival, demand, 2.0, keys=keys, kind=kind)
    tier = Tier(
        "db",
        [Server(name="primary"), Server(name="replica")],
        SplitByKindFast(),
        cpu_time=demand,
        replication=Replication(mean_lag=0.001, apply_cost=1e-6),
    )
    result = Topology([tier]).run(w, rng=rng(1))
    assert result.tier_start[0, -1] > 0.99  # it waited for the backlog
    assert not result.stale[-1]


def test_each_request_reports_its_path_wait_and_service_per_tier():
    w = with_keys(poisson(100, 30, 0.002, rng(1)), 100, 0.0, rng(2))
    result = cached_path(EvenKeysHit()).run(w, rng=rng(3))
    hit = int(np.flatnonzero(w.keys % 2 == 0)[0])
    miss = int(np.flatnonzero(w.keys % 2 == 1)[0])
    assert list(result.path(hit)) == ["web", "cache"]
    assert result.path(miss) == {
        "web": "web-1" if miss % 2 == 0 else "web-2",
        "cache": "cache",
        "db": "db",
    }
    total = np.nansum(result.wait[:, miss] + result.service[:, miss])
    assert total == pytest.approx(result.latency[miss])  # the tiers' waits and services add up
    assert (result.wait[~np.isnan(result.wait)] >= 0).all()


def test_a_read_is_stale_only_for_a_write_to_its_own_key():
    """Interleaved keys: a write to another key neither makes a read stale nor hides its own."""
    pairs, lag = 5_000, 1.0
    t = np.arange(pairs) * 50.0
    # key 2k written at t, key 2k+1 written at t + 0.05; read of 2k at t + 0.1 (stale with
    # probability e^(-0.1/1) = 0.905), and a read of a never-written key at t + 0.1 (never stale).
    arrival = np.concatenate([t, t + 0.05, t + 0.1, t + 0.1 + 1e-6])
    kind = np.concatenate([np.full(2 * pairs, WRITE), np.full(2 * pairs, READ)]).astype(np.int8)
    keys = np.concatenate(
        [
            2 * np.arange(pairs),
            2 * np.arange(pairs) + 1,
            2 * np.arange(pairs),
            np.full(pairs, 10**9),
        ]
    )
    order = np.argsort(arrival, kind="stable")
    w = Workload(
        arrival[order],
        np.full(4 * pairs, 1e-9),
        float(pairs * 50),
        keys=keys[order],
        kind=kind[order],
    )
    tier = pair(w, lag, 0.0)
    result = Topology([tier]).run(w, rng=rng(2))
    never = (w.kind == READ) & (w.keys == 10**9)
    own = (w.kind == READ) & ~never
    assert result.stale[own].mean() == pytest.approx(math.exp(-0.1 / lag), abs=0.02)
    assert not result.stale[never].any()


def test_a_big_run_keeping_its_memory_gives_the_same_numbers(monkeypatch):
    """Below _BIG_RUN the allocator is left alone; above, it keeps freed memory: same results."""
    from scalelab.sim import engine

    w = data_workload(300, 30, 0.2, seed=9)
    path = Topology([database(2, SplitByKindFast(), mean_lag=0.3)])
    plain = path.run(w, rng=rng(3))
    monkeypatch.setattr(engine, "_BIG_RUN", 1)
    kept = path.run(w, rng=rng(3))
    for a, b in ((plain.node, kept.node), (plain.tier_departure, kept.tier_departure)):
        np.testing.assert_array_equal(a, b)
    if sys.platform == "linux":
        assert engine._glibc() is not None  # the path above really ran
