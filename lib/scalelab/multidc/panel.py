"""Chapter 09's control panel: regions, routing policy, which region fails, health checks, DNS TTL,
replication lag.

The static figure the chapter shows above the panel is :func:`multidc_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from scalelab.multidc.failover import outage
from scalelab.multidc.plots import errors_over_time, latency_by_region
from scalelab.multidc.routing import POLICIES, REGIONS
from scalelab.viz.widgets import ControlPanel, slider

#: Where the users are (shares of requests).
USERS = {"Seoul": 0.4, "Frankfurt": 0.25, "New York": 0.2, "São Paulo": 0.15}
#: Health checks as Route 53 offers them: interval × failure threshold (CHAPTERS.md 09 (a) 2).
CHECKS = {"30 s × 3": 90.0, "10 s × 3": 30.0, "10 s × 1": 10.0}
NO_FAILURE = "none"
FAIL_AT = 60.0
DURATION = 480.0

DEFAULTS = {
    "regions": ("Seoul", "N. Virginia"),
    "policy": "nearest",
    "failed": "Seoul",
    "checks": "30 s × 3",
    "ttl": 60,
    "lag": 2.0,
}


def multidc_figure(
    regions: tuple[str, ...], policy: str, failed: str, checks: str, ttl: float, lag: float
) -> Figure:
    """Latency per user region before and after ``failed`` dies at 60 s, the failed requests over time,
    and the writes asynchronous replication lost."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.5), gridspec_kw={"width_ratios": [4, 5]})
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.2, top=0.86, wspace=0.22)
    chosen = {regions} if isinstance(regions, str) else set(regions)  # one region given as a name
    regions = tuple(r for r in REGIONS if r in chosen)
    if not regions:
        for ax in (left, right):
            ax.set_axis_off()
        fig.suptitle("Pick at least one region", x=0.06, ha="left", fontsize=10)
        return fig
    down = failed if failed in regions else None
    detection = CHECKS[checks]
    run = outage(
        USERS,
        regions,
        POLICIES[policy](),
        failed=down,
        fail_at=FAIL_AT,
        detection=detection,
        ttl=float(ttl),
        lag=float(lag),
        rate=40.0,
        duration=DURATION,
        n_users=1_000,
        rng=np.random.default_rng(9),
    )
    latency_by_region(
        run, FAIL_AT, ax=left, title=f"{policy} over {len(regions)} region(s): p50 per user region"
    )
    marks = {}
    if down:
        marks = {
            f"{down} fails": FAIL_AT,
            "DNS knows": FAIL_AT + detection,
            "+ TTL": FAIL_AT + detection + ttl,
        }
    last = run.last_error()
    errors_over_time(
        run,
        marks,
        ax=right,
        title=(
            f"{run.errors():,} failed requests"
            + (f", the last at {last:.0f} s" if run.errors() else "")
            + (
                f" · async lag {lag:g} s lost {run.writes_lost} writes"
                if down
                else " · no region fails"
            )
        ),
    )
    for ax in fig.axes:
        ax.set_title(ax.get_title("left"), loc="left", y=1.0, fontsize=9)
    if failed != NO_FAILURE and not down:
        fig.suptitle(
            f"{failed} is not one of the regions: nothing fails", x=0.06, ha="left", fontsize=9
        )
    return fig


def panel() -> ControlPanel:
    """Chapter 09's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    return ControlPanel(
        multidc_figure,
        regions=widgets.SelectMultiple(
            options=list(REGIONS),
            value=DEFAULTS["regions"],
            description="regions",
            rows=6,
            style=wide,
        ),
        policy=widgets.Dropdown(
            options=list(POLICIES), value=DEFAULTS["policy"], description="routing", style=wide
        ),
        failed=widgets.Dropdown(
            options=[NO_FAILURE, *REGIONS],
            value=DEFAULTS["failed"],
            description="region that fails",
            style=wide,
        ),
        checks=widgets.Dropdown(
            options=list(CHECKS), value=DEFAULTS["checks"], description="health check", style=wide
        ),
        ttl=slider("DNS TTL (s)", 0, 300, 10, DEFAULTS["ttl"]),
        lag=slider("replication lag (s)", 0.0, 10.0, 0.5, DEFAULTS["lag"]),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"09-multi-datacenter": panel}
