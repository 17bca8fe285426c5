"""Mutation testing of the library's core with mutmut 3: do the unit tests catch a wrong library?

``make mutants`` installs mutmut (the ``mutants`` extra of pyproject.toml, nothing else needs it),
then runs this script. mutmut copies the code into ``mutants/``, changes one thing at a time in
each function (a comparison, a constant, an operator, an argument dropped …) behind a trampoline,
and runs the pytest tests that call that function (``[tool.mutmut]`` in pyproject.toml lists the
modules and the test files). A mutant is *killed* when a test fails, *survived* when all pass.

mutmut 3 names a mutant's module after its file path and strips only a leading ``src/``, so the
run happens in the stage ``.mutants/`` (gitignored, never collected by pytest or ruff), where
``src``, ``tests`` and ``pyproject.toml`` are links to the checkout. Each run starts afresh (so
the scores never mix tests of two versions); ``--resume`` keeps mutmut's state for a rerun of
the survivors after a test changed.

Not the same thing as ``make mutation`` (``tests/mutation.py``), which mutates the exercises'
reference solutions to judge the hidden tests.

Survivors that cannot be killed (equivalent mutants) are marked in the library with
``# pragma: no mutate`` and a comment saying why.

    .venv/bin/python tests/mutants.py [--resume] [--jobs N]   # run, then print the table
    .venv/bin/python tests/mutants.py --report                # the table of the last run
    .venv/bin/python tests/mutants.py --survivors             # ... and each survivor's diff
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutants"
LINKS = {"src": "../lib", "tests": "../tests", "pyproject.toml": "../pyproject.toml"}
COLUMNS = ("killed", "survived", "timeout", "no tests", "not checked", "other")


def stage(fresh: bool) -> None:
    if fresh and (STAGE / "mutants").exists():
        shutil.rmtree(STAGE / "mutants")
    STAGE.mkdir(exist_ok=True)
    for name, target in LINKS.items():
        link = STAGE / name
        if not link.is_symlink():
            link.symlink_to(target)


def status(code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    name = status_by_exit_code[code]
    return name if name in COLUMNS else "other"


def results() -> dict[str, dict[str, str]]:
    """Status of every mutant, by module (``sim/engine.py``), from mutmut's ``.meta`` files."""
    base = STAGE / "mutants" / "src" / "scalelab"
    by_module = {}
    for meta in sorted(base.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(base))[: -len(".meta")]
        by_module[module] = {key: status(code) for key, code in codes.items()}
    return by_module


def table(by_module: dict[str, dict[str, str]]) -> str:
    head = f"{'module':<26}{'score':>8}{'killed':>8}{'total':>7}{'survived':>10}{'timeout':>9}"
    head += f"{'no tests':>10}{'unchecked':>11}{'other':>7}"
    lines = [head, "-" * len(head)]
    total: Counter[str] = Counter()
    for module, statuses in by_module.items():
        counts = Counter(statuses.values())
        total.update(counts)
        lines.append(row(module, counts, len(statuses)))
    lines.append("-" * len(head))
    lines.append(row("all", total, sum(total.values())))
    return "\n".join(lines)


def row(name: str, counts: Counter[str], n: int) -> str:
    # A timeout counts as killed (mutmut's own convention): the mutant made the tests hang. The
    # score is over the mutants checked (an interrupted run leaves some unchecked); a mutant no
    # selected test calls ("no tests") counts as alive.
    checked = n - counts["not checked"]
    score = f"{100 * (counts['killed'] + counts['timeout']) / checked:.1f}%" if checked else "-"
    return (
        f"{name:<26}{score:>8}{counts['killed']:>8}{n:>7}{counts['survived']:>10}"
        f"{counts['timeout']:>9}{counts['no tests']:>10}{counts['not checked']:>11}"
        f"{counts['other']:>7}"
    )


def mutmut(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=STAGE, text=True, capture_output=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only print the last run's table")
    parser.add_argument("--survivors", action="store_true", help="also show each survivor's diff")
    parser.add_argument("--resume", action="store_true", help="keep mutmut's state from last run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    try:
        import mutmut  # noqa: F401
    except ImportError:
        sys.exit("mutmut is not installed: run make mutants (it installs the mutants extra)")

    if not (args.report or args.survivors):
        stage(fresh=not args.resume)
        start = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)], cwd=STAGE
        )
        print(f"\nmutmut ran for {time.monotonic() - start:.0f} s on {args.jobs} processes")
        if run.returncode:
            return run.returncode
    by_module = results()
    if not by_module:
        sys.exit("no results in .mutants/mutants: run make mutants first")
    print(table(by_module))
    survivors = [k for s in by_module.values() for k, v in s.items() if v == "survived"]
    if args.survivors:
        for name in survivors:
            print(mutmut("show", name).stdout)
    elif survivors:
        print(f"\n{len(survivors)} survivors: tests/mutants.py --survivors shows their diffs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
