"""The reaper: whatever a graded command starts dies with it, and nobody waits on its output pipe."""

from __future__ import annotations

import sys
import time
import uuid

from processes import survivors

from scalelab.reaper import TIMED_OUT, run

SETSID_DAEMON = """
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", {marker!r}],
                 start_new_session=True)
print("started a daemon that holds my stdout")
"""
DOUBLE_FORK = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(1000)", {marker!r}])
    os._exit(0)
os.wait()
print("double-forked")
"""


def test_a_setsid_daemon_holding_the_output_neither_blocks_nor_survives() -> None:
    marker = f"scalelab-test-{uuid.uuid4().hex}"
    started = time.monotonic()
    done = run([sys.executable, "-c", SETSID_DAEMON.format(marker=marker)], limit=60)
    assert time.monotonic() - started < 20
    assert done.returncode == 0
    assert "started a daemon" in done.log
    assert survivors(marker) == []


def test_a_double_forked_daemon_does_not_survive() -> None:
    marker = f"scalelab-test-{uuid.uuid4().hex}"
    done = run([sys.executable, "-c", DOUBLE_FORK.format(marker=marker)], limit=60)
    assert (done.returncode, done.log.strip()) == (0, "double-forked")
    assert survivors(marker) == []


def test_the_wall_clock_limit_stops_a_command_and_everything_it_started() -> None:
    marker = f"scalelab-test-{uuid.uuid4().hex}"
    code = SETSID_DAEMON.format(marker=marker) + "\nimport time\ntime.sleep(1000)\n"
    done = run([sys.executable, "-c", code], limit=2)
    assert done.timed_out and done.returncode == TIMED_OUT
    assert 2 <= done.seconds < 15
    assert "stopped" in done.log and "after 2 s" in done.log
    assert survivors(marker) == []


def test_the_exit_status_is_the_commands() -> None:
    assert run([sys.executable, "-c", "raise SystemExit(3)"]).returncode == 3
    assert run(["/nonexistent/program"]).returncode == 127
