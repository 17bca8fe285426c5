"""Chapter 07's control panel: cache size, popularity skew, TTL, eviction policy, stampede protection.

The static figure the chapter shows above the panel is :func:`cache_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from scalelab.cache.lru import POLICIES, SimCache
from scalelab.cache.plots import hit_ratio_vs_size, stampede_timeline
from scalelab.cache.stampede import PROTECTIONS, stampede
from scalelab.theory import caching
from scalelab.viz.widgets import ControlPanel, slider

#: The chapter's catalogue, traffic and costs.
N_KEYS = 10_000
READ_RATE = 1_000  # reads per second
CACHE_TIME = 0.0005  # seconds per cache lookup
DB_TIME = 0.010  # seconds per database query
REBUILD_TIME = 1.0  # seconds to recompute the hot key's value (the stampede's δ)

#: Where the panel starts, and what the figure above it shows.
DEFAULTS = {"cache_percent": 10, "alpha": 0.9, "ttl": 0, "policy": "LRU", "protection": "none"}


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

    sizes = np.unique(np.r_[0, np.geomspace(20, N_KEYS // 2, 12)].astype(int))
    che = [caching.che_hit_ratio(popularity, c) for c in sizes]
    fig, (left, middle, right) = plt.subplots(
        1, 3, figsize=(14, 3.8), gridspec_kw={"width_ratios": [3, 1.4, 3]}
    )
    fig.subplots_adjust(left=0.05, right=0.95, bottom=0.15, wspace=0.35)
    ttl_only = caching.ttl_catalogue_hit_ratio(popularity, READ_RATE, ttl) if ttl else None
    hit_ratio_vs_size(
        sizes,
        np.array(che),
        {f"{policy}, simulated": ([capacity], [h])},
        N_KEYS,
        ttl_only,
        ax=left,
        title=f"Zipf α = {alpha:g} over {N_KEYS:,} keys",
    )
    latency = 1000 * caching.cache_aside_latency(h, CACHE_TIME, DB_TIME)
    db_load = caching.db_read_load(h, READ_RATE)
    middle.bar(
        ["mean latency\n(ms)", "database\n(reads/s ÷ 100)"],
        [latency, db_load / 100],
        color=["#55A868", "#C44E52"],
    )
    middle.set_title(f"hit ratio {h:.1%}")
    middle.set_ylim(0, 1.25 * max(latency, db_load / 100))
    middle.bar_label(middle.containers[0], labels=[f"{latency:.2f} ms", f"{db_load:,.0f}/s"])
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
    return fig


def panel() -> ControlPanel:
    """Chapter 07's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    return ControlPanel(
        cache_figure,
        cache_percent=slider("cache size (% of keys)", 1, 50, 1, DEFAULTS["cache_percent"]),
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
