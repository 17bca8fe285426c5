"""Chapter 05's own figure: p99 latency of each strategy on the same traffic."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scalelab.viz.plots import axes, log_axis, target_band
from scalelab.viz.style import COLORS


def p99_by_strategy(
    p99: dict[tuple[str, str], float],
    ax: Axes | None = None,
    title: str = "Same traffic, different strategies: p99 latency",
) -> Figure:
    """Grouped bars of p99 latency (ms, log scale) keyed by ``(pool, strategy)``, one hatch per pool."""
    ax = axes(ax, (8, 3.6))
    pools = list(dict.fromkeys(pool for pool, _ in p99))
    strategies = list(dict.fromkeys(name for _, name in p99))
    x = np.arange(len(strategies))
    width = 0.8 / len(pools)
    for k, pool in enumerate(pools):
        heights = [1000 * p99[pool, name] for name in strategies]
        offset = (k - (len(pools) - 1) / 2) * width
        ax.bar(
            x + offset,
            heights,
            width=width,
            color=COLORS["server"],
            edgecolor="black",
            hatch=["", "//", "..", "xx"][k % 4],
            label=pool,
        )
    ax.set_xticks(x, strategies)
    log_axis(ax)
    target_band(ax)
    ax.set_ylabel("p99 latency (ms, log scale)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return ax.figure
