"""Chapter 12's own figures: keys or load per shard beside the fair share, and the keys a resize moves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from scalelab.viz.plots import axes
from scalelab.viz.style import COLORS


def per_shard_bars(
    values: np.ndarray,
    ax: Axes | None = None,
    title: str = "Keys per shard",
    ylabel: str = "keys",
    percent: bool = False,
    top: float | None = None,
) -> Figure:
    """One bar per shard (shard-1 …), the hottest one darker, a dashed line at the fair share."""
    ax = axes(ax, (6, 3.2))
    values = np.asarray(values, dtype=float)
    shown = 100 * values if percent else values
    n = len(values)
    colors = [COLORS["db"] if i == int(np.argmax(values)) else COLORS["down"] for i in range(n)]
    ax.bar(np.arange(1, n + 1), shown, color=colors, width=0.8)
    fair = shown.sum() / n
    ax.axhline(fair, color="black", ls="--", lw=1)
    # A label on the line rather than a legend (a legend costs a panel's redraw ~25 ms).
    ax.text(
        n + 0.45,
        fair,
        f"fair {fair:,.1f}%" if percent else f"fair {fair:,.0f}",
        ha="right",
        va="bottom",
        fontsize=8,
    )
    # Few ticks: each one costs a redraw several milliseconds.
    ax.set_xticks(np.arange(1, n + 1) if n <= 8 else np.unique(np.r_[np.arange(1, n + 1, 4), n]))
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.set_xlabel("shard")
    ax.set_ylabel(f"{ylabel} (%)" if percent else ylabel)
    ax.set_ylim(0, top if top is not None else 1.15 * max(float(shown.max()), fair))
    ax.set_title(title, loc="left")
    return ax.figure


def moved_bars(
    moved: dict[str, float],
    ideal: float,
    highlight: str | None = None,
    ax: Axes | None = None,
    title: str = "Keys that move on a resize",
) -> Figure:
    """The share of keys each scheme moves (bars), beside the least any scheme can move (``ideal``)."""
    ax = axes(ax, (5, 3.2))
    labels: Sequence[str] = list(moved)
    colors = [COLORS["db"] if k == highlight else COLORS["down"] for k in labels]
    bars = ax.bar(labels, [100 * moved[k] for k in labels], color=colors, width=0.7)
    ax.bar_label(bars, labels=[f"{100 * moved[k]:.0f}%" for k in labels], fontsize=8)
    ax.axhline(100 * ideal, color="black", ls="--", lw=1)
    ax.text(
        0.02,
        0.95,
        f"dashed: least possible, {100 * ideal:.0f}%",
        transform=ax.transAxes,
        fontsize=8,
        va="top",
    )
    ax.set_ylim(0, 110)
    ax.set_yticks([0, 50, 100])
    ax.set_ylabel("keys moved (%)")
    ax.set_title(title, loc="left")
    return ax.figure
