"""The sandbox a student's kernel runs in while it is graded: bubblewrap, the file system read-only.

A submission may loop, write to ``../..`` or read the gradebook. Inside the sandbox it sees an empty
``/tmp``, empty course folders (gradebook, solutions, other students) and can write only its own
scratch folder; its own PID namespace means everything it started dies with it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def sandbox_problem() -> str | None:
    """Why student kernels cannot be sandboxed here, or None when bubblewrap works."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    probe = subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if probe.returncode != 0:
        return f"bubblewrap cannot start a sandbox here: {probe.stderr.strip()[:200]}"
    return None


def sandbox_command(writable: Path, hide: Iterable[Path] = ()) -> list[str]:
    """The bubblewrap prefix that runs a program with the file system read-only, ``/tmp`` empty,
    the ``hide`` folders (course folders: gradebook, solutions, other students) empty, and only
    ``writable`` writable. The Python environment and the scalelab library stay readable.
    """
    command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    # Its own PID namespace: when the kernel ends, everything it started is killed with it.
    command += ["--unshare-pid", "--die-with-parent", "--tmpfs", "/tmp"]
    for folder in sorted({Path(h).resolve() for h in hide}):
        command += ["--tmpfs", str(folder)]
    for keep in sorted({Path(sys.prefix).resolve(), Path(__file__).resolve().parents[2]}):
        command += ["--ro-bind", str(keep), str(keep)]
    command += ["--bind", str(writable), str(writable), "--chdir", str(writable)]
    return command
