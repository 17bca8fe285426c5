"""Chapter 02's own figures: what a page view asks of each tier, and the API's tail on a shared pool
or on a tier of its own."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from scalelab.frontend.serving import API_TARGET_S, Served
from scalelab.viz.plots import axes, log_axis
from scalelab.viz.style import COLORS

#: Static requests are drawn hatched, API requests plain, a shared pool (both kinds) cross-hatched.
HATCH = {"static": "//", "api": "", "shared": "xx"}


def requests_per_view(
    counts: dict[str, dict[str, int]], ax: Axes | None = None, title: str = ""
) -> Figure:
    """Stacked bars of requests per page view (static hatched, API plain) for each visit kind."""
    ax = axes(ax, (5, 3))
    labels = list(counts)
    bottom = np.zeros(len(labels))
    for tier in ("static", "api"):
        heights = np.array([counts[k][tier] for k in labels], float)
        bars = ax.bar(
            labels,
            heights,
            bottom=bottom,
            color=COLORS["server"],
            hatch=HATCH[tier],
            edgecolor="black",
            label=tier,
        )
        tall = 0.06 * max(sum(c.values()) for c in counts.values())  # room for a label inside
        texts = [f"{h:.0f}" if h >= tall else "" for h in heights]
        ax.bar_label(bars, labels=texts, label_type="center", fontsize=8)
        bottom += heights
    ax.set_ylabel("requests per page view")
    ax.set_title(title or "What one page view asks of the servers")
    ax.legend(fontsize=8)
    return ax.figure


def api_tail(runs: dict[str, Served], ax: Axes | None = None, title: str = "") -> Figure:
    """p99 latency (ms, log scale) of static and API requests under each layout (shared, split …)."""
    ax = axes(ax, (6, 3.2))
    names = list(runs)
    x = np.arange(len(names))
    for k, tier in enumerate(("static", "api")):
        heights = [max(1000 * runs[n].p99[tier], 1) for n in names]
        bars = ax.bar(
            x + (k - 0.5) * 0.38,
            heights,
            width=0.38,
            color=COLORS["server"],
            hatch=HATCH[tier],
            edgecolor="black",
            label=f"{tier} p99",
        )
        ax.bar_label(bars, labels=[f"{h:,.0f}" for h in heights], fontsize=8)
    ax.set_xticks(x, names)
    log_axis(ax)
    ax.set_ylim(10, 20_000)
    ax.axhline(
        1000 * API_TARGET_S,
        color="#55A868",
        ls="--",
        lw=1.2,
        label=f"API target: {1000 * API_TARGET_S:.0f} ms",
    )
    ax.set_ylabel("p99 latency (ms, log scale)")
    ax.set_title(title or "The API's tail: one shared pool or a tier of its own")
    ax.legend(fontsize=8, loc="upper right")
    return ax.figure


def utilisation(runs: dict[str, Served], ax: Axes | None = None) -> Figure:
    """The offered load of each pool of each layout: work per second over its workers. Above 100%
    the pool is overloaded (it cannot keep up: its queue grows as long as the surge lasts)."""
    ax = axes(ax, (5, 3))
    labels, values, hatches = [], [], []
    for name, run in runs.items():
        for pool, busy in run.utilisation.items():
            labels.append(f"{name}\n{pool} ({run.layout[pool]})")
            values.append(busy)
            hatches.append(HATCH.get(pool, "xx"))
    bars = ax.bar(range(len(values)), values, color=COLORS["server"], edgecolor="black")
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    texts = [f"{v:.0%}" + (" overloaded" if v >= 1 else "") for v in values]
    ax.bar_label(bars, labels=texts, fontsize=8)
    ax.axhline(1, color="black", lw=0.8, ls=":")
    ax.set_xticks(range(len(values)), labels, fontsize=8)
    # Headroom above the tallest bar for its label and for the legend in a row across the top.
    ax.set_ylim(0, 1.5 * max(1.0, max(values, default=0)))
    ax.set_ylabel("offered load (100% = all workers busy)")
    ax.set_title("How busy each pool is (workers in brackets)")
    legend = [
        Patch(facecolor=COLORS["server"], edgecolor="black", hatch=HATCH[k], label=label)
        for k, label in (("shared", "files + API"), ("static", "files"), ("api", "API"))
    ]
    ax.legend(handles=legend, fontsize=8, loc="upper center", ncol=3)
    return ax.figure


def tiers_figure(runs: dict[str, Served], title: str = "") -> Figure:
    """Each pool's utilisation (with the traffic per tier in the title) and each kind's p99 latency."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [5, 4]})
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.2, top=0.8, wspace=0.25)
    utilisation(runs, ax=left)
    rate = next(iter(runs.values())).rate
    # A title at a fixed height (y=…) spares matplotlib measuring every tick label to place it, and
    # three y ticks spare it drawing five more labels: the redraw stays quick (``make bench``).
    left.set_title(
        f"static {rate['static']:,.0f} req/s, API {rate['api']:,.0f} req/s: how busy each pool is",
        y=1.01,
    )
    left.set_yticks([0, 0.5, 1], ["0%", "50%", "100%"])
    api_tail(runs, ax=right, title="p99 latency by kind of request")
    right.set_title(right.get_title(), y=1.01)
    if title:
        fig.suptitle(title)
    return fig
