"""Chapter 12's control panel: scheme, shard count, add or remove a shard, virtual nodes, key skew.

The static figure the chapter shows above the panel is :func:`sharding_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from scalelab.sharding import spread
from scalelab.sharding.plots import moved_bars, per_shard_bars
from scalelab.viz.widgets import ControlPanel, slider

#: User ids 0 .. N_KEYS − 1 (the keys the panel shards).
N_KEYS = 20_000
#: A celebrity's extra share of all requests when the box is ticked.
CELEBRITY = 0.10
RESIZES = {"add a shard": +1, "remove a shard": -1}

#: Where the panel starts, and what the figure above it shows.
DEFAULTS = {
    "scheme": "ring",
    "n_shards": 4,
    "resize": "add a shard",
    "vnodes": 100,
    "alpha": 0.9,
    "celebrity": False,
}


# What the controls revisit is computed once (a few ms each, a third of a redraw otherwise).
_assign = functools.lru_cache(maxsize=256)(spread.assign)
_moved = functools.lru_cache(maxsize=1024)(spread.moved)


@functools.lru_cache(maxsize=64)
def _popularity(alpha: float, celebrity: bool) -> np.ndarray:
    return spread.popularity(N_KEYS, alpha, CELEBRITY if celebrity else 0.0)


def sharding_figure(
    scheme: str, n_shards: int, resize: str, vnodes: int, alpha: float, celebrity: bool
) -> Figure:
    """Keys per shard, requests per shard (Zipf α, maybe one celebrity), and the keys each scheme
    moves when a shard is added or removed (the chosen scheme darker)."""
    after = n_shards + RESIZES[resize]
    refused = after < 1
    if refused:
        after = n_shards + 1  # one shard cannot lose one: show adding one instead, and say so
    vnodes = int(vnodes)
    shard = _assign(scheme, n_shards, N_KEYS, vnodes)
    weights = _popularity(float(alpha), bool(celebrity))
    keys = spread.per_shard(shard, n_shards)
    load = spread.per_shard(shard, n_shards, weights)
    moved = {s: _moved(s, n_shards, after, N_KEYS, vnodes) for s in spread.SCHEMES}
    ideal = abs(after - n_shards) / max(after, n_shards)

    fig, (left, middle, right) = plt.subplots(
        1, 3, figsize=(14, 3.8), gridspec_kw={"width_ratios": [3, 3, 2.4]}
    )
    # Fixed margins (no layout engine): the figure does not move as the controls do.
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.15, top=0.86, wspace=0.3)
    label = f"ring, V = {vnodes}" if scheme == "ring" else scheme
    per_shard_bars(
        keys,
        ax=left,
        title=f"{label}: {N_KEYS:,} users on {n_shards} shards (max/mean {keys.max() / keys.mean():.2f})",
        ylabel="users",
    )
    per_shard_bars(
        load,
        ax=middle,
        percent=True,
        title=f"requests, Zipf α = {alpha:g}"
        + (f" + a celebrity ({CELEBRITY:.0%})" if celebrity else "")
        + f": hottest {100 * load.max():.1f}%",
        ylabel="share of requests",
    )
    verb = "add" if after > n_shards else "remove"
    title = f"{n_shards} → {after} shards ({verb} one): keys moved"
    if refused:
        title = f"1 shard cannot lose one: 1 → {after} (add one) instead, keys moved"
    moved_bars(moved, ideal, highlight=scheme, ax=right, title=title)
    for ax in fig.axes:  # titles at a fixed height: a faster redraw
        if ax.get_title("left"):
            ax.set_title(ax.get_title("left"), loc="left", y=1.0, fontsize=9)
    return fig


def panel() -> ControlPanel:
    """Chapter 12's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    return ControlPanel(
        sharding_figure,
        scheme=widgets.Dropdown(
            options=list(spread.SCHEMES), value=DEFAULTS["scheme"], description="scheme", style=wide
        ),
        n_shards=slider("shards", 1, 16, 1, DEFAULTS["n_shards"]),
        resize=widgets.Dropdown(
            options=list(RESIZES), value=DEFAULTS["resize"], description="resize", style=wide
        ),
        vnodes=widgets.SelectionSlider(
            options=[1, 2, 4, 8, 16, 32, 64, 100, 128, 256, 512],
            value=DEFAULTS["vnodes"],
            description="virtual nodes V (ring)",
            continuous_update=False,
            style=wide,
            layout=widgets.Layout(width="420px"),
        ),
        alpha=slider("Zipf α (skew)", 0.0, 1.4, 0.1, DEFAULTS["alpha"]),
        celebrity=widgets.Checkbox(
            value=DEFAULTS["celebrity"],
            description=f"one celebrity ({CELEBRITY:.0%} of requests)",
            style=wide,
        ),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"12-sharding": panel}
