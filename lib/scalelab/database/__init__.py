"""The database family: the data tier behind the web servers.

* chapter 03, the database: real SQLite for the queries, a model for the box it runs on.
  :mod:`~scalelab.database.sample`: the video site's schema (users, videos, views) in an in-memory
  SQLite database, seeded (:func:`sample_db`), shared by the chapter, its exercise and the tests;
  :mod:`~scalelab.database.sql`: what SQLite does with a query (its plan, ``SCAN`` or ``SEARCH … USING
  INDEX``, the work it does, how long it takes, the statements a function sends, as run or as
  written);
  :mod:`~scalelab.database.box`: the application and the database on one box, fighting for RAM and
  cores, or the database on a server of its own.
* chapter 06, replication (:mod:`~scalelab.database.replication`): one primary takes the writes,
  replicas serve the reads; the read/write routers and the failover rule plug into the engine as a
  :class:`~scalelab.sim.route.Balancer` and a :class:`~scalelab.sim.route.Promotion`.

Chapter 12 (sharding) grows this family.
"""

from scalelab.database.box import (
    BoxRun,
    Table,
    btree_depth,
    cache_gb,
    capacity,
    hit_ratio,
    query_time,
    run,
)
from scalelab.database.fixtures import nodes, read, routes, stream, write
from scalelab.database.replication import (
    FailureDetector,
    MostUpToDate,
    ReadWriteSplit,
    ReplicaRouter,
    own_stale_reads,
)
from scalelab.database.sample import QUOTED, SCHEMA, sample_db
from scalelab.database.sql import (
    RecordingConnection,
    plan,
    recording,
    statements,
    timed,
    uses_index,
    work,
)

__all__ = [
    # chapter 03, the database
    "sample_db",
    "SCHEMA",
    "QUOTED",
    "plan",
    "uses_index",
    "work",
    "timed",
    "statements",
    "recording",
    "RecordingConnection",
    "Table",
    "BoxRun",
    "btree_depth",
    "cache_gb",
    "hit_ratio",
    "query_time",
    "capacity",
    "run",
    # chapter 06, replication
    "ReadWriteSplit",
    "ReplicaRouter",
    "MostUpToDate",
    "FailureDetector",
    "own_stale_reads",
    "nodes",
    "read",
    "write",
    "routes",
    "stream",
]
