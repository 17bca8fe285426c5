"""Chapter 08's control panel: which cities have an edge, the TTL, object popularity, the price table.

The static figure the chapter shows above the panel is :func:`cdn_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from scalelab.cdn.plots import latency_by_place, origin_bars
from scalelab.cdn.pricing import TABLES
from scalelab.cdn.scenario import run
from scalelab.viz.widgets import ControlPanel, slider

#: Edge sets the panel offers (the origin stays in N. Virginia).
EDGE_SETS = {
    "none (origin only)": (),
    "Seoul": ("Seoul",),
    "Seoul + Frankfurt": ("Seoul", "Frankfurt"),
    "Seoul + Frankfurt + São Paulo": ("Seoul", "Frankfurt", "São Paulo"),
}
TTLS = [1, 5, 30, 300]
#: Requests per second the panel simulates (fewer than the chapter's runs: a redraw within 250 ms).
RATE = 100.0

DEFAULTS = {
    "edges": "Seoul + Frankfurt + São Paulo",
    "ttl": 30,
    "alpha": 0.9,
    "prices": "CloudFront US/Europe (tiered)",
}


@functools.lru_cache(maxsize=128)
def _run(edges: str, ttl: float, alpha: float, prices: str):  # noqa: ANN202 (an Outcome)
    return run(EDGE_SETS[edges], ttl=ttl, alpha=alpha, tiers=TABLES[prices], rate=RATE)


def cdn_figure(edges: str, ttl: float, alpha: float, prices: str) -> Figure:
    """p50/p99 per user city; edge hits, stale hits and origin fetches; origin egress and the monthly bill."""
    out = _run(edges, float(ttl), round(float(alpha), 2), prices)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [3, 2]})
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.84, wspace=0.3)
    latency_by_place(
        out.places,
        out.p50,
        out.p99,
        ax=left,
        title=f"edges: {edges}; TTL {ttl:g} s; Zipf α {alpha:g}",
    )
    fresh = out.hit_ratio * (1 - out.stale)
    origin_bars(
        {"fresh hit": fresh, "stale hit": out.hit_ratio - fresh, "origin": out.origin_share},
        ax=right,
        title=f"origin {out.origin_gb_month / 1e6:,.2f} PB/month; bill ${out.cost_month:,.0f}/month",
    )
    for ax in fig.axes:
        ax.set_title(ax.get_title("left"), loc="left", y=1.0, fontsize=9)
    return fig


def panel() -> ControlPanel:
    """Chapter 08's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "120px"}
    return ControlPanel(
        cdn_figure,
        edges=widgets.Dropdown(
            options=list(EDGE_SETS), value=DEFAULTS["edges"], description="edges", style=wide
        ),
        ttl=widgets.SelectionSlider(
            options=TTLS,
            value=DEFAULTS["ttl"],
            description="TTL (s)",
            continuous_update=False,
            style=wide,
        ),
        alpha=slider("Zipf α", 0.0, 1.4, 0.1, DEFAULTS["alpha"]),
        prices=widgets.Dropdown(
            options=list(TABLES), value=DEFAULTS["prices"], description="price table", style=wide
        ),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"08-cdn": panel}
