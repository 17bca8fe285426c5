"""Looking inside real SQLite: the query plan, the work a query does, and how long it takes.

* :func:`plan` is ``EXPLAIN QUERY PLAN``: how SQLite will run a statement. ``SCAN users`` reads every
  row of the table; ``SEARCH users USING INDEX ix_name (name=?)`` walks a B-tree index down to the
  matching rows. A B-tree over 10⁶ rows is about 20 comparisons deep (log₂ 10⁶ ≈ 20); a scan makes 10⁶.
  Careful: ``SCAN users USING INDEX …`` is still a scan (it reads the whole index in its order); only
  ``SEARCH`` jumps straight to the rows.
* :func:`work` counts the virtual-machine instructions SQLite executes for a statement (through its
  progress handler): the same query on the same data always does the same work, so the count repeats
  exactly where a stopwatch never does.
* :func:`timed` is the stopwatch: the median of several runs, in seconds. It varies from run to run and
  machine to machine; read it for its order of magnitude.
* :func:`statements` records the SQL a piece of code sends to a connection (SQLite's trace callback),
  so a test can look at the plan of a query that someone else's function ran. The trace reports each
  statement with its parameters already filled in, so it cannot tell ``WHERE id = ?`` with ``(5,)``
  from ``f"WHERE id = {5}"``: :func:`recording` gives a copy of a database that also keeps each
  statement's text as its caller wrote it (:attr:`RecordingConnection.written`).

Chapter 03 teaches with these (see also :mod:`scalelab.database.sample`).
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence

from scalelab.validate import positive_int

#: How many SQLite VM instructions pass between two calls of the progress handler in :func:`work`.
WORK_STEP = 1


def plan(conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> list[str]:
    """The lines of ``EXPLAIN QUERY PLAN`` for ``sql``, e.g. ``["SCAN users"]``."""
    return [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", tuple(params))]


def uses_index(lines: Sequence[str]) -> bool:
    """Whether a plan jumps to its rows through an index: a ``SEARCH … USING [COVERING] INDEX`` line
    (``SCAN … USING INDEX`` reads the whole index, so it does not count)."""
    return any(
        line.startswith("SEARCH") and ("USING INDEX" in line or "USING COVERING INDEX" in line)
        for line in lines
    )


def work(conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> int:
    """SQLite VM instructions spent running ``sql`` to its last row."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += WORK_STEP
        return 0  # 0: carry on

    conn.set_progress_handler(count, WORK_STEP)
    try:
        conn.execute(sql, tuple(params)).fetchall()
    finally:
        conn.set_progress_handler(None, WORK_STEP)
    return steps


def timed(
    conn: sqlite3.Connection, sql: str, params: Sequence[object] = (), repeat: int = 5
) -> float:
    """Median wall-clock seconds of ``repeat`` runs of ``sql``, each fetching every row."""
    positive_int("repeat", repeat)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        conn.execute(sql, tuple(params)).fetchall()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def statements(conn: sqlite3.Connection, call: Callable[[], object]) -> tuple[object, list[str]]:
    """Run ``call()`` and return what it returned and the SQL statements it sent to ``conn``, with
    their parameters filled in (as SQLite's trace callback reports them)."""
    sent: list[str] = []
    conn.set_trace_callback(sent.append)
    try:
        result = call()
    finally:
        conn.set_trace_callback(None)
    return result, sent


class _RecordingCursor(sqlite3.Cursor):
    """A cursor that notes the text of each statement in its connection's ``written`` list."""

    def execute(self, sql, parameters=(), /):  # noqa: ANN001, ANN201 (sqlite3's own signature)
        self.connection.written.append(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):  # noqa: ANN001, ANN201
        self.connection.written.append(sql)
        return super().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script, /):  # noqa: ANN001, ANN201
        self.connection.written.append(sql_script)
        return super().executescript(sql_script)


class RecordingConnection(sqlite3.Connection):
    """A ``sqlite3.Connection`` that keeps, in :attr:`written`, the text of every statement sent
    through ``execute``, ``executemany``, ``executescript`` or a cursor, exactly as the caller wrote it
    (``?`` placeholders unbound). Make one with :func:`recording`."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.written: list[str] = []

    def cursor(self, factory=_RecordingCursor):  # noqa: ANN001, ANN201
        return super().cursor(factory)

    def execute(self, sql, parameters=(), /):  # noqa: ANN001, ANN201
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):  # noqa: ANN001, ANN201
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script, /):  # noqa: ANN001, ANN201
        return self.cursor().executescript(sql_script)


def recording(conn: sqlite3.Connection) -> RecordingConnection:
    """An in-memory copy of ``conn``'s database whose connection records each statement's text as
    written: after ``f(copy)``, ``copy.written`` tells ``"… WHERE id = ?"`` (a parameter) from
    ``"… WHERE id = 17"`` (a value pasted into the SQL)."""
    if not isinstance(conn, sqlite3.Connection):
        raise ValueError(f"conn must be a sqlite3.Connection, got {type(conn).__name__}")
    copy = sqlite3.connect(":memory:", factory=RecordingConnection)
    conn.backup(copy)
    copy.written.clear()
    return copy
