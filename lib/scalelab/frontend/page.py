"""What one page view costs the servers: the page's manifest, the browser's cache, the requests.

A single-page application (SPA) is an HTML **shell** (``index.html``, a few hundred bytes that name the
application's files), **static assets** (JavaScript, CSS, images, fonts), and **API calls** the
JavaScript makes once it runs (``GET /api/feed``, JSON answers). The shell and the assets are the
same for every user: a static file server (Nginx, later a CDN, chapter 08) can answer them. The API
calls are computed for each user by the application: the back end.

The browser keeps what it may (the HTTP cache, RFC 9111). The house rule here, which build tools
(webpack, Vite) make easy:

* an asset whose name carries a hash of its content (``app.3f9a1c.js``: **fingerprinted**) never
  changes under that name, so it is served ``Cache-Control: public, max-age=31536000, immutable``
  (RFC 8246): once cached, a page view asks nothing for it;
* everything else, the shell above all, is served ``no-cache``: the browser may keep it but must ask
  the server again on every page view (a conditional request, answered ``304 Not Modified`` when it has
  not changed: one request all the same). The shell must be re-asked, or a new release never reaches
  anyone: it is what names the new fingerprints;
* API answers are per user and change: ``no-store``, a request on every page view.

So a first visit costs 1 + every asset + every API call, and a revisit 1 + the assets that are not
fingerprinted + every API call: :func:`count_requests`. :func:`size_tiers` turns requests per page
view into servers per tier, and :func:`load_rounds` counts how many round trips the browser needs
to fetch them over HTTP/1.1 (6 connections per host) or HTTP/2 (many streams on one connection).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scalelab.validate import at_least_zero, positive

IMMUTABLE = "public, max-age=31536000, immutable"
"""Cache-Control of a fingerprinted asset: a year, and never revalidated (RFC 8246)."""
NO_CACHE = "no-cache"
"""Cache-Control of the shell and of unfingerprinted assets: keep it, but ask again each time."""
NO_STORE = "no-store"
"""Cache-Control of an API answer: per user, never kept."""

HTTP1_CONNECTIONS = 6
"""Parallel connections a browser opens per host over HTTP/1.1 ("most modern browsers … open up to six
connections per host": Ilya Grigorik, High Performance Browser Networking, 2013)."""
HTTP2_STREAMS = 100
"""Concurrent streams on one HTTP/2 connection (RFC 9113 §5.1.2 advises at least 100)."""
PROTOCOLS = ("HTTP/1.1", "HTTP/2")


def fingerprint(name: str, content: bytes | str) -> str:
    """``app.js`` → ``app.<8 hex digits of the content's SHA-256>.js``: the name changes with the content."""
    data = content.encode() if isinstance(content, str) else content
    digest = hashlib.sha256(data).hexdigest()[:8]
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


@dataclass(frozen=True)
class Asset:
    """One static file a page needs: its URL path, its kind, its size, and whether it is fingerprinted."""

    path: str
    kind: str = "js"
    size_kb: float = 0.0
    fingerprinted: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise ValueError(f"an asset's path must start with '/', got {self.path!r}")
        at_least_zero("size_kb", self.size_kb, "a size in KB")
        if not isinstance(self.fingerprinted, bool):
            raise ValueError(f"fingerprinted must be True or False, got {self.fingerprinted!r}")

    @property
    def cache_control(self) -> str:
        """The header the static server sends with it (see the module's house rule)."""
        return IMMUTABLE if self.fingerprinted else NO_CACHE


@dataclass(frozen=True)
class PageManifest:
    """A page view: the HTML shell, the static assets it names, and the API calls its script makes.

    Paths are distinct: a browser asks for one URL once per page view.
    """

    shell: Asset
    assets: tuple[Asset, ...] = ()
    api_calls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.shell, Asset):
            raise ValueError(f"shell must be an Asset, got {type(self.shell).__name__}")
        for name, items in (("assets", self.assets), ("api_calls", self.api_calls)):
            if isinstance(items, str | bytes) or not isinstance(items, Iterable):
                raise ValueError(f"{name} must be a tuple, got {type(items).__name__} {items!r}")
        object.__setattr__(self, "assets", tuple(self.assets))
        object.__setattr__(self, "api_calls", tuple(self.api_calls))
        for a in self.assets:
            if not isinstance(a, Asset):
                raise ValueError(f"assets must hold Assets, got {type(a).__name__} {a!r}")
        for c in self.api_calls:
            if not isinstance(c, str) or not c.startswith("/"):
                raise ValueError(f"api_calls must hold paths that start with '/', got {c!r}")
        if self.shell.fingerprinted:
            raise ValueError(
                f"the shell {self.shell.path!r} must not be fingerprinted: its URL is the page's "
                "address, which never changes"
            )
        paths = [self.shell.path] + [a.path for a in self.assets]
        for name, listed in (("asset", paths), ("API call", list(self.api_calls))):
            repeated = sorted({p for p in listed if listed.count(p) > 1})
            if repeated:
                raise ValueError(f"every {name} path must appear once, got repeats {repeated}")

    @property
    def paths(self) -> list[str]:
        """Every static path of the page, the shell first."""
        return [self.shell.path] + [a.path for a in self.assets]

    @property
    def size_kb(self) -> float:
        """KB of the shell and every asset (what a first visit downloads, API answers aside)."""
        return self.shell.size_kb + sum(a.size_kb for a in self.assets)

    def first_visit_cache(self) -> set[str]:
        """What the browser holds after one page view: every static path (the shell too, to revalidate)."""
        return set(self.paths)


