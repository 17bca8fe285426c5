"""Chapter 03's own figures: a query against the size of its table, and one box against two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scalelab.database.box import BoxRun
from scalelab.viz.plots import axes, target_band
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
    ax.set_xscale("log")
    ax.set_yscale("log")
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
    left.set_yscale("log")
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
