"""Chapter 02's control panel: page views, requests per page, static share, browser cache, protocol.

Every setting re-runs the same seeded page views, each browser waiting for its answers
(:func:`~scalelab.frontend.serving.closed_loop`), on one shared pool of 64 workers and on a static tier
and an API tier with the same 64 workers, and shows each tier's traffic, how busy each pool is, and
the p99 latency of static and API requests. The static figure above the panel is
:func:`frontend_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from scalelab.frontend import serving
from scalelab.frontend.page import PROTOCOLS, count_requests, load_rounds
from scalelab.frontend.plots import tiers_figure
from scalelab.viz.widgets import ControlPanel, slider

WORKERS = 64
"""Worker threads in all: one shared pool, or the static tier's and the API tier's together."""
API_WORKERS = 4
DURATION = 15
"""Seconds of page views per setting, cut short so that a setting sends at most :data:`MAX_REQUESTS`."""
MAX_REQUESTS = 15_000
"""Requests simulated per setting at most: the redraw stays within 300 ms at the heaviest setting."""

DEFAULTS = {
    "page_views": 24,
    "requests": 71,
    "static_percent": 93,
    "cache_percent": 0,
    "protocol": "HTTP/1.1",
}


def frontend_figure(
    page_views: int, requests: int, static_percent: int, cache_percent: int, protocol: str
) -> Figure:
    """``page_views`` per second of a page of ``requests`` requests (``static_percent`` % static),
    ``cache_percent`` % of them from a browser that has the page cached, over ``protocol``."""
    page = serving.synthetic_page(requests, static_percent / 100)
    traffic = serving.page_views(
        page_views,
        min(DURATION, MAX_REQUESTS / (page_views * requests)),
        page,
        np.random.default_rng(2),
        returning_share=cache_percent / 100,
        protocol=protocol,
    )
    runs = {
        "shared": serving.serve(traffic, WORKERS, closed=True),
        "split": serving.serve(traffic, WORKERS, API_WORKERS, closed=True),
    }
    first = count_requests(page, ())
    rounds = load_rounds(first["static"], first["api"], protocol)
    per_view = (
        f"({first['static']} static + {first['api']} API) requests"
        if first["api"]
        else f"{first['static']} static requests, no API calls"
    )
    title = (
        f"{page_views} page views/s × {per_view}, "
        f"{cache_percent}% with a warm cache; a first visit over {protocol}: {rounds} round trips"
    )
    return tiers_figure(runs, title)


def panel() -> ControlPanel:
    """Chapter 02's panel, starting at :data:`DEFAULTS`."""
    return ControlPanel(
        frontend_figure,
        page_views=slider("page views per second", 2, 30, 1, DEFAULTS["page_views"]),
        requests=slider("requests per page", 10, 150, 1, DEFAULTS["requests"]),
        static_percent=slider("static share (%)", 50, 99, 1, DEFAULTS["static_percent"]),
        cache_percent=slider("browser cache hits (%)", 0, 100, 5, DEFAULTS["cache_percent"]),
        protocol=widgets.Dropdown(
            options=list(PROTOCOLS),
            value=DEFAULTS["protocol"],
            description="protocol",
            style={"description_width": "160px"},
        ),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"02-frontend-backend": panel}