def count_requests(manifest: PageManifest, cache_state: Iterable[str]) -> dict[str, int]:
    """Requests one page view sends, by tier: ``{"static": n, "api": m}``.

    ``cache_state`` holds the paths the browser has kept from earlier visits. The shell is always asked
    for (``no-cache``), a fingerprinted asset in the cache costs nothing, any other asset costs one
    request, and every API call is made on every page view (``no-store``).

    >>> assets = (Asset("/app.1a2b.js"), Asset("/logo.png", "img", 5, False))
    >>> page = PageManifest(Asset("/", "html", 1, False), assets, ("/api/me",))
    >>> count_requests(page, set()), count_requests(page, page.first_visit_cache())
    ({'static': 3, 'api': 1}, {'static': 2, 'api': 1})
    """
    if not isinstance(manifest, PageManifest):
        raise ValueError(f"manifest must be a PageManifest, got {type(manifest).__name__}")
    if isinstance(cache_state, str | bytes) or not isinstance(cache_state, Iterable):
        raise ValueError(
            f"cache_state must be a set of paths such as {{'/'}}, got {type(cache_state).__name__} "
            f"{cache_state!r}"
        )
    cached = set(cache_state)
    static = 1 + sum(1 for a in manifest.assets if not (a.fingerprinted and a.path in cached))
    return {"static": static, "api": len(manifest.api_calls)}


def mixed_requests(manifest: PageManifest, returning_share: float) -> dict[str, float]:
    """Mean requests per page view when ``returning_share`` of views come from a warm browser cache."""
    at_least_zero("returning_share", returning_share, "a share between 0 and 1")
    if returning_share > 1:
        raise ValueError(f"returning_share must be between 0 and 1, got {returning_share}")
    first = count_requests(manifest, ())
    again = count_requests(manifest, manifest.first_visit_cache())
    return {k: (1 - returning_share) * first[k] + returning_share * again[k] for k in first}


def servers_needed(load: float, target_util: float) -> int:
    """Whole servers so that ``load`` (busy servers' worth of work) keeps each at most ``target_util`` busy.

    Rounded up: 0.3 servers' worth needs 1; exactly 2 needs 2 (a hair of floating-point error above a
    whole number, 2.0000000000000004, is not a third server).
    """
    at_least_zero("load", load, "a load in servers")
    positive("target_util", target_util)
    if target_util > 1:
        raise ValueError(f"target_util must be at most 1 (100% busy), got {target_util}")
    return math.ceil(round(load / target_util, 9))


