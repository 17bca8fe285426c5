"""App and database on one box, or the database on a server of its own (chapter 03).

The seed's step 데이터베이스 is "DB 전용 서버의 등장": the database moves off the machine that runs the
application. Why? On one box the two fight over the same two things:

* **memory.** The application's processes need RAM (its heap, its workers); the database keeps the pages
  it reads in a *buffer cache* in RAM. Whatever the application takes, the cache loses. While the
  database's *working set* (the pages its queries touch) fits in the cache, a page costs a memory read,
  about 100 ns; once it spills, each missing page is a random SSD read, about 100 µs: **1,000× slower**
  (sirupsen/napkin-math, "Numbers": random memory read 50 ns for 64 bytes, random SSD seek 100 µs for
  8 KiB; a page lookup touches a few cache lines, hence 100 ns here).
* **CPU.** Every query's work runs on the cores that should be answering users. A slow query (a scan of
  a big table with no index) steals them from every request, not only from its own.

Moving the database to its own server gives each side all of one machine's RAM and cores, at the price
of a network round trip per query (:data:`NETWORK_RTT_S`) and a second machine to run.

The model (a teaching model: the numbers are orders of magnitude, the shapes are the lesson):

* A request does :data:`APP_CPU_S` of application work (exponentially distributed), then
  :data:`QUERIES_PER_REQUEST` queries, each a read or, with probability ``write_share``, a write.
* A **read** through an index walks a B-tree: :func:`btree_depth` pages (about log₁₀₀ rows) plus the
  row's own page. A read **without** an index scans the table: every page, every row.
* A **write** finds its row by primary key, changes the table's page and, when there is an index, the
  index's page as well, and appends to the log (:data:`LOG_WRITE_S`). So an index makes reads cheap and
  writes a little dearer.
* Each page costs :data:`PAGE_CPU_S` of CPU plus its fetch: :data:`MEMORY_READ_S` when in the buffer
  cache, else :data:`SSD_RANDOM_READ_S` for a lookup or :data:`SSD_SEQUENTIAL_READ_S` for a scan (a scan
  reads pages in order). Each row a query examines costs :data:`ROW_CPU_S` (about what real SQLite
  takes per row in this chapter's scan). With uniform access the hit ratio is cache ÷ working set, at
  most 1 (:func:`hit_ratio`).
* **Shared**: one station whose workers are the box's cores; a worker is busy for the app work and the
  query. The cache gets the RAM left after the OS and the application (:func:`cache_gb`).
* **Dedicated**: the app box serves the app work, then the request crosses the network to the database
  box, which serves the query with its own cores and nearly all its RAM as cache (a two-tier
  :class:`~scalelab.sim.Topology`: app, then database).

Real systems: PostgreSQL's ``shared_buffers`` and the OS page cache, MySQL InnoDB's buffer pool (often
sized to most of a dedicated server's RAM), SQLite's page cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scalelab.sim import Server, Tier, Topology, Workload, simulate
from scalelab.validate import positive, positive_int

MEMORY_READ_S = 100e-9
"""A page found in the buffer cache (RAM): about 100 ns (napkin-math: random memory read 50 ns)."""
SSD_RANDOM_READ_S = 100e-6
"""A page missing from the cache, read from SSD at a random place: about 100 µs (napkin-math)."""
SSD_SEQUENTIAL_READ_S = 1e-6
"""A missing page read in order during a scan: about 1 µs per 8 KiB (napkin-math)."""
LOG_WRITE_S = 10e-6
"""Appending a write to the log: about 10 µs (napkin-math: sequential SSD write, without fsync)."""
PAGE_CPU_S = 1e-6
"""CPU to search one page once it is in memory."""
ROW_CPU_S = 50e-9
"""CPU to examine one row: real SQLite scans roughly 10⁷ narrow rows a second on a laptop."""
PAGE_BYTES = 4096
"""SQLite's default page size."""
INDEX_ENTRY_BYTES = 40
"""One index entry (key and row id): about 100 entries fit a page, so a B-tree fans out 100 ways."""
APP_CPU_S = 0.002
"""Mean CPU seconds of application work per request."""
QUERIES_PER_REQUEST = 10
"""Queries one page view runs (the video, its owner, its comments, counters, recommendations …)."""
APP_RAM_GB = 8.0
"""RAM the application's processes hold on their box."""
OS_RAM_GB = 1.0
"""RAM the operating system keeps for itself on every box."""
NETWORK_RTT_S = 0.5e-3
"""Round trip from the app server to a database server in the same data centre."""

LAYOUTS = ("shared", "dedicated")


