"""Chapter 04's own figures: one big box against a pool through a crash; downtime of k-of-n pools;
what a pool costs as the peak grows; the Universal Scalability Law's curve."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from scalelab.scaling.availability import availability, downtime_per_year, servers_needed
from scalelab.scaling.pricing import Size
from scalelab.scaling.usl import usl_capacity, usl_peak
from scalelab.sim import SimResult
from scalelab.viz.plots import axes, log_axis
from scalelab.viz.style import COLORS, FAILURE_COLOR

#: Line style of each setup: both are servers, so both take the servers' colour.
STYLES = {"one big box": "-", "small boxes": "--"}


def _style(label: str) -> str:
    return STYLES["one big box"] if label.startswith("one big box") else STYLES["small boxes"]


def big_vs_small(
    results: dict[str, SimResult],
    crash: tuple[float, float] | None = None,
    title: str = "One big box against four small ones",
) -> Figure:
    """p99 latency (top) and the share of failed requests (bottom) per second, for each setup."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 4.6), sharex=True)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.12, hspace=0.15)
    for label, result in results.items():
        series = result.over_time(1.0, (99,))
        top.plot(
            series["t"], 1000 * series["p99"], _style(label), color=COLORS["server"], label=label
        )
        bottom.step(
            series["t"], 100 * series["errors"], _style(label), where="post",
            color=COLORS["server"], label=label,
        )  # fmt: skip
    for ax in (top, bottom):
        if crash:
            ax.axvspan(*crash, color=FAILURE_COLOR, alpha=0.08, lw=0)
    top.set_ylabel("p99 latency (ms)")
    top.set_title(title)
    bottom.set_ylabel("failed (%)")
    bottom.set_ylim(-3, 103)
    bottom.set_xlabel("time (s)" + ("; shaded: one server is down" if crash else ""))
    bottom.legend(loc="center right", fontsize=8)
    return fig


#: Bars below this many hours a year (0.36 s) are drawn at this height, hatched: "< 0.0001 h".
FLOOR_HOURS = 1e-4


def share_text(share: float) -> str:
    """An availability as a percentage with as many digits as its nines need: 99.9%, 99.9994%, 99.941%.

    ``1.0`` (a float that rounded to one: the pool is never down to the precision of a float) reads
    "100% (to float precision)", not "100.000000%".
    """
    if share >= 1.0:
        return "100% (to float precision)"
    digits = max(1, min(12, int(np.floor(-np.log10(1.0 - share) + 1e-9))))  # one per nine
    return f"{100 * share:.{digits}f}".rstrip("0").rstrip(".") + "%"


def duration_text(hours: float) -> str:
    """Hours as the unit that suits them: 87.7 h, 52.6 min, 31.6 s, or below a second "< 1 s"."""
    if hours >= 1:
        return f"{hours:,.1f} h"
    if hours >= 1 / 60:
        return f"{60 * hours:.1f} min"
    if hours >= 1 / 3600:
        return f"{3600 * hours:.1f} s"
    return "0 s" if hours == 0 else "< 1 s"


def downtime_bars(
    k: int,
    a: float,
    n_max: int = 12,
    chosen: int | None = None,
    ax: Axes | None = None,
    target: float = 0.999,
) -> Figure:
    """Hours down per year of pools of k to ``n_max`` servers that need ``k`` up (log scale), with
    the downtime ``target`` allows as a dotted line; bars under :data:`FLOOR_HOURS` are drawn at it,
    hatched."""
    ax = axes(ax, (5, 3.2))
    n = np.arange(k, max(k, n_max) + 1)
    hours = np.array([downtime_per_year(availability(int(m), k, a)) for m in n])
    below = hours < FLOOR_HOURS
    shown = np.maximum(hours, FLOOR_HOURS)
    colors = [COLORS["server"] if m == chosen else COLORS["down"] for m in n]
    bars = ax.bar(n, shown, color=colors)
    for bar, low in zip(bars, below, strict=True):
        if low:
            bar.set_hatch("////")
            bar.set_edgecolor("white")
    log_axis(ax)
    ax.yaxis.set_major_locator(
        LogLocator(base=100)
    )  # every other power of ten: fewer labels to draw
    ax.set_ylim(FLOOR_HOURS / 4, 2 * max(shown.max(), 1))
    allowed = downtime_per_year(target)
    ax.axhline(allowed, color="black", lw=0.8, ls=":")
    ax.text(
        n[-1] + 0.45, allowed, f"target {share_text(target)}", fontsize=7, va="bottom", ha="right"
    )
    if below.any():
        ax.text(n[0] - 0.45, FLOOR_HOURS / 3.5, "hatched: < 0.0001 h", fontsize=7, va="bottom")
    ax.set_xticks(n[:: 1 + len(n) // 7])
    ax.set_xlabel(f"servers in the pool (n), {k} needed")
    ax.set_ylabel("hours down per year")
    ax.set_title(f"Downtime of {k} of n, each server up {a:.2%}", fontsize=10)
    return ax.figure


def cost_curves(sizes: list[Size], ax: Axes | None = None, title: str = "") -> Figure:
    """$ per hour against the peak: scale up (two of the smallest size that carries it: N + 1) vs
    scale out (the smallest size, as many as it takes, plus one). Scale up stops at the largest box."""
    ax = axes(ax, (5, 3.2))
    smallest, largest = sizes[0], sizes[-1]
    peaks = np.geomspace(smallest.capacity, 4 * largest.capacity, 40)
    up = [
        next((2 * s.price for s in sizes if s.capacity >= p), np.nan) for p in peaks
    ]  # one box plus one spare of the first size that carries the peak
    out = [(servers_needed(p, smallest.capacity) + 1) * smallest.price for p in peaks]
    ax.plot(
        peaks, up, color=COLORS["server"], ls=STYLES["one big box"], label="scale up: 1 + 1 big"
    )
    ax.plot(
        peaks, out, color=COLORS["server"], ls=STYLES["small boxes"], label="scale out: N + 1 small"
    )
    ax.axvline(largest.capacity, color="black", lw=0.8, ls=":", label="the largest box")
    log_axis(ax, "both")
    ax.set_xlabel("peak (requests/s)")
    ax.set_ylabel("$ per hour")
    ax.set_title(title or "Cost of carrying the peak, with a spare", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return ax.figure


def usl_curve(sigma: float, kappa: float, n_max: int = 64, ax: Axes | None = None) -> Figure:
    """Relative capacity C(N) for N = 1 … ``n_max``, beside the ideal C(N) = N, with the peak marked."""
    ax = axes(ax, (5, 3.2))
    n = np.arange(1, n_max + 1)
    ax.plot(n, n, color="black", lw=0.8, ls=":", label="ideal: N")
    ax.plot(n, usl_capacity(n, sigma, kappa), color=COLORS["server"], lw=2, label="USL")
    peak = usl_peak(sigma, kappa)
    if peak <= n_max:
        ax.plot([peak], [usl_capacity(peak, sigma, kappa)], "o", color="black", ms=4)
        ax.annotate(f"peak at N = {peak:.0f}", (peak, usl_capacity(peak, sigma, kappa)),
                    textcoords="offset points", xytext=(4, 6), fontsize=7)  # fmt: skip
    ax.set_ylim(0, 1.05 * min(n_max, max(1.0, float(usl_capacity(n, sigma, kappa).max()) * 2)))
    ax.set_xlabel("nodes N")
    ax.set_ylabel("capacity, × one node")
    ax.set_title(f"USL, σ = {sigma:g}, κ = {kappa:g}", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return ax.figure
