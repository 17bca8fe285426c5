"""Sizing a class on JupyterHub: memory per student server, spawn time, grading time per student.

Runs the hub test (tests/test_hub.py: a real JupyterHub on 127.0.0.1 with one teacher and three
students, the whole release → submit → autograde → feedback flow) and prints the numbers it measured,
which it keeps in tests/artifacts/hub/sizing.json. TEACHING.md's sizing table comes from them.

    .venv/bin/python bench/hub_sizing.py

Memory is resident set size (RSS) of a server and all its children (kernel, terminal), in MiB; pages
shared between processes count once per process, so the sums are an upper bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZING = ROOT / "tests" / "artifacts" / "hub" / "sizing.json"


def main() -> int:
    SIZING.unlink(missing_ok=True)  # a skipped test writes none: never show an old run's
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_hub.py"],
        cwd=ROOT,
    )
    seconds = time.monotonic() - started
    if run.returncode != 0 or not SIZING.is_file():
        print(f"the hub test did not pass (exit {run.returncode}): no sizing numbers")
        return 1
    print(f"\nthe hub test took {seconds:.0f} s (wall clock)")
    for key, value in json.loads(SIZING.read_text()).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:.1f}" for k, v in value.items())
        else:
            value = f"{value:.1f}"
        print(f"{key:>52}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
