"""The database family's panels. Chapter 03: table size, read/write mix, an index, RAM, one box or two
(:func:`box_figure` at :data:`DEFAULTS`). Chapter 06: replicas, the read share, lag and a dead primary
(:func:`replication_figure` at :data:`REPLICATION_DEFAULTS`).

The static figure the chapter shows above the panel is :func:`box_figure` at :data:`DEFAULTS`, so the
picture and the panel always start from the same settings.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from scalelab.database.box import (
    LAYOUTS,
    QUERIES_PER_REQUEST,
    Table,
    cache_gb,
    capacity,
    query_time,
    run,
)
from scalelab.database.plots import STYLES, replication_dashboard
from scalelab.database.replication import (
    FailureDetector,
    MostUpToDate,
    ReadWriteSplit,
    ReplicaRouter,
)
from scalelab.sim import (
    Outage,
    Promotion,
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
from scalelab.viz.plots import log_axis, target_band
from scalelab.viz.style import COLORS, PERCENTILE_COLORS
from scalelab.viz.widgets import ControlPanel, slider

#: Requests per second arriving at the site in the panel.
RATE = 800
#: Seconds of traffic each setting simulates.
DURATION = 10.0
#: The table sizes the rows slider offers.
ROWS = tuple(10**k for k in range(3, 8))

#: Where the panel starts, and what the figure above it shows.
DEFAULTS = {"rows": 10_000_000, "write_share": 0.1, "indexed": True, "ram_gb": 16}


def box_figure(rows: int, write_share: float, indexed: bool, ram_gb: int) -> Figure:
    """Left: one query's time against the table's size on each layout (the model). Right: what
    :data:`RATE` requests/s saw, with the database on the app's box and on its own (simulated)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    fig.subplots_adjust(left=0.07, right=0.98, top=0.84, bottom=0.34, wspace=0.25)  # fixed: fast
    sizes = np.logspace(3, 7, 17).astype(int)
    for layout, alpha in zip(LAYOUTS, (1.0, 0.45), strict=True):
        cache = cache_gb(ram_gb, layout)
        for label, with_index in zip(STYLES, (False, True), strict=True):
            times = [query_time(Table(int(r), with_index), cache) for r in sizes]
            left.plot(
                sizes, np.array(times) * 1e3, STYLES[label], color=COLORS["db"], alpha=alpha,
                label=f"{label}, {layout} ({cache:g} GB cache)",
            )  # fmt: skip
    table = Table(rows, indexed)
    for layout, alpha in zip(LAYOUTS, (1.0, 0.45), strict=True):
        now = query_time(table, cache_gb(ram_gb, layout)) * 1e3
        left.plot([rows], [now], "o", color=COLORS["db"], alpha=alpha, ms=8)
    log_axis(left, "both")
    left.set_xlabel("rows in the table (log scale); dots: this setting")
    left.set_ylabel("one read (ms, log scale)")
    left.set_title(f"One read, {ram_gb} GB of RAM per box")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7)
    names, p50, p99, caps = [], [], [], []
    for k, layout in enumerate(LAYOUTS):
        result = run(
            layout, table, RATE, np.random.default_rng(3 + k), write_share, ram_gb,
            duration=DURATION,
        )  # fmt: skip
        names.append(f"{layout}\nhit ratio {result.hit:.0%}")
        p50.append(1000 * result.percentile(50))
        p99.append(1000 * result.percentile(99))
        caps.append(capacity(layout, table, write_share, ram_gb))
    x = np.arange(len(names))
    right.bar(x - 0.19, p50, 0.38, color=PERCENTILE_COLORS[50], label="p50")
    right.bar(x + 0.19, p99, 0.38, color=PERCENTILE_COLORS[99], label="p99")
    right.set_xticks(x, names)
    log_axis(right)
    right.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    right.set_ylabel("latency (ms, log scale)")
    target_band(right)
    right.set_ylim(0.5 * min(p50), 2 * max(max(p99), 1000))
    right.set_title(
        f"Users' latency: capacity {caps[0]:,.0f}/s shared, {caps[1]:,.0f}/s dedicated",
        fontsize=10,
    )
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=7)
    fig.suptitle(
        f"{rows:,} rows, {'with' if indexed else 'without'} an index, {write_share:.0%} writes, "
        f"{RATE} requests/s of {QUERIES_PER_REQUEST} queries each"
    )
    return fig


