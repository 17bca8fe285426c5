"""Chapter 09's own figures: latency per user region before and after a region fails, and the failed
requests over time with the moments that bound them (failure, detection, detection + TTL)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from scalelab.multidc.failover import Outcome
from scalelab.viz.plots import axes
from scalelab.viz.style import COLORS


def latency_by_region(
    run: Outcome,
    split: float,
    ax: Axes | None = None,
    title: str = "Median latency per user region",
) -> Figure:
    """Per user place: the median latency of the requests answered before ``split`` (light) and after it
    (dark), in milliseconds; a place with no answer after shows an x."""
    ax = axes(ax, (5, 3.2))
    x = np.arange(len(run.places))
    medians = np.full((2, len(run.places)), np.nan)
    for row, mask in enumerate((run.time < split, run.time >= split)):
        for k in range(len(run.places)):
            mine = mask & run.ok & (run.place == k)
            if mine.any():
                medians[row, k] = 1000 * float(np.median(run.latency[mine]))
    # One bar call and the values in the tick labels (each text costs a redraw about a millisecond).
    ax.bar(
        np.r_[x - 0.19, x + 0.19],
        np.nan_to_num(medians).ravel(),
        width=0.38,
        color=[COLORS["down"]] * len(x) + [COLORS["server"]] * len(x),
    )
    shown = [["x" if np.isnan(v) else f"{v:.0f}" for v in row] for row in medians]
    ax.set_xticks(
        x,
        [
            f"{p if len(p) < 10 else p[:9] + '.'}\n{shown[0][k]} → {shown[1][k]} ms"
            for k, p in enumerate(run.places)
        ],
        fontsize=8,
    )
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.set_ylabel("p50 (ms)")
    ax.text(0.02, 0.95, "light: before · dark: after", transform=ax.transAxes, fontsize=8, va="top")
    ax.set_ylim(0, 1.25 * max(1.0, 1000 * float(np.nanmax(np.where(run.ok, run.latency, 0)))))
    ax.set_title(title, loc="left")
    return ax.figure


def errors_over_time(
    run: Outcome,
    marks: dict[str, float],
    ax: Axes | None = None,
    bin_seconds: float = 5.0,
    title: str = "Failed requests per second",
) -> Figure:
    """Failed requests per second in bins of ``bin_seconds``, with a dashed line at each of ``marks``."""
    ax = axes(ax, (6, 3.2))
    end = float(run.time.max()) if run.time.size else 1.0
    edges = np.arange(0.0, end + bin_seconds, bin_seconds)
    failed, _ = np.histogram(run.time[~run.ok], edges)
    total, _ = np.histogram(run.time, edges)
    ax.stairs(total / bin_seconds, edges, color=COLORS["down"], fill=True)
    ax.stairs(failed / bin_seconds, edges, color=COLORS["db"], fill=True)
    top = 1.3 * max(1.0, float(total.max()) / bin_seconds)
    for k, (label, at) in enumerate(marks.items()):
        ax.axvline(at, color="black", ls="--", lw=1)
        ax.text(at, top * (0.95 - 0.1 * k), f" {label}", fontsize=7, va="top")
    ax.set_ylim(0, top)
    ax.set_xlim(0, end)
    ax.set_xticks(np.linspace(0, end, 5).round())  # few ticks: each costs a redraw milliseconds
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("requests/s (red: failed)")
    ax.set_title(title, loc="left")
    return ax.figure
