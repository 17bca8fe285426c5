"""A tiny single-page application on two real HTTP servers on 127.0.0.1, and a small browser to load it.

Chapter 02's loopback lab. :class:`SPALab` starts two :class:`~scalelab.net.LocalServer`\\ s in the
notebook's process:

* the **front end** serves the static files: ``index.html`` (the shell, ``no-cache``, with an ETag so a
  revisit is answered ``304 Not Modified``), fingerprinted JavaScript, CSS and an image
  (``immutable``), and one image that is not fingerprinted (``no-cache``, revalidated like the shell);
* the **back end** answers the JSON API (``no-store``) on another port, so another *origin*: it
  answers with ``Access-Control-Allow-Origin`` naming the front end's origin (CORS), and a
  preflight ``OPTIONS`` with what it allows, as a browser demands of a call across origins.

:class:`Browser` loads a page as a browser does, without running JavaScript: it fetches the shell,
reads the ``<script>``, ``<link>`` and ``<img>`` tags and the API calls the shell declares for the
script (``data-api`` and ``data-calls`` on ``<body>``), fetches them, and keeps what ``Cache-Control``
lets it keep, so a revisit asks only for the shell, the unfingerprinted image (both conditionally)
and the API calls. Each server's log counts what it served: the counts match
:func:`~scalelab.frontend.page.count_requests` for the lab's :attr:`SPALab.manifest`.

Everything is bounded: each fetch has a time limit, and the lab stops both servers on ``stop()``,
on leaving a ``with`` block, or when Python exits (:func:`scalelab.net.stop_all`).
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser

from scalelab.frontend.page import (
    IMMUTABLE,
    NO_CACHE,
    NO_STORE,
    Asset,
    BrowserCache,
    PageManifest,
    fingerprint,
)
from scalelab.net import LocalServer, Reply, Request, get
from scalelab.validate import positive

_APP_JS = """// The application: read the API's address and calls from the shell, fetch each, show them.
const body = document.body;
const api = body.dataset.api;
for (const path of body.dataset.calls.split(" ")) {
  fetch(api + path)
    .then((response) => response.json())
    .then((data) => {
      const item = document.createElement("pre");
      item.textContent = path + " → " + JSON.stringify(data);
      document.getElementById("app").appendChild(item);
    });
}
"""
_APP_CSS = (
    "body { font-family: sans-serif; margin: 2em; } pre { background: #eef; padding: 0.5em; }\n"
)
_LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    '<circle cx="20" cy="20" r="18" fill="#4C72B0"/></svg>\n'
)
_BANNER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20">'
    '<rect width="200" height="20" fill="#DD8452"/></svg>\n'
)
_API = {
    "/api/me": {"user": "ada", "name": "Ada"},
    "/api/feed": {"videos": [{"id": 1, "title": "Queues"}, {"id": 2, "title": "Caches"}]},
    "/api/notifications": {"unread": 3},
}
_TYPES = {
    "js": "text/javascript",
    "css": "text/css",
    "svg": "image/svg+xml",
    "html": "text/html; charset=utf-8",
}


def _static_files() -> dict[str, tuple[bytes, str, bool]]:
    """path → (content, content type, fingerprinted) of the front end's files, the shell aside."""
    files = {}
    for name, content, kind in (
        ("app.js", _APP_JS, "js"),
        ("app.css", _APP_CSS, "css"),
        ("logo.svg", _LOGO_SVG, "svg"),
    ):
        files[f"/static/{fingerprint(name, content)}"] = (content.encode(), _TYPES[kind], True)
    files["/static/banner.svg"] = (_BANNER_SVG.encode(), _TYPES["svg"], False)
    return files


def _shell(files: dict[str, tuple[bytes, str, bool]], api_url: str) -> str:
    script, css, logo, banner = list(files)  # in the order _static_files lists them
    calls = " ".join(_API)
    return (
        "<!doctype html>\n<html>\n<head>\n"
        '  <meta charset="utf-8">\n  <title>scalelab SPA</title>\n'
        f'  <link rel="stylesheet" href="{css}">\n'
        f'  <script src="{script}" defer></script>\n'
        "</head>\n"
        f'<body data-api="{api_url}" data-calls="{calls}">\n'
        f'  <img src="{logo}" alt="logo"> <img src="{banner}" alt="banner">\n'
        '  <h1>A single-page application</h1>\n  <div id="app"></div>\n'
        "</body>\n</html>\n"
    )


def _etag(content: bytes) -> str:
    return '"' + fingerprint("x", content).split(".")[1] + '"'


