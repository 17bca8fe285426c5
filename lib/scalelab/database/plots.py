"""The database family's own figures. Chapter 03: a query against the size of its table, and one box
against two. Chapter 06: what reads and writes saw on a replicated database, and each node's load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scalelab.database.box import BoxRun
from scalelab.sim.result import PathResult
from scalelab.viz.plots import axes, log_axis, target_band
from scalelab.viz.style import COLORS, PERCENTILE_COLORS

#: Line style of each access path, on every figure of the chapter (the colour is the database's).
STYLES = {"no index (scan)": "-", "index (search)": "--"}


def growth(
    rows: Sequence[int],
    seconds: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    title: str = "One lookup in real SQLite, as the table grows",
    unit: str = "ms",
) -> Figure:
    """Log-log lines of a lookup's cost against the table's rows, one line per access path (keys of
    :data:`STYLES`); ``seconds`` in seconds, drawn in ``unit`` ("ms" or "µs")."""
    ax = axes(ax, (6.5, 3.6))
    scale = {"ms": 1e3, "µs": 1e6}[unit]
    for label, values in seconds.items():
        ax.plot(
            rows,
            scale * np.asarray(values, dtype=float),
            STYLES.get(label, "-"),
            marker="o",
            color=COLORS["db"],
            label=label,
        )
    log_axis(ax, "both")
    ax.set_xlabel("rows in the table (log scale)")
    ax.set_ylabel(f"time per lookup ({unit}, log scale)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return ax.figure


def layouts(
    runs: Mapping[str, BoxRun],
    title: str = "The same traffic, the database on the app's box or on its own",
) -> Figure:
    """Left: p50 and p99 latency of each run (ms, log scale) against the latency target. Right: how
    busy the application's cores and the database's cores were."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    names = list(runs)
    x = np.arange(len(names))
    for k, q in enumerate((50, 99)):
        left.bar(
            x + (k - 0.5) * 0.38,
            [1000 * runs[n].percentile(q) for n in names],
            width=0.38,
            color=PERCENTILE_COLORS[q],
            label=f"p{q}",
        )
    left.set_xticks(x, names)
    log_axis(left)
    left.set_ylabel("latency (ms, log scale)")
    target_band(left)
    left.set_title("What users waited")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=8)
    width = 0.38
    right.bar(
        x - width / 2, [runs[n].app_utilisation for n in names], width, color=COLORS["server"],
        label="app's cores",
    )  # fmt: skip
    right.bar(
        x + width / 2, [runs[n].db_utilisation for n in names], width, color=COLORS["db"],
        label="database's cores",
    )  # fmt: skip
    right.set_xticks(x, names)
    right.set_ylim(0, 1.05)
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    right.set_ylabel("cores busy")
    right.set_title("How busy each box was (one box: the same cores)")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
    fig.suptitle(title)
    return fig


# -- chapter 06, replication ---------------------------------------------------------------


def p99_by_second(result: PathResult, mask: np.ndarray, window: float = 1.0) -> tuple:
    """(window starts, p99 latency in s of the answered requests of ``mask`` in each window)."""
    arrival = result.workload.arrival
    edges = np.arange(0.0, result.workload.duration + window, window)
    which = np.digitize(arrival, edges) - 1
    p99 = np.full(len(edges) - 1, np.nan)
    good = result.ok & mask
    for k in range(len(p99)):
        latency = result.latency[good & (which == k)]
        if len(latency):
            p99[k] = np.percentile(latency, 99)
    return edges[:-1], p99


def replication_dashboard(
    result: PathResult, tier: str = "db", kill_at: float | None = None, title: str = ""
) -> Figure:
    """Left: p99 latency of reads and of writes, per second (failed writes hatched). Right: each
    database node's utilisation, the share spent applying the primary's writes hatched."""
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [2.2, 1]}
    )
    # Fixed margins, not a layout engine, and no minor ticks on the log axis: a redraw stays quick.
    fig.subplots_adjust(left=0.08, right=0.98, top=0.86, bottom=0.22, wspace=0.32)
    writes = result.workload.writes
    for mask, label, style in [(~writes, "reads", "-"), (writes, "writes", "--")]:
        t, p99 = p99_by_second(result, mask)
        left.plot(t, 1000 * p99, style, color=PERCENTILE_COLORS[99], label=f"{label} p99")
    failed = np.histogram(
        result.workload.arrival[writes & ~result.ok], bins=t.size, range=(0, t[-1] + 1)
    )[0]
    if failed.any():
        share = left.twinx()
        share.bar(
            t,
            failed,
            width=1.0,
            align="edge",
            fill=False,
            hatch="//",
            edgecolor="#444444",
            label="failed writes",
        )
        share.set_ylabel("failed writes per second")
        share.legend(loc="upper right", fontsize=8)
    if kill_at is not None:
        left.axvline(kill_at, color=COLORS["down"], lw=3, label="primary dies")
    log_axis(left)
    target_band(left)
    left.set_xlabel("time (s)")
    left.set_ylabel("p99 latency (ms, log scale)")
    left.legend(loc="upper left", fontsize=8)
    busy = result.utilisation(tier)
    i = result.topology.tier_index(tier)
    servers = result.topology.tiers[i].servers
    apply = result.apply_busy.get(i, np.zeros(len(servers))) / result.workload.duration
    names = [s.name for s in servers]
    right.bar(names, busy, color=COLORS["db"], edgecolor="black")
    right.bar(names, apply, color="none", edgecolor="black", hatch="//", label="applying writes")
    right.axhline(1.0, color="black", lw=1)
    right.set_ylabel("utilisation")
    right.set_ylim(0, max(1.1, float(np.nanmax(busy)) * 1.1 if len(busy) else 1.1))
    right.tick_params(axis="x", rotation=60, labelsize=8)
    right.legend(loc="upper right", fontsize=8)
    fig.suptitle(title)
    return fig
