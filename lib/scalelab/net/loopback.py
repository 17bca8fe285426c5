"""Real HTTP servers on this machine's loopback address, started and stopped by the notebook.

The simulator is the course's backbone; a loopback lab lets a learner see the same idea serve real
requests once (chapter 02's page and API, chapter 05's balancer in front of real backends). Everything
here stays inside the notebook's own process and on ``127.0.0.0/8``:

* :class:`LocalServer` runs the standard library's ``ThreadingHTTPServer`` in a daemon thread, on a
  free port chosen by the operating system, and keeps a log of the requests it answered (what the
  learner counts). An *app* is one function ``app(request) -> Reply``, so a server is a few lines.
* :func:`get` fetches a URL with a time limit and never raises for an HTTP error or a refused
  connection: it returns a :class:`Fetched` with the status (``None`` when nobody answered).
* :func:`stop_all` stops every server this module started and everything built on them that
  registered with :func:`track` (health checks, a proxy, a lab), also when the interpreter exits, so a
  notebook that is re-run or interrupted leaves nothing listening or probing.
"""

from __future__ import annotations

import atexit
import http.client
import ipaddress
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from numbers import Integral

HOST = "127.0.0.1"
TIMEOUT = 2.0
"""Seconds a request may take before it is given up (every call here is bounded in time)."""


def check_loopback(host: str) -> str:
    """Return ``host`` if it is an address in 127.0.0.0/8, else raise one clear ``ValueError``."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or not address.is_loopback:
        raise ValueError(
            f"the lab serves only on this machine's loopback address (127.0.0.0/8, e.g. "
            f"'127.0.0.1'), got {host!r}"
        )
    return host


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nobody listens on now (the operating system picks it)."""
    with socket.socket() as s:
        s.bind((check_loopback(host), 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Request:
    """What an app sees of one HTTP request."""

    method: str
    path: str
    """The path without the query string, e.g. ``/api/videos``."""
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    """What an app answers: a status, a body (bytes or text), and headers."""

    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LogLine:
    """One answered request, as the server's log keeps it."""

    time: float
    """Seconds since the server started."""
    method: str
    path: str
    status: int


App = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    """The standard library's threading server, quiet when a client hangs up early (a load that
    stops at its deadline, a probe that timed out): nothing to report, and nothing printed into the
    notebook. Any other error in a handler is printed as usual."""

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


_RUNNING: dict[object, None] = {}
"""Everything started here and not stopped yet, oldest first: servers, and anything built on them that
has ``stop()`` (health checks, a proxy, a lab), which registers itself with :func:`track`."""
_RUNNING_LOCK = threading.Lock()


def track(thing: object) -> None:
    """Have :func:`stop_all` stop ``thing`` (anything with a ``stop()`` method) until :func:`untrack`."""
    if not callable(getattr(thing, "stop", None)):
        raise TypeError(f"expected something with a stop() method, got {thing!r}")
    with _RUNNING_LOCK:
        _RUNNING[thing] = None


def untrack(thing: object) -> None:
    """``thing`` stopped: :func:`stop_all` has nothing more to do for it."""
    with _RUNNING_LOCK:
        _RUNNING.pop(thing, None)


class LocalServer:
    """One HTTP server on ``127.0.0.1``, answering with ``app``, in a thread of this process.

    >>> server = LocalServer(lambda request: Reply(body="hello"), name="hello").start()
    >>> get(server.url + "/").text
    'hello'
    >>> [line.path for line in server.log]
    ['/']
    >>> server.stop()

    Use it as a context manager (``with LocalServer(app) as server:``) to stop it whatever happens.
    An app that raises answers 500 (the error is in the log's status, not a traceback).
    """

    def __init__(self, app: App, name: str = "server", host: str = HOST, port: int | None = None):
        if not callable(app):
            raise TypeError(f"app must be a function app(request) -> Reply, got {app!r}")
        self.app = app
        self.name = name
        self.host = check_loopback(host)
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, Integral) or not 0 <= port <= 65535
        ):
            raise ValueError(f"port must be 0–65535 or None, got {port!r}")
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._log: list[LogLine] = []
        self._lock = threading.Lock()

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> LocalServer:
        """Listen and serve in a background thread; returns the server: ``s = LocalServer(app).start()``."""
        if self.running:
            return self
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=url.path,
                    query=dict(urllib.parse.parse_qsl(url.query)),
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    reply = server.app(request)
                    if not isinstance(reply, Reply):
                        raise TypeError(f"the app returned {type(reply).__name__}, not a Reply")
                except Exception as error:  # noqa: BLE001 - a broken app answers 500, it does not crash
                    reply = Reply(500, f"{type(error).__name__}: {error}")
                data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                # The line is logged before the answer goes out: whoever holds an answer finds it
                # in the log (a line written after would race the client's next look at the log).
                server._record(self.command, url.path, reply.status)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the server keeps its own log; nothing printed into the notebook

        port = self._port if self._port is not None else 0
        try:
            self._httpd = _Server((self.host, port), Handler)
        except OSError as error:
            raise RuntimeError(
                f"{self.name} could not listen on {self.host}:{port} ({error.strerror}); "
                "leave port=None to let the system pick a free one"
            ) from None
        self._httpd.daemon_threads = True
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"scalelab-{self.name}",
            daemon=True,
        )
        self._thread.start()
        track(self)
        return self

    def stop(self) -> None:
        """Stop listening (new connections are refused) and wait for the serving thread, at most 2 s."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            self._port = httpd.server_address[1]  # start() again comes back on the same address
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT)
            self._thread = None
        untrack(self)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the learner looks at ----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is not None:
            return self._httpd.server_address[1]
        if self._port is None:
            raise RuntimeError(f"{self.name} has not been started: call start() first")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def log(self) -> list[LogLine]:
        """The requests answered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._log.append(LogLine(time.monotonic() - self._started, method, path, status))

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalServer({self.name!r}, {where}, {len(self._log)} requests logged)"


def stop_all() -> int:
    """Stop everything started here and still running, newest first (a lab before its proxy, health
    checks and servers); returns how many servers were listening."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for thing in reversed(running):
        with _RUNNING_LOCK:
            if thing not in _RUNNING:
                continue  # stopped already, with what it belongs to
        try:
            thing.stop()
        finally:
            untrack(thing)
    return sum(isinstance(thing, LocalServer) for thing in running)


atexit.register(stop_all)


@dataclass(frozen=True)
class Fetched:
    """The answer to :func:`get`: ``status`` is ``None`` when no server answered (refused, timed out),
    and ``error`` then says why (``no reply within 2 s``, ``ConnectionRefusedError: …``)."""

    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def get(
    url: str, timeout: float = TIMEOUT, method: str = "GET", headers: dict | None = None
) -> Fetched:
    """Fetch ``url`` (on the loopback address only) within ``timeout`` seconds; never raises for
    an HTTP error status or a server that is not there."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"expected a URL like 'http://127.0.0.1:8000/path', got {url!r}")
    check_loopback(parts.hostname)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Fetched(response.status, response.read(), dict(response.getheaders()))
    except TimeoutError:
        return Fetched(None, error=f"no reply within {timeout:g} s")
    except (OSError, http.client.HTTPException) as error:
        return Fetched(None, error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()
