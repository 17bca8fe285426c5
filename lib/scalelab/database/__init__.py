"""Chapter 03, the database: real SQLite for the queries, a model for the box it runs on.

* :mod:`~scalelab.database.sample`: the video site's schema (users, videos, views) in an in-memory
  SQLite database, seeded (:func:`sample_db`), shared by the chapter, its exercise and the tests.
* :mod:`~scalelab.database.sql`: what SQLite does with a query: its plan (``SCAN`` or ``SEARCH … USING
  INDEX``), the work it does, how long it takes, and the statements a function sends.
* :mod:`~scalelab.database.box`: the application and the database on one box, fighting for RAM and
  cores, or the database on a server of its own; run on the engine (:func:`scalelab.sim.simulate`).

Chapters 06 (replication) and 12 (sharding) grow this family.
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
from scalelab.database.sample import QUOTED, SCHEMA, sample_db
from scalelab.database.sql import plan, statements, timed, uses_index, work

__all__ = [
    "sample_db",
    "SCHEMA",
    "QUOTED",
    "plan",
    "uses_index",
    "work",
    "timed",
    "statements",
    "Table",
    "BoxRun",
    "btree_depth",
    "cache_gb",
    "hit_ratio",
    "query_time",
    "capacity",
    "run",
]
