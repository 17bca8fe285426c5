"""Chapter 06's control panel: replicas, the read share, lag and a dead primary.

The figure the chapter shows above the panel is :func:`replication_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from scalelab.database.replication import (
    FailureDetector,
    MostUpToDate,
    ReadWriteSplit,
    ReplicaRouter,
)
from scalelab.database.replication_plots import replication_dashboard
from scalelab.sim import (
    Outage,
    Replication,
    Server,
    Tier,
    Topology,
    poisson,
    with_keys,
    with_sessions,
    with_writes,
)
from scalelab.sim.result import PathResult
from scalelab.viz.widgets import ControlPanel, slider

#: CPU seconds per database operation in chapter 06: one node answers 1 / 0.01 = 100 per second.
DB_TIME = 0.01
#: Seconds of traffic per run, and the seconds between the primary's detected death and a promotion.
DURATION, FAILOVER_AFTER = 20.0, 2.0
#: Seconds before the router learns that a database node died or came back.
DETECT_AFTER = 3.0

#: The routers the panel offers, by the name the chapter gives them.
ROUTERS = {
    "read/write split": ReadWriteSplit,
    "read-your-writes, lag ≤ 1 s": lambda: ReplicaRouter(max_lag=1.0, delay=2.0),
}

DEFAULTS = {
    "replicas": 3,
    "read_share": 0.9,
    "rate": 150,
    "mean_lag": 0.3,
    "kill_at": 8.0,
    "router": "read/write split",
}


def replicated_db(
    replicas: int, mean_lag: float, router: object, failover_after: float = FAILOVER_AFTER
) -> Tier:
    """A database tier: a primary and ``replicas`` replicas, promoting the most up-to-date one."""
    servers = [Server(name="primary")] + [
        Server(name=f"replica-{i}") for i in range(1, replicas + 1)
    ]
    return Tier(
        "db",
        servers,
        router=router,
        cpu_time=DB_TIME,
        replication=Replication(
            mean_lag=mean_lag, promote=MostUpToDate(), failover_after=failover_after
        ),
    )


def run(
    replicas: int,
    read_share: float,
    rate: float,
    mean_lag: float,
    kill_at: float,
    router: str,
    duration: float = DURATION,
    seed: int = 6,
) -> PathResult:
    """``duration`` seconds of seeded traffic (100 sessions, 500 keys) on a replicated database; the
    primary dies at ``kill_at`` seconds (0: never), and the router learns it
    :data:`DETECT_AFTER` seconds later."""
    rng = np.random.default_rng(seed)
    traffic = poisson(rate, duration=duration, cpu_time=DB_TIME, rng=rng)
    traffic = with_keys(
        with_sessions(with_writes(traffic, 1 - read_share, rng), 100, rng), 500, 1.0, rng
    )
    outages = {"db": [Outage(0, kill_at, duration + 60)]} if kill_at > 0 else {}
    db = replicated_db(replicas, mean_lag, ROUTERS[router]())
    topology = Topology([db], outages=outages, health_checks={"db": FailureDetector(DETECT_AFTER)})
    return topology.run(traffic, rng=np.random.default_rng(seed))


def headline(result: PathResult) -> str:
    """Read p99, write p99, stale reads, failed and lost writes, in one line."""
    writes = result.workload.writes
    failed = int(np.count_nonzero(writes & ~result.ok))
    return (
        f"read p99 {1000 * result.percentile(99, ~writes):,.0f} ms · "
        f"write p99 {1000 * result.percentile(99, writes):,.0f} ms · "
        f"stale reads {100 * result.stale_share():.1f}% · writes failed {failed}, "
        f"lost at failover {result.lost_writes}"
    )


def replication_figure(
    replicas: int, read_share: float, rate: int, mean_lag: float, kill_at: float, router: str
) -> Figure:
    """The panel's figure: p99 of reads and writes over time, and each node's load."""
    result = run(replicas, read_share, rate, mean_lag, kill_at, router)
    return replication_dashboard(result, kill_at=kill_at or None, title=headline(result))


def panel() -> ControlPanel:
    """Chapter 06's panel, starting at :data:`DEFAULTS`."""
    return ControlPanel(
        replication_figure,
        replicas=slider("replicas", 0, 8, 1, DEFAULTS["replicas"]),
        read_share=slider("read share", 0.5, 0.99, 0.01, DEFAULTS["read_share"]),
        rate=slider("requests/s", 50, 250, 10, DEFAULTS["rate"]),
        mean_lag=slider("mean lag (s)", 0.0, 2.0, 0.05, DEFAULTS["mean_lag"]),
        kill_at=slider("primary dies at (s, 0 never)", 0.0, 15.0, 0.5, DEFAULTS["kill_at"]),
        router=widgets.Dropdown(
            options=list(ROUTERS),
            value=DEFAULTS["router"],
            description="router",
            style={"description_width": "160px"},
        ),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
