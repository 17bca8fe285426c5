"""The test run relies on ``--dist loadgroup``: the class test, the browser test and each exercise's
grading round trip set up once, on one worker. pytest-xdist 3.8 alone silently stops grouping under
pytest 9.2 (pytest-xdist #1386); tests/testrun.py makes the groups hold, and ``once_per_run`` fails a
set-up that happens twice. These tests run a small suite with the project's conftest, under the
pytest and pytest-xdist installed, and show both at work."""

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

TESTS = Path(__file__).parent
VERSIONS = f"pytest {version('pytest')}, pytest-xdist {version('pytest-xdist')}"

# Two modules in one group, each with an expensive module-scoped set-up that must happen once per
# run (like the class test's ``klass``), and ungrouped tests around them for the scheduler to spread.
GROUPED = """
import os
from pathlib import Path

import pytest
from testrun import once_per_run

pytestmark = pytest.mark.xdist_group("together")


@pytest.fixture(scope="module")
def expensive(request):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.environ["SETUPS"], "a") as log:
        log.write(worker + "\\n")
    once_per_run("expensive " + request.module.__name__)


@pytest.mark.parametrize("i", range(6))
def test_grouped(i, expensive):
    print(os.environ["PYTEST_XDIST_WORKER"])
"""
LOOSE = """
import pytest


@pytest.mark.parametrize("i", range(6))
def test_loose(i):
    pass
"""


def _run(folder: Path, dist: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    for name in ["conftest.py", "testrun.py"]:
        shutil.copyfile(TESTS / name, folder / name)
    (folder / "test_a.py").write_text(GROUPED)
    (folder / "test_b.py").write_text(GROUPED)
    (folder / "test_loose.py").write_text(LOOSE)
    setups = folder / "setups.log"
    # Only pytest-xdist among the plugins: nbval's import of nbformat alone takes seconds.
    plugins = ["-p", "xdist.plugin", "-p", "no:cacheprovider"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, "-n", "2", "--dist", dist, "-v"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "SETUPS": str(setups), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    return run, setups.read_text().split() if setups.exists() else []


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    run, setups = _run(tmp_path, "loadgroup")
    assert run.returncode == 0, f"{VERSIONS}:\n{run.stdout[-3000:]}"
    grouped = [line for line in run.stdout.splitlines() if "PASSED" in line and "grouped" in line]
    assert len(grouped) == 12, run.stdout[-3000:]
    workers = {line.split("]")[0] + "]" for line in grouped}
    assert len(workers) == 1, f"{VERSIONS}: the group ran on {sorted(workers)}"
    # Module-scoped: once per module, both modules on the same worker.
    assert len(setups) == 2 and len(set(setups)) == 1, f"{VERSIONS}: set up on {setups}"


def test_a_set_up_repeated_on_another_worker_fails_the_run(tmp_path: Path) -> None:
    """Without grouping (``--dist load`` spreads the modules), the second set-up is an error."""
    run, setups = _run(tmp_path, "load")
    assert len(set(setups)) == 2, f"both workers should have set up: {setups}"
    assert run.returncode != 0
    assert " is set up again on gw" in run.stdout, run.stdout[-3000:]
