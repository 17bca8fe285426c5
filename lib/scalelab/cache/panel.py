"""Chapter 07's control panel: cache size, popularity skew, TTL, eviction policy, stampede protection.

The static figure the chapter shows above the panel is :func:`cache_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from scalelab.cache.lru import POLICIES, SimCache
from scalelab.cache.plots import hit_ratio_vs_size, stampede_timeline
from scalelab.cache.stampede import PROTECTIONS, stampede
from scalelab.theory import caching
from scalelab.viz.style import COLORS
from scalelab.viz.widgets import ControlPanel, slider

#: The chapter's catalogue, traffic and costs.
N_KEYS = 10_000
READ_RATE = 1_000  # reads per second
CACHE_TIME = 0.0005  # seconds per cache lookup
DB_TIME = 0.010  # seconds per database query
REBUILD_TIME = 1.0  # seconds to recompute the hot key's value (the stampede's δ)

#: Where the panel starts, and what the figure above it shows.
DEFAULTS = {"cache_percent": 10, "alpha": 0.9, "ttl": 0, "policy": "LRU", "protection": "none"}


@functools.lru_cache(maxsize=32)
def _che_curve(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Che's LRU curve over the catalogue (sizes, hit ratios): solved once per α the slider visits."""
    popularity = caching.zipf_popularity(N_KEYS, alpha)
    sizes = np.unique(np.r_[0, np.geomspace(20, N_KEYS // 2, 12)].astype(int))
    return sizes, np.array([caching.che_hit_ratio(popularity, c) for c in sizes])


def cache_figure(
    cache_percent: int, alpha: float, ttl: int, policy: str, protection: str
) -> Figure:
    """60 s of seeded Zipf reads through one cache: its hit ratio, latency and database load, and a
    hot key's expiry (TTL 60 s when the TTL is off)."""
    popularity = caching.zipf_popularity(N_KEYS, alpha)
    duration = 60
    rng = np.random.default_rng(7)
    n = READ_RATE * duration
    keys = rng.choice(N_KEYS, size=n, p=popularity)
    times = np.sort(rng.uniform(0, duration, n))
    capacity = N_KEYS * cache_percent // 100
    sim = SimCache(capacity, policy, ttl or None, rng=np.random.default_rng(8))
    warm = n // 10
    h = float(sim.reads(keys, times)[warm:].mean())

    sizes, che = _che_curve(alpha)
    fig, (left, latency_ax, load_ax, right) = plt.subplots(
        1, 4, figsize=(14, 3.8), gridspec_kw={"width_ratios": [3, 0.7, 0.7, 3]}
    )
    # Fixed margins (no layout engine): the figure does not move as the sliders do, and redraws faster.
    fig.subplots_adjust(left=0.05, right=0.97, bottom=0.15, top=0.88, wspace=0.45)
    ttl_only = caching.ttl_catalogue_hit_ratio(popularity, READ_RATE, ttl) if ttl else None
    hit_ratio_vs_size(
        sizes,
        che,
        {f"{policy}, simulated": ([capacity], [h])},
        N_KEYS,
        ttl_only,
        ax=left,
        title=f"Zipf α = {alpha:g} over {N_KEYS:,} keys",
    )
    latency = 1000 * caching.cache_aside_latency(h, CACHE_TIME, DB_TIME)
    db_load = caching.db_read_load(h, READ_RATE)
    # Two small charts on fixed scales (no cache at all is the top), so a slider's effect shows.
    no_cache_ms = 1000 * (CACHE_TIME + DB_TIME)
    for ax, value, color, top, label, text in (
        (latency_ax, latency, COLORS["cache"], no_cache_ms, "mean read (ms)", f"{latency:.2f} ms"),
        (load_ax, db_load, COLORS["db"], READ_RATE, "database reads/s", f"{db_load:,.0f}/s"),
    ):
        bars = ax.bar([0], [value], width=0.6, color=color)
        ax.bar_label(bars, labels=[text], fontsize=8)
        ax.set_xlim(-0.6, 0.6)
        ax.set_ylim(0, 1.2 * top)
        ax.set_xticks([])
        ax.set_ylabel(label)
    latency_ax.set_title(f"hit ratio {h:.1%}", loc="left")
    for ax in (latency_ax, load_ax):
        ax.yaxis.set_major_locator(MaxNLocator(4))
    hot = stampede(
        READ_RATE,
        REBUILD_TIME,
        float(ttl or 60),
        protection,
        cycles=2,
        rng=np.random.default_rng(9),
    )
    stampede_timeline(
        {protection: hot},
        ax=right,
        title=f"hot key at {READ_RATE:,} reads/s, rebuild {REBUILD_TIME:g} s",
    )
    for (
        ax
    ) in fig.axes:  # titles at a fixed height (no tick labels on top to dodge): a faster redraw
        for loc in ("center", "left"):
            if ax.get_title(loc):
                ax.set_title(ax.get_title(loc), loc=loc, y=1.0)
    return fig


def panel() -> ControlPanel:
    """Chapter 07's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    return ControlPanel(
        cache_figure,
        cache_percent=slider("cache size (% of catalogue)", 1, 50, 1, DEFAULTS["cache_percent"]),
        alpha=slider("Zipf α (skew)", 0.5, 1.4, 0.1, DEFAULTS["alpha"]),
        ttl=slider("TTL (s, 0 = none)", 0, 120, 5, DEFAULTS["ttl"]),
        policy=widgets.Dropdown(
            options=list(POLICIES), value=DEFAULTS["policy"], description="eviction", style=wide
        ),
        protection=widgets.Dropdown(
            options=list(PROTECTIONS),
            value=DEFAULTS["protection"],
            description="stampede protection",
            style=wide,
        ),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"07-cache": panel}
