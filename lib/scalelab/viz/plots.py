"""The generic plots every chapter can use: latency percentiles over time, load per server, both.

Each function draws on an Axes (made for you if you pass none) and returns the Figure, so a notebook
cell stays one line and a widget can redraw into the same place.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from scalelab.sim.result import SimResult
from scalelab.viz.style import (
    COLORS,
    FAILURE_COLOR,
    LATENCY_LIMIT_S,
    LATENCY_TARGET_S,
    PERCENTILE_COLORS,
)


def axes(ax: Axes | None, size: tuple[float, float] = (7, 3.5)) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``size`` inches when it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def log_axis(ax: Axes, which: str = "y") -> None:
    """Put ``which`` axis ("x", "y" or "both") on a log scale labelled in plain numbers (1, 10, 100 …).

    No minor ticks and no ``10²``-style labels: those are typeset as maths, and cost a panel about a
    third of its redraw time.
    """
    if which not in ("x", "y", "both"):
        raise ValueError(f"which must be 'x', 'y' or 'both', got {which!r}")
    for name in ("x", "y") if which == "both" else (which,):
        getattr(ax, f"set_{name}scale")("log")
        axis = getattr(ax, f"{name}axis")
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(FuncFormatter(_plain))


def _plain(value: float, _position: object = None) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def target_band(ax: Axes, scale: float = 1000.0) -> None:
    """Shade the latency target on a latency axis in seconds × ``scale`` (ms by default).

    Everything from 0 up to the target is on target (faster is never worse). The lecture's outer limit
    of one second gets a dotted line when the data reach it. Call this after the data and the axis
    scale are set: the axis then reaches just past the target, and past the limit only with the data.
    """
    bottom, top = ax.get_ylim()
    target, limit = LATENCY_TARGET_S * scale, LATENCY_LIMIT_S * scale
    ax.axhspan(0, target, color="#55A868", alpha=0.15, label=f"target: under {target:.0f} ms")
    if top >= limit:
        ax.axhline(limit, color="#55A868", ls=":", lw=1.2, label=f"limit: {LATENCY_LIMIT_S:g} s")
    ax.set_ylim(bottom, max(top, 1.15 * target))


def latency_over_time(
    result: SimResult,
    window: float = 1.0,
    q: Sequence[int] = (50, 99),
    ax: Axes | None = None,
    title: str = "Latency over time",
) -> Figure:
    """Percentiles of latency (ms) per ``window`` seconds, and the share of failed requests."""
    ax = axes(ax)
    series = result.over_time(window, q)
    for p in q:
        ax.plot(series["t"], 1000 * series[f"p{p}"], color=PERCENTILE_COLORS.get(p), label=f"p{p}")
    target_band(ax)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if series["errors"].any():
        twin = ax.twinx()
        # Each window's share drawn across the whole window, the last one up to the run's end;
        # hatched grey, a look no latency line or component uses.
        edges = np.append(series["t"], result.workload.start + result.workload.duration)
        share = 100 * np.append(series["errors"], series["errors"][-1])
        area = twin.fill_between(
            edges,
            share,
            step="post",
            facecolor="none",
            edgecolor=FAILURE_COLOR,
            hatch="////",
            lw=0.8,
            label="failed requests (%)",
        )
        twin.set_ylabel("failed requests (%)")
        twin.set_ylim(0, 100)
        handles, labels = handles + [area], labels + [area.get_label()]
    # Below the plot, where it hides no data.
    ax.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncols=len(labels),
        fontsize=8,
        frameon=False,
    )
    return ax.figure


def server_load(
    result: SimResult, ax: Axes | None = None, title: str = "Load per server"
) -> Figure:
    """Requests each server received, dead servers in grey; the ideal even share as a dashed line."""
    ax = axes(ax, (5, 3))
    counts = result.requests_per_server()
    served = np.bincount(result.server[result.ok], minlength=len(result.servers))
    names = [s.name for s in result.servers]
    ax.bar(names, counts, color=COLORS["down"], label="sent")
    ax.bar(names, served, color=COLORS["server"], label="answered")
    ax.axhline(len(result.status) / len(names), color="black", ls="--", lw=1, label="even share")
    ax.set_ylabel("requests")
    ax.set_ylim(0, 1.1 * max(counts.max(), 1))
    ax.set_title(title)
    crowded = len(names) > 4  # more names than fit side by side: slanted
    if crowded:
        ax.tick_params(axis="x", labelrotation=40, labelsize=8)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    # Below the axes, where it can hide neither a bar nor a tick label.
    below = -0.3 if crowded else -0.12
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, below), ncols=3, frameon=False)
    return ax.figure


def dashboard(result: SimResult, window: float = 1.0, title: str = "") -> Figure:
    """Latency over time beside load per server: what an operator would look at."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5), width_ratios=(2, 1))
    # Fixed margins (room for the legends below the axes), not a layout engine: a panel redraws this
    # figure on every slider move, and the constrained layout was half of its drawing time.
    fig.subplots_adjust(left=0.07, right=0.98, top=0.8, bottom=0.3, wspace=0.45)
    latency_over_time(result, window, ax=left, title=title or "Latency over time")
    server_load(result, ax=right)
    return fig
