"""Chapter 02, front end and back end: a page view is a shell, tens of static files and a few API calls.

:mod:`~scalelab.frontend.page` counts what a page view asks of each tier (the browser's cache
included: fingerprinted assets are kept, the shell is asked again) and sizes the tiers;
:mod:`~scalelab.frontend.serving` runs page views on one shared pool of workers or on a static tier
and an API tier; :mod:`~scalelab.frontend.spa` serves a tiny single-page application and its JSON API
from two real HTTP servers on 127.0.0.1, and loads it with a small browser that keeps a cache.
"""

from scalelab.frontend.page import (
    HTTP1_CONNECTIONS,
    HTTP2_STREAMS,
    IMMUTABLE,
    MEDIAN_PAGE_KB,
    MEDIAN_PAGE_REQUESTS,
    NO_CACHE,
    NO_STORE,
    PROTOCOLS,
    Asset,
    BrowserCache,
    PageManifest,
    count_requests,
    fingerprint,
    load_rounds,
    median_page,
    mixed_requests,
    servers_needed,
    size_tiers,
)
from scalelab.frontend.serving import (
    API_TARGET_S,
    Comparison,
    PageTraffic,
    Served,
    closed_loop,
    compare,
    most_at_server,
    page_views,
    serve,
    synthetic_page,
)

__all__ = [
    "HTTP1_CONNECTIONS",
    "HTTP2_STREAMS",
    "IMMUTABLE",
    "MEDIAN_PAGE_KB",
    "MEDIAN_PAGE_REQUESTS",
    "NO_CACHE",
    "NO_STORE",
    "PROTOCOLS",
    "Asset",
    "BrowserCache",
    "PageManifest",
    "count_requests",
    "fingerprint",
    "load_rounds",
    "median_page",
    "mixed_requests",
    "servers_needed",
    "size_tiers",
    "API_TARGET_S",
    "Comparison",
    "PageTraffic",
    "closed_loop",
    "compare",
    "most_at_server",
    "Served",
    "page_views",
    "serve",
    "synthetic_page",
]
