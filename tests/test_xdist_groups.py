"""The test run relies on ``--dist loadgroup``: the class test and each exercise's grading round trip
grade once, on one worker. pytest-xdist 3.8 silently stops grouping under pytest 9.2
(pytest-xdist #1386), which makes every worker grade the whole class again: this test notices."""

import subprocess
import sys
from pathlib import Path

SUITE = """
import os

import pytest


@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    print(os.environ["PYTEST_XDIST_WORKER"])
"""


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    workers = {line.split("]")[0] + "]" for line in run.stdout.splitlines() if "PASSED" in line}
    assert len(workers) == 1, f"expected one worker for the group, got {sorted(workers)}"
