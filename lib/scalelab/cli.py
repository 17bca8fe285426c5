"""The ``scalelab`` command: a learner's workspace and self-grading, a maintainer's exercise builder.

scalelab workspace          copy exercises/ into my-work/ (never overwrites a file you have)
scalelab grade [NOTEBOOK…]  autograde your notebooks (default: all of my-work/), hidden tests included
scalelab exercises          regenerate exercises/ from solutions/ with nbgrader
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scalelab.grading import ROOT, ScratchCourse, assignments, generate_exercises, score_table

WORKSPACE = ROOT / "my-work"


def workspace(root: Path = ROOT, dest: Path | None = None) -> list[Path]:
    """Copy each exercise into ``my-work/`` unless the learner already has that file; return new ones."""
    dest = dest or root / "my-work"
    created = []
    for src in sorted((root / "exercises").rglob("*")):
        if src.is_file() and ".ipynb_checkpoints" not in src.parts:
            target = dest / src.relative_to(root / "exercises")
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
                created.append(target)
    return created


def _assignment_of(notebook: Path) -> str:
    known = assignments()
    for candidate in (notebook.stem, notebook.parent.name):
        if candidate in known:
            return candidate
    raise SystemExit(
        f"cannot tell which exercise {notebook} is: name it like one of {', '.join(known)}"
    )


def grade(notebooks: list[Path]) -> int:
    """Print a score table per notebook; return the exit status (0 when everything was graded)."""
    if not notebooks:
        notebooks = sorted(WORKSPACE.glob("*/*.ipynb"))
        if not notebooks:
            print(
                f"nothing to grade in {WORKSPACE}: run `make lab` (or `scalelab workspace`) first"
            )
            return 1
    missing = [str(n) for n in notebooks if not n.is_file()]
    if missing:
        print(f"no such notebook: {', '.join(missing)}")
        return 1
    by_name = {n: _assignment_of(n) for n in notebooks}
    print(f"grading {len(notebooks)} notebook(s) on a copy; your files are not changed …")
    with _kernel_noise_hidden(), ScratchCourse(sorted(set(by_name.values()))) as course:
        for notebook, name in by_name.items():
            scores = course.autograde(name, {"me": notebook})["me"]
            print(f"\n{notebook}\n{score_table(scores)}", flush=True)
    return 0


@contextmanager
def _kernel_noise_hidden() -> Iterator[None]:
    """Keep the grading kernels' start-up chatter (a TCP notice, SQLAlchemy warnings) off the screen.

    Kernels inherit file descriptor 2, so it is pointed at a scratch file while grading; if grading
    fails, what was written there is shown with the error.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+") as scratch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(scratch.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            scratch.seek(0)
            sys.stderr.write(scratch.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scalelab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("workspace", help="copy exercises into my-work/ without overwriting")
    grade_cmd = sub.add_parser("grade", help="autograde your notebooks, hidden tests included")
    grade_cmd.add_argument("notebooks", nargs="*", type=Path)
    sub.add_parser("exercises", help="regenerate exercises/ from solutions/")
    args = parser.parse_args(argv)
    if args.command == "workspace":
        created = workspace()
        print(f"my-work/: {len(created)} new exercise file(s); your existing files were left alone")
        return 0
    if args.command == "grade":
        return grade(args.notebooks)
    written = generate_exercises(ROOT / "exercises")
    print("\n".join(f"wrote {p.relative_to(ROOT)}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
