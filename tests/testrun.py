"""What one test run shares across its xdist workers: CI mode, a folder for the run, set-ups that must
happen once per run, and ``xdist_group`` marks that hold whatever pytest and pytest-xdist resolve;
and what the tests of real programs share: Chromium, free loopback ports, skip locally / fail in CI.

``tests/conftest.py`` wires the hooks; tests import ``IN_CI`` and ``once_per_run`` from here.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

#: Values of an environment flag that mean "on" (CI runners set CI=true, CI=1 or CI=yes).
TRUTHY = frozenset({"1", "true", "yes", "on"})


def truthy(value: str | None) -> bool:
    """Whether an environment flag such as ``CI`` is on: true, 1, yes or on, in any case."""
    return (value or "").strip().lower() in TRUTHY


#: A CI run: the browser and class tests must run (a missing piece fails them instead of skipping).
IN_CI = truthy(os.environ.get("CI"))

#: The Chromium the browser and hub tests drive (Debian's package), and its flags for a headless run.
CHROMIUM = Path(os.environ.get("SCALELAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require(present: bool, what: str, test: str, how: str) -> None:
    """A piece the ``test`` test needs (a program, a package) is missing unless ``present``: skip
    locally with one line, fail in CI, where the test must run; ``how`` says how to get it."""
    if present:
        return
    if IN_CI:
        pytest.fail(
            f"CI={os.environ.get('CI')} but {what}: the {test} test must run in CI; {how}",
            pytrace=False,
        )
    pytest.skip(f"{test} test: {what}; to run it, {how}")


def free_ports(n: int = 1) -> list[int]:
    """``n`` different TCP ports free on 127.0.0.1 (all held open until all are found)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


#: The folder every process of one run shares (made by the controller, inherited by the workers).
RUN_DIR = "SCALELAB_TEST_RUN_DIR"
_MADE = pytest.StashKey[str]()


def start_run(config: pytest.Config) -> None:
    """In the controller (or a run without xdist): a fresh folder for this run, in the environment
    the workers inherit. A nested run (a test that runs pytest) gets its own."""
    if hasattr(config, "workerinput"):
        return
    path = tempfile.mkdtemp(prefix="scalelab-test-run-")
    os.environ[RUN_DIR] = config.stash[_MADE] = path


def end_run(config: pytest.Config) -> None:
    path = config.stash.get(_MADE, None)
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def once_per_run(name: str) -> None:
    """Record that the expensive set-up ``name`` happens now; fail if it already happened in this run.

    A module-scoped fixture whose module carries ``xdist_group`` is set up once per run only if the
    group holds: when it does not, every worker repeats the set-up (the class test grades the whole
    class again), and this says so instead of silently doubling the run's time.
    """
    folder = os.environ.get(RUN_DIR)
    if folder is None:  # pytest without tests/conftest.py: nothing to compare with
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(folder) / f"{name}.setups", "a+", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.seek(0)
        before = log.read().split()
        log.write(f"{worker}\n")
    if before:
        pytest.fail(
            f"{name} is set up again on {worker}, after {', '.join(before)}: its xdist_group did "
            "not keep it on one worker (run with --dist loadgroup; tests/testrun.py applies groups)",
            pytrace=False,
        )


def group_suffix(item: pytest.Item) -> str | None:
    """The ``@group`` suffix pytest-xdist's loadgroup scheduler reads from a node id, or None."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    return "@" + "_".join(sorted(names)) if names else None


def _set_nodeid(item: pytest.Item, nodeid: str) -> None:
    ident = getattr(item, "_id", None)
    if ident is not None and not isinstance(ident, str):
        # pytest ≥ 9.2 keeps a structured NodeId in ``_id`` and derives ``nodeid`` from it; the
        # ``_nodeid`` that pytest-xdist ≤ 3.8 writes is never read (pytest-xdist #1386).
        item._id = type(ident).parse(nodeid)
    else:
        item._nodeid = nodeid


def apply_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker under ``--dist loadgroup``, make sure every grouped item's node id ends with its
    ``@group`` suffix, which is all the scheduler uses to keep a group on one worker.

    pytest-xdist adds the suffix itself, but under pytest 9.2 its write no longer takes effect; this
    runs after it, adds the suffix where it is missing, and stops the run if it still cannot, so
    grouping never fails silently again.
    """
    # pytest-xdist sets a worker's ``dist`` to "no" and keeps the choice in ``loadgroup``.
    if not hasattr(config, "workerinput") or not config.getoption("loadgroup", False):
        return
    for item in items:
        suffix = group_suffix(item)
        if suffix is None or item.nodeid.endswith(suffix):
            continue
        _set_nodeid(item, item.nodeid + suffix)
        if not item.nodeid.endswith(suffix):
            raise pytest.UsageError(
                f"cannot mark {item.nodeid} as part of xdist group {suffix[1:]!r} with pytest "
                f"{pytest.__version__}: tests/testrun.py must learn this pytest's node ids"
            )