def panel() -> ControlPanel:
    """Chapter 03's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    controls = {
        "rows": widgets.SelectionSlider(
            options=list(ROWS),
            value=DEFAULTS["rows"],
            description="rows in the table",
            continuous_update=False,
            style=wide,
            layout=widgets.Layout(width="420px"),
        ),  # fmt: skip
        "write_share": slider("share of writes", 0.0, 0.9, 0.1, DEFAULTS["write_share"]),
        "indexed": widgets.Checkbox(value=DEFAULTS["indexed"], description="index on the column"),
        "ram_gb": slider("RAM per box (GB)", 4, 64, 4, DEFAULTS["ram_gb"]),
    }
    return ControlPanel(box_figure, **controls)


# -- chapter 06, replication ---------------------------------------------------------------

#: CPU seconds per database operation in chapter 06: one node answers 1 / 0.01 = 100 per second.
DB_TIME = 0.01
#: Seconds of traffic per run, and the seconds between the primary's detected death and a promotion.
REPLICATION_DURATION, FAILOVER_AFTER = 20.0, 2.0
#: Seconds before the router learns that a database node died or came back.
DETECT_AFTER = 3.0

#: The routers the panel offers, by the name the chapter gives them.
ROUTERS = {
    "read/write split": ReadWriteSplit,
    "read-your-writes, lag ≤ 1 s": lambda: ReplicaRouter(max_lag=1.0, delay=2.0),
}

REPLICATION_DEFAULTS = {
    "replicas": 3,
    "read_share": 0.9,
    "rate": 150,
    "mean_lag": 0.3,
    "kill_at": 8.0,
    "router": "read/write split",
}


def replicated_db(
    replicas: int,
    mean_lag: float,
    router: object,
    failover_after: float = FAILOVER_AFTER,
    promote: Promotion | None = None,
) -> Tier:
    """A database tier: a primary and ``replicas`` replicas behind ``router``; when the primary dies,
    ``promote`` (a :class:`~scalelab.sim.Promotion`, e.g. the learner's rule of exercise 06) picks the
    new primary, by default :class:`MostUpToDate`."""
    if promote is not None and not isinstance(promote, Promotion):
        got = f"the class {promote.__name__}" if isinstance(promote, type) else repr(promote)
        raise ValueError(f"promote must be a Promotion object such as MostUpToDate(), got {got}")
    servers = [Server(name="primary")] + [
        Server(name=f"replica-{i}") for i in range(1, replicas + 1)
    ]
    return Tier(
        "db",
        servers,
        router=router,
        cpu_time=DB_TIME,
        replication=Replication(
            mean_lag=mean_lag,
            promote=MostUpToDate() if promote is None else promote,
            failover_after=failover_after,
        ),
    )


def run_replicated(
    replicas: int,
    read_share: float,
    rate: float,
    mean_lag: float,
    kill_at: float,
    router: str,
    duration: float = REPLICATION_DURATION,
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
    result = run_replicated(replicas, read_share, rate, mean_lag, kill_at, router)
    return replication_dashboard(result, kill_at=kill_at or None, title=headline(result))


def replication_panel() -> ControlPanel:
    """Chapter 06's panel, starting at :data:`REPLICATION_DEFAULTS`."""
    return ControlPanel(
        replication_figure,
        replicas=slider("replicas", 0, 8, 1, REPLICATION_DEFAULTS["replicas"]),
        read_share=slider("read share", 0.5, 0.99, 0.01, REPLICATION_DEFAULTS["read_share"]),
        rate=slider("requests/s", 50, 250, 10, REPLICATION_DEFAULTS["rate"]),
        mean_lag=slider("mean lag (s)", 0.0, 2.0, 0.05, REPLICATION_DEFAULTS["mean_lag"]),
        kill_at=slider(
            "primary dies at (s, 0 never)", 0.0, 15.0, 0.5, REPLICATION_DEFAULTS["kill_at"]
        ),
        router=widgets.Dropdown(
            options=list(ROUTERS),
            value=REPLICATION_DEFAULTS["router"],
            description="router",
            style={"description_width": "160px"},
        ),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {
    "03-database": panel,
    "06-replication": replication_panel,
}
