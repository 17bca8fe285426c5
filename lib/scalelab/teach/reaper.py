"""Run a command so that nothing it starts outlives it, within a wall-clock limit.

``python -m scalelab.teach.reaper --limit SECONDS -- COMMAND …`` makes itself a *child subreaper*
(Linux ``prctl(PR_SET_CHILD_SUBREAPER)``): a process its command starts that forks away,
double-forks or calls ``setsid()`` is re-parented to the reaper rather than to init. When the
command exits, or the limit passes, the reaper kills every process below it (SIGKILL, found by
walking ``/proc``), reaps them, and exits with the command's status (``124`` when the limit
stopped it, as ``timeout(1)`` does).

:func:`run` is the caller's side: it runs a command under the reaper with its output going to a
temporary *file*, never a pipe, so a leftover process holding the output open cannot make the
caller wait, and it waits for the reaper alone.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TIMED_OUT = 124  # the exit status of a command the limit stopped, as timeout(1) uses
_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Finished:
    """How a command run by :func:`run` ended."""

    returncode: int
    log: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode == TIMED_OUT


def run(
    argv: list[str],
    limit: float | None = None,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
) -> Finished:
    """Run ``argv`` under the reaper; return its status, its output (stdout then stderr
    interleaved as written) and how long it took. Every process it started is gone on return."""
    command = [sys.executable, "-m", "scalelab.teach.reaper"]
    if limit is not None:
        command += ["--limit", f"{limit:g}"]
    command += ["--", *argv]
    environment = dict(os.environ if env is None else env)
    here = str(Path(__file__).resolve().parents[2])  # scalelab importable in the reaper
    path = environment.get("PYTHONPATH", "")
    if here not in path.split(os.pathsep):
        environment["PYTHONPATH"] = os.pathsep.join(p for p in (here, path) if p)
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+b", prefix="scalelab-log-") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            # The reaper enforces the limit; the grace here only guards against the reaper itself.
            returncode = process.wait(timeout=None if limit is None else limit + 30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            returncode = TIMED_OUT
        except BaseException:
            process.terminate()  # the reaper kills what is below it and exits
            process.wait()
            raise
        out.seek(0)
        log = out.read().decode("utf-8", errors="replace")
    return Finished(returncode, log, time.monotonic() - started)


# -- the reaper process ----------------------------------------------------------------------------
def _become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, found through the parent ids in ``/proc`` (none where
    there is no ``/proc``, e.g. macOS: there the command runs with its limit but no clean-up)."""
    children: dict[int, list[int]] = {}
    if not os.path.isdir("/proc"):
        return []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) is in parentheses and may hold spaces or parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_descendants(pid: int | None = None, patience: float = 5.0) -> None:
    """SIGKILL every process below ``pid`` (default: this one) until none is left, reaping them."""
    me = os.getpid() if pid is None else pid
    deadline = time.monotonic() + patience
    while True:
        left = descendants(me)
        if not left or time.monotonic() > deadline:
            break
        for child in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        time.sleep(0.01)
        if me == os.getpid():
            _reap_all()
    if me == os.getpid():
        _reap_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalelab.teach.reaper", description=__doc__)
    parser.add_argument("--limit", type=float, default=None, help="seconds before all is killed")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    _become_subreaper()

    stopping = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        child = subprocess.Popen(command)
    except OSError as e:
        print(f"cannot run {command[0]}: {e}", file=sys.stderr)
        return 127
    deadline = None if args.limit is None else time.monotonic() + args.limit
    returncode = None
    while returncode is None and not stopping:
        if deadline is not None and time.monotonic() >= deadline:
            break
        # Reap the command and any orphan re-parented to us; only the command's status counts.
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == child.pid:
            code = os.waitstatus_to_exitcode(status)
            returncode = code if code >= 0 else 128 - code
        elif pid == 0:
            time.sleep(0.05)
    child.returncode = returncode if returncode is not None else -1  # waited for above
    kill_descendants()
    if returncode is None:
        returncode = TIMED_OUT if not stopping else 128 + stopping[0]
        why = f"after {args.limit:g} s" if not stopping else f"by signal {stopping[0]}"
        print(f"scalelab.teach.reaper: stopped {command[0]} {why}", file=sys.stderr)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
