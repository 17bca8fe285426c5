"""The database family's own figures.

Chapter 06: what reads and writes saw on a replicated database, and each node's load.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from scalelab.sim.result import PathResult
from scalelab.viz.plots import target_band
from scalelab.viz.style import COLORS, PERCENTILE_COLORS


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
    left.set_yscale("log")
    left.yaxis.set_minor_locator(NullLocator())
    left.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    target_band(left)
    left.set_xlabel("time (s)")
    left.set_ylabel("p99 latency (ms, log scale)")
    left.legend(loc="upper left", fontsize=8)
    busy = result.utilisation(tier)
    i = result.topology.tier_index(tier)
    servers = result.topology.tiers[i].servers
    apply = (result.apply_busy or {}).get(i, np.zeros(len(servers))) / result.workload.duration
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