@dataclass(frozen=True)
class Table:
    """The table every query reads or writes.

    Parameters
    ----------
    rows : int
        How many rows it holds.
    indexed : bool
        Whether the column queries look up has an index.
    row_bytes : int
        Size of one row on disk (1 KB: a video's title, description and counters).
    """

    rows: int
    indexed: bool = True
    row_bytes: int = 1000

    def __post_init__(self) -> None:
        positive_int("rows", self.rows)
        positive_int("row_bytes", self.row_bytes)

    @property
    def rows_per_page(self) -> int:
        return max(1, PAGE_BYTES // self.row_bytes)

    @property
    def pages(self) -> int:
        """Pages the table itself fills."""
        return math.ceil(self.rows / self.rows_per_page)

    @property
    def size_gb(self) -> float:
        """The working set: the table, plus its index when it has one (every page may be read)."""
        index = self.rows * INDEX_ENTRY_BYTES if self.indexed else 0
        return (self.pages * PAGE_BYTES + index) / 1e9


def btree_depth(rows: int) -> int:
    """Pages from an index's root to its leaf: the B-tree fans out PAGE_BYTES // INDEX_ENTRY_BYTES ways."""
    positive_int("rows", rows)
    fanout = PAGE_BYTES // INDEX_ENTRY_BYTES
    return max(1, math.ceil(math.log(rows) / math.log(fanout) - 1e-12))


def cache_gb(ram_gb: float, layout: str) -> float:
    """RAM left for the database's buffer cache on a box of ``ram_gb``: on a shared box the OS and the
    application take theirs first; on a dedicated one, only the OS."""
    positive("ram_gb", ram_gb)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    taken = OS_RAM_GB + (APP_RAM_GB if layout == "shared" else 0.0)
    return max(0.0, ram_gb - taken)


def hit_ratio(table: Table, cache: float) -> float:
    """Share of page reads found in a cache of ``cache`` GB, when every page is equally likely."""
    if isinstance(cache, bool) or not cache >= 0:
        raise ValueError(f"cache must be a number of GB of 0 or more, got {cache!r}")
    return min(1.0, cache / table.size_gb)


def query_time(table: Table, cache: float, kind: str = "read") -> float:
    """Seconds one query of ``kind`` ("read" or "write") takes on its own, with ``cache`` GB of cache."""
    if kind not in ("read", "write"):
        raise ValueError(f"kind must be 'read' or 'write', got {kind!r}")
    hit = hit_ratio(table, cache)

    def fetch(miss_s: float) -> float:
        return PAGE_CPU_S + hit * MEMORY_READ_S + (1 - hit) * miss_s

    depth = btree_depth(table.rows)
    if kind == "write":  # find the row by primary key, change its page (and the index's), log it
        trees = 2 if table.indexed else 1
        return trees * (depth + 1) * fetch(SSD_RANDOM_READ_S) + LOG_WRITE_S
    if table.indexed:
        return (depth + 1) * fetch(SSD_RANDOM_READ_S) + ROW_CPU_S
    return table.pages * fetch(SSD_SEQUENTIAL_READ_S) + table.rows * ROW_CPU_S


@dataclass(frozen=True)
class BoxRun:
    """What the requests of :func:`run` saw.

    Attributes
    ----------
    layout : str
        "shared" or "dedicated".
    latency : np.ndarray
        Seconds from arrival to answer, per request.
    app_utilisation : float
        Share of the application box's cores kept busy.
    db_utilisation : float
        Share of the database box's cores kept busy (the same box as the app's when shared).
    cache : float
        GB of buffer cache the database had.
    hit : float
        Its hit ratio.
    """

    layout: str
    latency: np.ndarray
    app_utilisation: float
    db_utilisation: float
    cache: float
    hit: float

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latency, q))


def run(
    layout: str,
    table: Table,
    rate: float,
    rng: np.random.Generator,
    write_share: float = 0.1,
    ram_gb: float = 16.0,
    cores: int = 4,
    duration: float = 30.0,
) -> BoxRun:
    """``duration`` seconds of Poisson requests at ``rate`` per second, each doing app work and
    :data:`QUERIES_PER_REQUEST` queries on ``table`` (a share ``write_share`` of them writes), on
    boxes of ``cores`` cores and ``ram_gb`` of RAM, with the database on the app's box
    (``"shared"``) or on its own (``"dedicated"``).

    A box that cannot keep up queues without bound; keep ``rate`` below its capacity (:func:`capacity`).
    """
    positive("rate", rate)
    positive("duration", duration)
    positive_int("cores", cores)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy Generator, e.g. np.random.default_rng(3), got {rng!r}"
        )
    if isinstance(write_share, bool) or not 0 <= write_share <= 1:
        raise ValueError(f"write_share must be between 0 and 1, got {write_share!r}")
    cache = cache_gb(ram_gb, layout)
    n = rng.poisson(rate * duration)
    arrival = np.sort(rng.uniform(0.0, duration, n))
    app = rng.exponential(APP_CPU_S, n)
    writes = rng.binomial(QUERIES_PER_REQUEST, write_share, n)
    query = writes * query_time(table, cache, "write") + (
        QUERIES_PER_REQUEST - writes
    ) * query_time(table, cache, "read")
    box = Server(workers=cores, name="app + DB" if layout == "shared" else "app")
    if layout == "shared":
        result = simulate(Workload(arrival, app + query, duration), [box])
        used = result.utilisation()[0]
        return BoxRun(layout, result.latency, used, used, cache, hit_ratio(table, cache))
    # Two boxes in series; the network's round trip delays every request alike, so it is added after.
    path = Topology(
        [Tier("app", [box]), Tier("db", [Server(workers=cores, name="DB")], cpu_time=query)]
    )
    result = path.run(Workload(arrival, app, duration))
    latency = result.latency + NETWORK_RTT_S
    db_used = float(query.sum() / (cores * duration))
    app_used = result.utilisation("app")[0]
    return BoxRun(layout, latency, app_used, db_used, cache, hit_ratio(table, cache))


def capacity(
    layout: str,
    table: Table,
    write_share: float = 0.1,
    ram_gb: float = 16.0,
    cores: int = 4,
) -> float:
    """Requests per second the layout completes when its busiest box never idles."""
    cache = cache_gb(ram_gb, layout)
    query = QUERIES_PER_REQUEST * (
        (1 - write_share) * query_time(table, cache, "read")
        + write_share * query_time(table, cache, "write")
    )
    if layout == "shared":
        return cores / (APP_CPU_S + query)
    return cores / max(APP_CPU_S, query)
