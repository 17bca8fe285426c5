"""The database family (chapter 03): the sample database, the SQLite helpers and the box model."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from scalelab.database import (
    QUOTED,
    Table,
    box,
    btree_depth,
    cache_gb,
    capacity,
    hit_ratio,
    plan,
    query_time,
    recording,
    run,
    sample_db,
    statements,
    uses_index,
    work,
)

BY_VIEWS = (
    "SELECT u.name, COUNT(v.id) AS n FROM users u LEFT JOIN views v ON v.user_id = u.id "
    "GROUP BY u.id"
)


def test_sample_db_repeats_with_its_seed_and_differs_with_another() -> None:
    rows = [
        sample_db(np.random.default_rng(k)).execute("SELECT * FROM views").fetchall()
        for k in (5, 5, 6)
    ]
    assert rows[0] == rows[1] and rows[0] != rows[2]


def test_sample_db_has_the_rows_the_exercise_relies_on() -> None:
    db = sample_db(np.random.default_rng(3), users=30, videos=12, views=200, idle_users=4)
    counts = [
        db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("users", "videos", "views")
    ]
    assert counts == [30, 12, 200]
    assert db.execute("SELECT name FROM users WHERE id = 1").fetchone() == (QUOTED,)
    idle = db.execute(f"SELECT COUNT(*) FROM ({BY_VIEWS}) WHERE n = 0").fetchone()[0]
    assert idle == 4, f"expected 4 users without views, got {idle}"
    first_two = db.execute("SELECT user_id, video_id FROM views WHERE id IN (1, 2)").fetchall()
    assert first_two[0] == first_two[1] and first_two[0][0] == 1, (
        f"expected user 1 to have watched one video twice (views 1 and 2), got {first_two}"
    )
    names = [n for (n,) in db.execute("SELECT name FROM users")]
    assert len(set(names)) == len(names)
    assert db.execute("PRAGMA index_list('users')").fetchall() == []  # nothing but primary keys


@pytest.mark.parametrize("seed", range(6))
def test_stored_order_is_not_the_asked_order(seed: int) -> None:
    """A query without ORDER BY must come out in another order than most-views-first, by name."""
    db = sample_db(np.random.default_rng(seed))
    unordered = db.execute(BY_VIEWS).fetchall()
    by_name = db.execute(BY_VIEWS.replace("GROUP BY u.id", "GROUP BY u.name")).fetchall()
    asked = sorted(unordered, key=lambda r: (-r[1], r[0]))
    assert unordered != asked and by_name != asked


def test_sample_db_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="views must be an integer of 0 or more, got -1"):
        sample_db(np.random.default_rng(0), views=-1)
    with pytest.raises(ValueError, match="idle_users must be an integer from 0 to users - 1"):
        sample_db(np.random.default_rng(0), users=3, idle_users=3)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        sample_db(3)


def test_plans_tell_a_scan_from_a_search() -> None:
    db = sample_db(np.random.default_rng(1), users=2_000, views=0)
    sql = "SELECT * FROM users WHERE name = ?"
    assert plan(db, sql, [QUOTED]) == ["SCAN users"]
    assert not uses_index(plan(db, sql, [QUOTED]))
    db.execute("CREATE INDEX by_name ON users (name)")
    assert uses_index(plan(db, sql, [QUOTED]))
    assert not uses_index(["SCAN views USING COVERING INDEX by_day"])
    assert uses_index(["SEARCH views USING COVERING INDEX by_user (user_id=?)"])


def test_work_grows_with_the_rows_scanned_and_repeats() -> None:
    sql = "SELECT * FROM users WHERE name = ?"
    small, big = (sample_db(np.random.default_rng(1), users=n, views=0) for n in (1_000, 10_000))
    w_small, w_big = work(small, sql, [QUOTED]), work(big, sql, [QUOTED])
    assert w_small == work(small, sql, [QUOTED])
    assert 9 < w_big / w_small < 11, (w_small, w_big)
    big.execute("CREATE INDEX by_name ON users (name)")
    assert work(big, sql, [QUOTED]) < 100


def test_statements_records_the_sql_a_call_sends() -> None:
    db = sample_db(np.random.default_rng(1))
    rows, sent = statements(
        db, lambda: db.execute("SELECT id FROM users WHERE name = ?", (QUOTED,)).fetchall()
    )
    assert rows == [(1,)]
    assert sent == ["SELECT id FROM users WHERE name = 'Siobhan O''Brien'"]
    with pytest.raises(sqlite3.OperationalError):
        db.execute(f"SELECT id FROM users WHERE name = '{QUOTED}'")


def test_recording_keeps_the_sql_as_written() -> None:
    db = sample_db(np.random.default_rng(1))
    copy = recording(db)
    assert isinstance(copy, sqlite3.Connection) and copy.written == []
    assert (
        copy.execute("SELECT COUNT(*) FROM views").fetchone()
        == db.execute("SELECT COUNT(*) FROM views").fetchone()
    )
    copy.written.clear()
    copy.execute("SELECT id FROM users WHERE name = ?", (QUOTED,))
    copy.cursor().execute("SELECT COUNT(*) FROM views WHERE user_id = 17")
    copy.executemany("INSERT INTO users VALUES (?, ?, 'KR')", [(9001, "a"), (9002, "b")])
    with copy:
        copy.executescript("SELECT 1;")
    assert copy.written == [
        "SELECT id FROM users WHERE name = ?",
        "SELECT COUNT(*) FROM views WHERE user_id = 17",
        "INSERT INTO users VALUES (?, ?, 'KR')",
        "SELECT 1;",
    ]
    # the trace callback (statements) sees both with the value filled in: only `written` tells them apart
    _, sent = statements(copy, lambda: copy.execute("SELECT ?", (17,)))
    assert sent == ["SELECT 17"]
    with pytest.raises(ValueError, match="conn must be a sqlite3.Connection, got str"):
        recording("db.sqlite")


def test_btree_depth_and_hit_ratio() -> None:
    fanout = box.PAGE_BYTES // box.INDEX_ENTRY_BYTES  # 102 entries per page
    sizes = (1, fanout, fanout + 1, fanout**2, fanout**2 + 1, 10**7)
    assert [btree_depth(n) for n in sizes] == [1, 1, 2, 2, 3, 4]
    table = Table(10_000_000)
    assert hit_ratio(table, 0) == 0
    assert hit_ratio(table, table.size_gb / 2) == pytest.approx(0.5)
    assert hit_ratio(table, 1_000) == 1
    assert cache_gb(16, "shared") == 16 - box.APP_RAM_GB - box.OS_RAM_GB
    assert cache_gb(16, "dedicated") == 16 - box.OS_RAM_GB
    assert cache_gb(4, "shared") == 0


def test_a_miss_costs_a_thousand_hits_and_an_index_beats_a_scan() -> None:
    assert pytest.approx(1_000) == box.SSD_RANDOM_READ_S / box.MEMORY_READ_S
    table = Table(10_000_000)
    cold, warm = query_time(table, 0), query_time(table, 100)
    depth = btree_depth(table.rows) + 1
    assert cold - warm == pytest.approx(depth * (box.SSD_RANDOM_READ_S - box.MEMORY_READ_S))
    scan = query_time(Table(10_000_000, indexed=False), 100)
    assert scan > 1e4 * warm
    small_scan, big_scan = (query_time(Table(n, indexed=False), 100) for n in (10**4, 10**6))
    assert big_scan / small_scan == pytest.approx(100, rel=0.01)
    assert query_time(table, 100, "write") > query_time(Table(10**7, indexed=False), 100, "write")
    with pytest.raises(ValueError, match="kind must be 'read' or 'write', got 'scan'"):
        query_time(table, 1, "scan")


def test_moving_the_database_out_frees_the_apps_cores_and_the_tail() -> None:
    table = Table(10_000_000)
    shared = run("shared", table, 800, np.random.default_rng(3), duration=20)
    dedicated = run("dedicated", table, 800, np.random.default_rng(3), duration=20)
    assert shared.hit < 1 and dedicated.hit == 1
    assert dedicated.app_utilisation < 0.6 * shared.app_utilisation
    assert dedicated.percentile(99) < shared.percentile(99)
    # The app box's utilisation is the arrival rate times its work per request.
    assert dedicated.app_utilisation == pytest.approx(800 * box.APP_CPU_S / 4, rel=0.05)
    assert capacity("shared", table) < capacity("dedicated", table)
    again = run("dedicated", table, 800, np.random.default_rng(3), duration=20)
    assert np.array_equal(again.latency, dedicated.latency)


def test_dedicated_latency_adds_the_network_round_trip() -> None:
    table = Table(1_000)
    tiny = run("dedicated", table, 1, np.random.default_rng(2), write_share=0, duration=200)
    shared = run("shared", table, 1, np.random.default_rng(2), write_share=0, duration=200)
    # Nearly no queueing at 1 request/s: the difference is the round trip.
    gap = np.median(tiny.latency) - np.median(shared.latency)
    assert gap == pytest.approx(box.NETWORK_RTT_S, abs=2e-4)


def test_run_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="layout must be one of"):
        run("cloud", Table(10), 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="write_share must be between 0 and 1, got 1.5"):
        run("shared", Table(10), 1, np.random.default_rng(0), write_share=1.5)
    with pytest.raises(ValueError, match="rows must be a positive integer, got 0"):
        Table(0)
