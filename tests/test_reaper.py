"""The reaper: whatever a graded command starts dies with it, and nobody waits on its output pipe."""

from __future__ import annotations

import sys
import time
import uuid

from processes import daemon, double_fork, survivors

from scalelab.teach.reaper import TIMED_OUT, run


def setsid_daemon(marker: str) -> str:
    return daemon(marker) + 'print("started a daemon that holds my stdout")\n'


def forked_daemon(marker: str) -> str:
    return double_fork(marker) + 'print("double-forked")\n'


def test_a_setsid_daemon_holding_the_output_neither_blocks_nor_survives() -> None:
    marker = f"scalelab-test-{uuid.uuid4().hex}"
    started = time.monotonic()
    done = run([sys.executable, "-c", setsid_daemon(marker)], limit=60)
    assert time.monotonic() - started < 20
    assert done.returncode == 0
    assert "started a daemon" in done.log
    assert survivors(marker) == []


def test_a_double_forked_daemon_does_not_survive() -> None:
    marker = f"scalelab-test-{uuid.uuid4().hex}"
    done = run([sys.executable, "-c", forked_daemon(marker)], limit=60)
    assert (done.returncode, done.log.strip()) == (0, "double-forked")
    assert survivors(marker) == []


def test_the_wall_clock_limit_stops_a_command_and_everything_it_started() -> None:
    marker = f"scalelab-test-{uuid.uuid4().hex}"
    code = setsid_daemon(marker) + "\nimport time\ntime.sleep(1000)\n"
    done = run([sys.executable, "-c", code], limit=2)
    assert done.timed_out and done.returncode == TIMED_OUT
    assert 2 <= done.seconds < 15
    assert "stopped" in done.log and "after 2 s" in done.log
    assert survivors(marker) == []


def test_the_exit_status_is_the_commands() -> None:
    assert run([sys.executable, "-c", "raise SystemExit(3)"]).returncode == 3
    assert run(["/nonexistent/program"]).returncode == 127
