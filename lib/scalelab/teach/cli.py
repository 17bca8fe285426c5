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

from scalelab.teach.grading import (
    ROOT,
    GradingFailedError,
    ScratchCourse,
    assignments,
    generate_exercises,
    score_table,
    written_answers,
)

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
    if not assignments():
        print(
            "this copy of the course has no solutions/ folder (the hidden tests), so it cannot "
            "grade: your teacher grades your notebooks, and the visible tests in each notebook "
            "still check your answers"
        )
        return 1
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
    status = 0
    with _kernel_noise_hidden(), ScratchCourse(sorted(set(by_name.values()))) as course:
        for notebook, name in by_name.items():
            try:
                scores = course.autograde(name, {"me": notebook})["me"]
            except GradingFailedError as e:
                print(f"\n{notebook}\ncould not grade it: {e}", flush=True)
                status = 1
                continue
            written = written_answers(course.released(name))
            notes = "".join(f"\nnote: {n}" for n in course.notes(name, "me"))
            print(f"\n{notebook}\n{score_table(scores, written)}{notes}", flush=True)
    return status


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


def _teach_parser(sub: argparse._SubParsersAction) -> None:
    teach = sub.add_parser("teach", help="run a class with nbgrader (see TEACHING.md)")
    teach.add_argument(
        "--course",
        type=Path,
        default=None,
        help="course folder (default: the current folder if it has nbgrader_config.py, else this repo)",
    )
    teach.add_argument("--exchange", type=Path, help="exchange directory (release/collect)")
    teach.add_argument("--timeout", type=int, help="seconds a cell may run while grading")
    teach.add_argument(
        "--student-timeout",
        type=float,
        help="seconds grading one student may take in all (default: 60 + 2 × cell timeout × "
        "code cells)",
    )
    steps = teach.add_subparsers(dest="step", required=True)
    steps.add_parser("roster", help="import students from a CSV roster").add_argument(
        "csv", type=Path
    )
    for step, text in [
        ("release", "generate and release an exercise"),
        ("collect", "collect submissions from the exchange"),
        ("autograde", "grade every submission, one at a time"),
        ("feedback", "write HTML feedback for every student"),
    ]:
        steps.add_parser(step, help=text).add_argument("name")
    zipped = steps.add_parser("zip-collect", help="take an LMS download of submissions")
    zipped.add_argument("name")
    zipped.add_argument("files", nargs="+", type=Path)
    mark = steps.add_parser("mark", help="record a hand grade for a free-text answer")
    mark.add_argument("name")
    mark.add_argument("student")
    mark.add_argument("question")
    mark.add_argument("score", type=float)
    mark.add_argument("--comment", default="")
    steps.add_parser("export", help="write grades to a CSV file").add_argument(
        "csv", type=Path, nargs="?", default=Path("grades.csv")
    )
    hub = steps.add_parser("hub-config", help="write the configuration a JupyterHub class needs")
    which = hub.add_subparsers(dest="target", required=True)
    system = which.add_parser(
        "system", help="every user's nbgrader_config.py (course id, exchange); makes the exchange"
    )
    system.add_argument(
        "--dir",
        type=Path,
        default=Path("/etc/jupyter"),
        metavar="DIR",
        help="where (default: /etc/jupyter)",
    )
    system.add_argument(
        "--exchange",
        dest="hub_exchange",
        metavar="DIR",
        type=Path,
        default=Path("/srv/nbgrader/exchange"),
        help="the exchange folder (default: /srv/nbgrader/exchange)",
    )
    system.add_argument(
        "--profile-dir",
        type=Path,
        default=Path("/etc/profile.d"),
        metavar="DIR",
        help="where the script that puts the course's commands on every login shell's PATH goes "
        "(default: /etc/profile.d)",
    )
    instructor = which.add_parser(
        "instructor",
        help="the instructor's ~/.jupyter/nbgrader_config.py (loads the course's) and PATH in a "
        "login shell",
    )
    instructor.add_argument(
        "--home", type=Path, metavar="DIR", help="the instructor's home (default: yours)"
    )
    for parser in (system, instructor):
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a configuration file scalelab did not write (yours is kept as .bak)",
        )


