"""Find processes a test started, by a unique marker in their command line."""

from __future__ import annotations

from pathlib import Path


def survivors(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker`` (read from /proc/*/cmdline)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def daemon(marker: str) -> str:
    """Answer-cell code that starts a daemon in a new session, holding the cell's output open."""
    return f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", {marker!r}],
                 start_new_session=True)
"""


def double_fork(marker: str) -> str:
    """Answer-cell code that starts a daemon the classic way: fork, setsid(), fork again."""
    return f"""
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(1000)", {marker!r}])
    os._exit(0)
os.wait()
"""