class SPALab:
    """The front end and the back end of a tiny SPA, each a real server on 127.0.0.1.

    >>> with SPALab() as lab:
    ...     browser = Browser()
    ...     page = browser.load(lab.url)
    ...     lab.counts()
    {'static': 5, 'api': 3}
    """

    def __init__(self) -> None:
        self.files = _static_files()
        self.frontend = LocalServer(self._serve_static, name="frontend")
        self.backend = LocalServer(self._serve_api, name="backend")

    # --- the two apps -----------------------------------------------------------------------------

    def _serve_static(self, request: Request) -> Reply:
        if request.method not in ("GET", "HEAD"):
            return Reply(405, "only GET and HEAD here")
        if request.path in ("/", "/index.html"):
            content = self.shell.encode()
            kind, cache = _TYPES["html"], NO_CACHE
        elif request.path in self.files:
            content, kind, fingerprinted = self.files[request.path]
            cache = IMMUTABLE if fingerprinted else NO_CACHE
        else:
            return Reply(404, f"no file {request.path}")
        etag = _etag(content)
        headers = {"Cache-Control": cache, "ETag": etag}
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", kind, headers)
        return Reply(200, content, kind, headers)

    def _serve_api(self, request: Request) -> Reply:
        cors = {
            "Access-Control-Allow-Origin": self.frontend.url,
            "Vary": "Origin",
            "Cache-Control": NO_STORE,
        }
        if (
            request.method == "OPTIONS"
        ):  # a preflight: what may a page from the front end send here?
            allow = {
                "Access-Control-Allow-Methods": "GET",
                "Access-Control-Allow-Headers": "Content-Type",
            }
            return Reply(204, b"", headers=cors | allow)
        if request.path not in _API:
            return Reply(
                404, json.dumps({"error": f"no API {request.path}"}), "application/json", cors
            )
        return Reply(200, json.dumps(_API[request.path]), "application/json", cors)

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> SPALab:
        self.backend.start()
        self.frontend.start()
        return self

    def stop(self) -> None:
        self.frontend.stop()
        self.backend.stop()

    def __enter__(self) -> SPALab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the learner looks at ----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The page's address: open it in a browser on this machine."""
        return self.frontend.url + "/"

    @property
    def shell(self) -> str:
        """``index.html``: it names the assets, and the API the script will call."""
        return _shell(self.files, self.backend.url)

    @property
    def manifest(self) -> PageManifest:
        """The page as :func:`~scalelab.frontend.page.count_requests` sees it."""
        assets = tuple(
            Asset(path, path.rsplit(".", 1)[-1], len(content) / 1000, fingerprinted)
            for path, (content, _, fingerprinted) in self.files.items()
        )
        shell = Asset("/", "html", len(self.shell.encode()) / 1000, fingerprinted=False)
        return PageManifest(shell, assets, tuple(_API))

    def counts(self) -> dict[str, int]:
        """Requests each server has logged since the last :meth:`clear_logs`: the front end's are static."""
        return {"static": len(self.frontend.log), "api": len(self.backend.log)}

    def clear_logs(self) -> None:
        self.frontend.clear_log()
        self.backend.clear_log()

    def __repr__(self) -> str:
        return f"SPALab(frontend={self.frontend!r}, backend={self.backend!r})"


class _Tags(HTMLParser):
    """The URLs a shell names: scripts, stylesheets and images, and the API calls on ``<body>``."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.api = ""
        self.calls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon"):
            self.assets.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "body":
            self.api = a.get("data-api", "")
            self.calls = a.get("data-calls", "").split()


@dataclass
class PageLoad:
    """One page view as the browser saw it: each request's URL and status, and what it skipped."""

    requests: list[tuple[str, int | None]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    cors_blocked: list[str] = field(default_factory=list)

    def statuses(self) -> dict[int | None, int]:
        """How many requests got each status (200, 304, …; ``None`` when nobody answered)."""
        out: dict[int | None, int] = {}
        for _, status in self.requests:
            out[status] = out.get(status, 0) + 1
        return out


class Browser:
    """Loads a page as a browser does (no JavaScript run), keeping an HTTP cache between page views.

    ``timeout`` bounds each request in seconds.
    """

    def __init__(self, timeout: float = 2.0) -> None:
        positive("timeout", timeout)
        self.cache = BrowserCache()
        self._etags: dict[str, str] = {}
        self.timeout = timeout

    def _fetch(self, url: str, load: PageLoad, headers: dict | None = None) -> bytes:
        path = urllib.parse.urlsplit(url).path or "/"
        extra = dict(headers or {})
        if self.cache.skip(path):
            load.skipped.append(path)
            return b""
        if self.cache.revalidate(path) and url in self._etags:
            extra["If-None-Match"] = self._etags[url]
        reply = get(url, timeout=self.timeout, headers=extra)
        load.requests.append((url, reply.status))
        if reply.ok:
            self.cache.store(path, reply.headers.get("Cache-Control", ""))
            if "ETag" in reply.headers:
                self._etags[url] = reply.headers["ETag"]
        return reply.body

    def load(self, url: str) -> PageLoad:
        """Fetch the shell at ``url``, every asset it names, then every API call it declares."""
        load = PageLoad()
        page = urllib.parse.urlsplit(url)
        origin = f"{page.scheme}://{page.netloc}"
        shell = get(url, timeout=self.timeout, headers=self._conditional(url, "/"))
        load.requests.append((url, shell.status))
        if not shell.ok:
            return load
        if shell.status == 200:
            self._shell = shell.text
            self.cache.store(page.path or "/", shell.headers.get("Cache-Control", ""))
            self._etags[url] = shell.headers.get("ETag", "")
        tags = _Tags()
        tags.feed(self._shell)
        for src in tags.assets:
            self._fetch(urllib.parse.urljoin(url, src), load)
        for path in tags.calls:
            reply = get(tags.api + path, timeout=self.timeout, headers={"Origin": origin})
            load.requests.append((tags.api + path, reply.status))
            if reply.headers.get("Access-Control-Allow-Origin") not in (origin, "*"):
                load.cors_blocked.append(path)  # a browser would hide the answer from the script
        return load

    def _conditional(self, url: str, path: str) -> dict:
        if self.cache.revalidate(path) and self._etags.get(url):
            return {"If-None-Match": self._etags[url]}
        return {}