def _count(items: object, noun: str) -> str:
    n = len(items)  # type: ignore[arg-type]
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _default_course() -> Path:
    """The course a ``teach`` command works on when ``--course`` is not given: the current folder when
    it holds ``nbgrader_config.py``; else the course ``hub-config instructor`` named in
    ``~/.jupyter/nbgrader_config.py`` (a hub terminal starts in the home, not in the course); else the
    repository this command belongs to."""
    from scalelab.teach.hub import configured_course

    if (Path.cwd() / "nbgrader_config.py").is_file():
        return Path.cwd()
    return configured_course(Path.home()) or ROOT


def teach(args: argparse.Namespace) -> int:
    from scalelab.teach.classroom import Classroom, ClassroomError
    from scalelab.teach.sandbox import sandbox_problem

    course = args.course if args.course is not None else _default_course()
    print(f"course: {Path(course).resolve()}")
    if args.step == "hub-config":
        return _hub_config(args, Path(course))
    try:
        room = Classroom(course, args.exchange, args.timeout, student_timeout=args.student_timeout)
        if args.step == "roster":
            print(_count(range(room.import_roster(args.csv)), "student") + " in the gradebook")
        elif args.step == "release":
            exchange = room.release(args.name)
            if exchange is None:
                print(
                    f"released {args.name} into exercises/ only: no exchange is configured (give "
                    "--exchange DIR, or set Exchange.root, e.g. with: scalelab teach hub-config "
                    "system)"
                )
            else:
                print(f"released {args.name} to the exchange {exchange}")
        elif args.step == "collect":
            for line in room.collect(args.name):
                print(line)
            print(
                _count(room.submissions(args.name), "submission") + f" of {args.name} in submitted/"
            )
        elif args.step == "zip-collect":
            report = room.zip_collect(args.name, args.files)
            for path, student in report.filed.items():
                note = f" ({report.notes[path]})" if path in report.notes else ""
                print(f"filed   {student} ← {path}{note}")
            for path, why in report.skipped.items():
                print(f"skipped {path}: {why}")
            print(
                _count(room.submissions(args.name), "submission") + f" of {args.name} in submitted/"
            )
            left = report.notebooks_left
            if left:
                verb = "was" if len(left) == 1 else "were"
                print(f"{_count(left, 'notebook')} {verb} not filed (see 'skipped' above)")
                return 1
        elif args.step == "autograde":
            if not room.contain:
                print(
                    f"warning: {sandbox_problem()}, so student code runs uncontained with your "
                    "permissions (see TEACHING.md)",
                    file=sys.stderr,
                )
            outcomes = room.autograde(args.name)
            width = max(len(o.student) for o in outcomes)
            summary = max(len(o.summary()) for o in outcomes)
            for o in outcomes:
                print(f"{o.student:<{width}}  {o.summary():<{summary}}  {o.note}".rstrip())
            ungraded = [o.student for o in outcomes if not o.graded]
            if ungraded:  # like zip-collect: a script that goes on to feedback/export must notice
                verb = "was" if len(ungraded) == 1 else "were"
                print(
                    f"{len(ungraded)} of {_count(outcomes, 'submission')} {verb} not graded "
                    f"({', '.join(ungraded)}): each line above says why, and so will their feedback"
                )
                return 1
        elif args.step == "mark":
            room.mark(args.name, args.student, args.question, args.score, args.comment)
            marks = room.outcome(args.name, args.student).summary()
            print(f"{args.student}: {args.question} = {args.score:g} → {marks}")
        elif args.step == "feedback":
            print(_count(room.feedback(args.name), "feedback page") + " in feedback/")
        elif args.step == "export":
            print(f"grades written to {room.export(args.csv)}")
    except ClassroomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _hub_config(args: argparse.Namespace, course: Path) -> int:
    from scalelab.teach import hub

    try:
        if args.target == "system":
            done = hub.system(
                course, args.dir, args.hub_exchange, force=args.force, profile_dir=args.profile_dir
            )
        else:
            done = hub.instructor(course, args.home, force=args.force)
    except hub.HubConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a folder that cannot be written: /etc/jupyter without root, say
        where = f" {e.filename}" if e.filename else ""
        print(f"error: cannot write{where}: {e.strerror or e}", file=sys.stderr)
        return 1
    print("\n".join(done))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scalelab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _teach_parser(sub)
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
    if args.command == "teach":
        return teach(args)
    written = generate_exercises(ROOT / "exercises")
    print("\n".join(f"wrote {p.relative_to(ROOT)}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