def size_tiers(
    page_views_per_s: float,
    requests: Mapping[str, float],
    cpu_static: float,
    cpu_api: float,
    target_util: float,
    peak_factor: float,
) -> dict[str, int]:
    """Servers per tier for ``page_views_per_s`` on average, sized for the peak.

    Each tier's load at peak is ``peak_factor · page_views_per_s · requests[tier] · cpu_<tier>``
    server-seconds per second (busy servers), divided by ``target_util`` and rounded up.

    >>> size_tiers(1_000_000 / 86_400, {"static": 66, "api": 5}, 0.001, 0.020, 0.7, 2)
    {'static': 3, 'api': 4}
    """
    at_least_zero("page_views_per_s", page_views_per_s, "a rate", finite=True)
    if not isinstance(requests, Mapping) or not {"static", "api"} <= set(requests):
        raise ValueError(
            'requests must be a dict with keys "static" and "api", such as {"static": 66, "api": 5}, '
            f"got {requests!r}"
        )
    for tier in ("static", "api"):
        at_least_zero(f'requests["{tier}"]', requests[tier], "a number of requests", finite=True)
    at_least_zero("cpu_static", cpu_static, "a number of seconds", finite=True)
    at_least_zero("cpu_api", cpu_api, "a number of seconds", finite=True)
    positive("target_util", target_util)
    if target_util > 1:
        raise ValueError(f"target_util must be at most 1 (100% busy), got {target_util}")
    positive("peak_factor", peak_factor)
    if peak_factor < 1:
        raise ValueError(
            f"peak_factor must be at least 1 (the peak is never below the average), got {peak_factor}"
        )
    peak = peak_factor * page_views_per_s
    cpu = {"static": cpu_static, "api": cpu_api}
    return {tier: servers_needed(peak * requests[tier] * cpu[tier], target_util) for tier in cpu}


def load_rounds(static: int, api: int, protocol: str = "HTTP/1.1") -> int:
    """Round trips to fetch a page view's requests, when every request fits in one round trip.

    The shell comes first (it names everything else); then the assets, from the static host; then the
    API calls, from the API host, once the script runs. Over HTTP/1.1 a host gets 6 requests in flight
    at once, over HTTP/2 100 streams on one connection. ``static`` counts the shell.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if static < 1:
        raise ValueError(f"a page view fetches its shell: static must be at least 1, got {static}")
    at_least_zero("api", api, "a number of requests")
    width = HTTP1_CONNECTIONS if protocol == "HTTP/1.1" else HTTP2_STREAMS
    return 1 + math.ceil((static - 1) / width) + math.ceil(api / width)


@dataclass(frozen=True)
class BrowserCache:
    """A browser's HTTP cache, as far as this chapter needs it: what it keeps, and what it may skip.

    :meth:`store` keeps a response's path by its ``Cache-Control``; :meth:`skip` says whether a page
    view can use the kept copy without asking (only an ``immutable`` one); :meth:`revalidate` whether it
    has a copy to ask about (``no-cache``: a conditional request, one request all the same).
    """

    kept: dict[str, str] = field(default_factory=dict)

    def store(self, path: str, cache_control: str) -> None:
        if "no-store" not in cache_control:
            self.kept[path] = cache_control

    def skip(self, path: str) -> bool:
        return "immutable" in self.kept.get(path, "")

    def revalidate(self, path: str) -> bool:
        return path in self.kept and not self.skip(path)

    @property
    def paths(self) -> set[str]:
        return set(self.kept)


#: The median desktop page of HTTP Archive's Web Almanac 2024 (October 2024 crawl): 71 requests,
#: 2,652 KB; 24 JavaScript files (613 KB), 18 images (1,054 KB). How the other requests split (CSS,
#: fonts, the HTML) and that 5 of the 71 are API calls is this chapter's assumption.
MEDIAN_PAGE_KB = 2_652
MEDIAN_PAGE_REQUESTS = 71


def median_page() -> PageManifest:
    """A page shaped like the 2024 median desktop page: 1 shell + 65 assets + 5 API calls = 71 requests."""
    js = [Asset(f"/static/js/chunk-{i:02d}.{i:04x}ab12.js", "js", 613 / 24) for i in range(24)]
    img = [
        Asset(f"/static/img/photo-{i:02d}.{i:04x}cd34.jpg", "img", 1_054 / 18) for i in range(18)
    ]
    css = [Asset(f"/static/css/style-{i}.{i:04x}ef56.css", "css", 12.0) for i in range(8)]
    fonts = [Asset(f"/static/fonts/font-{i}.{i:04x}9a78.woff2", "font", 30.0) for i in range(4)]
    other_kb = MEDIAN_PAGE_KB - 30 - 613 - 1_054 - 8 * 12.0 - 4 * 30.0  # the shell is 30 KB
    other = [
        Asset(f"/static/misc/part-{i:02d}.{i:04x}0b1c.json", "other", other_kb / 11)
        for i in range(11)
    ]
    return PageManifest(
        Asset("/", "html", 30.0, fingerprinted=False),
        tuple(js + css + fonts + img + other),
        ("/api/me", "/api/feed", "/api/notifications", "/api/recommendations", "/api/ads"),
    )
