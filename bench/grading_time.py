"""Seconds `teach autograde` takes per student, per exercise (TEACHING.md's sizing table).

    .venv/bin/python bench/grading_time.py [NN-slug …]    (default: 01, 05, 07 and 12)

A scratch course with four students who all hand in the model answers; grading is contained in the
sandbox when bubblewrap is installed, as `teach autograde` does.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from submissions import reference_answers, write_submission  # noqa: E402

from scalelab.teach.classroom import Classroom  # noqa: E402

STUDENTS = ("a", "b", "c", "d")
DEFAULT = ("01-single-server", "05-load-balancer", "07-cache", "12-sharding")


def main(names: list[str]) -> int:
    # nbgrader's gradebook runs alembic by name: this environment's bin folder must be on PATH
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    for name in names or DEFAULT:
        with tempfile.TemporaryDirectory() as scratch:
            course = Path(scratch) / "course"
            course.mkdir()
            shutil.copy(ROOT / "nbgrader_config.py", course)
            shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
            room = Classroom(course)
            with room.gradebook() as gb:
                for student in STUDENTS:
                    gb.update_or_create_student(student)
            room.nbgrader("generate_assignment", name, "--force")
            released = course / "exercises" / name / f"{name}.ipynb"
            for student in STUDENTS:
                dest = course / "submitted" / student / name / f"{name}.ipynb"
                write_submission(released, reference_answers(name), dest)
            started = time.perf_counter()
            outcomes = room.autograde(name, progress=None)
            each = (time.perf_counter() - started) / len(STUDENTS)
            how = "contained" if room.contain else "uncontained"
            print(
                f"{name:24s} {each:5.1f} s per student ({how}; {outcomes[0].summary()})", flush=True
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
