"""Memory of a kernel that ran each course notebook top to bottom (TEACHING.md's sizing table).

    .venv/bin/python bench/kernel_memory.py [course/NN-slug.ipynb …]

For each notebook: a fresh python3 kernel runs every cell; then its resident memory (VmRSS) and peak
(VmHWM) are read from /proc (Linux only), with the seconds it took.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _mib(status: str, key: str) -> float:
    line = next(line for line in status.splitlines() if line.startswith(key))
    return int(line.split()[1]) / 1024


def main(paths: list[str]) -> int:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "course").glob("*.ipynb"))
    print(f"{'notebook':32s} {'RSS MiB':>8s} {'peak MiB':>9s} {'s':>6s}")
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        started = time.perf_counter()
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            pid = client.km.provisioner.process.pid
            status = Path(f"/proc/{pid}/status").read_text()
        seconds = time.perf_counter() - started
        rss, peak = _mib(status, "VmRSS"), _mib(status, "VmHWM")
        print(f"{path.stem:32s} {rss:8.0f} {peak:9.0f} {seconds:6.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
