"""Chapter 08's figures: latency per user place (p50 and p99), and where the bytes come from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scalelab.viz.plots import axes
from scalelab.viz.style import COLORS


def latency_by_place(
    places: Sequence[str],
    p50: np.ndarray,
    p99: np.ndarray,
    ax: Axes | None = None,
    title: str = "Latency by user place",
) -> Figure:
    """Two bars per place, p50 and p99, in milliseconds."""
    ax = axes(ax, (6, 3.2))
    x = np.arange(len(places))
    ax.bar(x - 0.2, 1000 * np.asarray(p50), width=0.4, color=COLORS["server"], label="p50")
    ax.bar(x + 0.2, 1000 * np.asarray(p99), width=0.4, color=COLORS["db"], label="p99")
    ax.set_xticks(x, list(places))
    ax.set_ylabel("ms")
    ax.set_ylim(0, 800)
    ax.set_yticks([0, 400, 800])  # few ticks: each costs a redraw milliseconds
    ax.text(0.02, 0.95, "left p50, right p99", transform=ax.transAxes, fontsize=8, va="top")
    ax.set_title(title, loc="left")
    return ax.figure


def origin_bars(
    shares: dict[str, float], ax: Axes | None = None, title: str = "Share of requests"
) -> Figure:
    """One bar per label (edge hits, stale hits, origin), in percent."""
    ax = axes(ax, (4, 3.2))
    labels = list(shares)
    colors = [COLORS["server"], COLORS["down"], COLORS["db"]][: len(labels)]
    bars = ax.bar(labels, [100 * shares[k] for k in labels], color=colors, width=0.7)
    ax.bar_label(bars, labels=[f"{100 * shares[k]:.0f}%" for k in labels], fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_yticks([0, 50, 100])
    ax.set_ylabel("% of requests")
    ax.set_title(title, loc="left")
    return ax.figure
