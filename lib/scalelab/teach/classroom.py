"""Running a class with nbgrader: one command per step, and no submission can stop the others.

A teacher's course is a folder with ``nbgrader_config.py`` (this repository's root, or a copy of it).
:class:`Classroom` drives nbgrader there: import a roster, release an exercise, collect submissions from
the exchange or from an LMS download, autograde, record a hand grade, write feedback, export grades.

Autograding takes one student at a time, each in a scratch copy of what grading needs and in a
sandbox (:mod:`scalelab.teach.sandbox`), so that a submission which loops, raises, floods its output
or writes to ``../..`` damages nothing but its own scratch folder. Submitted files are checksummed
before and after; they are never changed. What a student hears beyond the marks is
:mod:`scalelab.teach.feedback`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scalelab.teach import reaper
from scalelab.teach.feedback import edits, incidents, note_box, note_page
from scalelab.teach.grading import (
    ROOT,
    cell_timeout,
    failure_reason,
    graded_cells,
    not_a_notebook,
    run_nbgrader,
    student_limit,
)
from scalelab.teach.sandbox import sandbox_command, sandbox_problem

Progress = Callable[[int, int, str], None]


class ClassroomError(Exception):
    """A step cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Outcome:
    """What grading gave one student's submission, automatic and hand marks apart.

    ``score`` and ``max_score`` are the autograded points (the test cells); ``hand_score`` the points
    a teacher gave by hand so far, out of ``hand_max`` for the answers graded by hand, and
    ``hand_waiting`` the points of the answers no one has marked yet. ``hand_review`` are hand-marked
    points nbgrader asks to be looked at again, because the submission was regraded after marking.
    ``hand_blank`` are the points of written answers left as handed out, which nbgrader scores 0 by
    itself (a teacher can still mark them): they wait for no one, and the Formgrader does not list them.
    """

    student: str
    score: float | None
    max_score: float
    note: str = ""
    hand_score: float = 0.0
    hand_max: float = 0.0
    hand_waiting: float = 0.0
    hand_review: float = 0.0
    hand_blank: float = 0.0

    @property
    def graded(self) -> bool:
        return self.score is not None

    def summary(self) -> str:
        """``9/9 autograded · by hand 2/2``, ``9/9 autograded · 2 points to grade by hand``, or
        ``not graded``."""
        if self.score is None:
            return "not graded"
        parts = [f"{self.score:g}/{self.max_score:g} autograded"]
        marked = self.hand_max - self.hand_waiting - self.hand_blank
        if marked:
            review = " (to review)" if self.hand_review else ""
            parts.append(f"by hand {self.hand_score:g}/{marked:g}{review}")
        if self.hand_waiting:
            points = "point" if self.hand_waiting == 1 else "points"
            parts.append(f"{self.hand_waiting:g} {points} to grade by hand")
        if self.hand_blank:
            parts.append(f"written answer left blank: 0/{self.hand_blank:g}")
        return " · ".join(parts)


@dataclass
class Collected:
    """What ``zip_collect`` did with each file of a download, by its path (``x.zip/folder/file``)."""

    filed: dict[str, str] = field(default_factory=dict)  # file → the student it was filed under
    skipped: dict[str, str] = field(default_factory=dict)  # file → why it was not filed
    notes: dict[str, str] = field(default_factory=dict)  # filed file → what to look at

    @property
    def notebooks_left(self) -> list[str]:
        """Notebooks that were not filed: attempts no one will grade unless the teacher acts."""
        return [f for f in self.skipped if f.endswith(".ipynb")]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def progress_bar(done: int, total: int, label: str) -> None:
    """Draw ``[#####-----] 3/10 label`` on one line of the terminal (a line each when not a terminal)."""
    width = 30
    filled = width * done // max(total, 1)
    line = f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {label}"
    end = "\n" if done == total or not sys.stdout.isatty() else ""
    print(f"\r{line:<70}", end=end, flush=True)


class Classroom:
    """An nbgrader course folder, and the steps of running a class in it.

    Parameters
    ----------
    root : Path
        The course folder (holds ``nbgrader_config.py``, ``solutions/``, the gradebook).
    exchange : Path, optional
        The exchange directory for release/fetch/submit/collect without JupyterHub.
    timeout : int, optional
        Seconds a cell may run while grading (default: the course's ``Execute.timeout``).
    contain : bool, optional
        Run each student's kernel in a bubblewrap sandbox (see :func:`sandbox_command`). Default:
        when ``bwrap`` is installed. Without it, student code can write wherever the grader can.
    student_timeout : float, optional
        Seconds grading one student may take in all (default: see :meth:`student_limit`). Every
        process a submission starts is killed when its grading ends, whatever the limit.
    """

    def __init__(
        self,
        root: Path = ROOT,
        exchange: Path | None = None,
        timeout: int | None = None,
        contain: bool | None = None,
        student_timeout: float | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            raise ClassroomError(
                f"{self.root} is not a course folder: it has no nbgrader_config.py"
            )
        self.exchange = exchange
        self._settings: dict | None = None
        self.timeout = timeout
        self.student_timeout = student_timeout
        problem = sandbox_problem()
        self.contain = problem is None if contain is None else contain
        if self.contain and problem:
            raise ClassroomError(f"cannot contain grading: {problem}")

    # -- running nbgrader -------------------------------------------------------------------
    def _options(self) -> list[str]:
        options = []
        if self.exchange is not None:
            options.append(f"--Exchange.root={self.exchange}")
        if self.timeout is not None:
            options.append(f"--Execute.timeout={self.timeout}")
        return options

    def _run(
        self, args: tuple[str, ...], cwd: Path | None, env: dict | None, limit: float | None
    ) -> reaper.Finished:
        """Run nbgrader in the course, or in ``cwd`` (a scratch copy), with that folder as nbgrader's
        course root: named on the command line, since a ``CourseDirectory.root`` in ~/.jupyter (as in
        nbgrader's hub setup) would win over the working folder (see
        :func:`scalelab.teach.grading.run_nbgrader`)."""
        where = cwd or self.root
        options = [*self._options(), f"--CourseDirectory.root={where}"]
        return run_nbgrader([*args, *options], limit=limit, cwd=where, env=env)

    def nbgrader(self, *args: str, cwd: Path | None = None, env: dict | None = None) -> str:
        """Run one nbgrader command in the course; return its log, or raise with the log's errors."""
        done = self._run(args, cwd, env, limit=None)
        log = done.log
        if done.returncode != 0:
            errors = [line for line in log.splitlines() if "ERROR" in line or "Error" in line]
            raise ClassroomError(f"nbgrader {args[0]} failed:\n" + "\n".join(errors[-8:] or [log]))
        return log

    def student_limit(self, name: str) -> float:
        """Seconds grading one submission of ``name`` may take: ``student_timeout``, else what
        :func:`scalelab.teach.grading.student_limit` derives from the cell timeout."""
        if self.student_timeout is not None:
            return float(self.student_timeout)
        released = self.root / "exercises" / name / f"{name}.ipynb"
        if not released.exists():
            released = self.root / "solutions" / name / f"{name}.ipynb"
        timeout = self.timeout if self.timeout is not None else cell_timeout(self.root)
        return student_limit(released, timeout)

    def gradebook(self):  # noqa: ANN201 (nbgrader's Gradebook has no type hints)
        from nbgrader.api import Gradebook

        return Gradebook(f"sqlite:///{self.root / 'gradebook.db'}")

    # -- the steps ----------------------------------------------------------------------------
    def import_roster(self, roster: Path) -> int:
        """Add or update the students of a CSV roster (columns: id, and optionally first_name,
        last_name, email). Returns how many students it names."""
        if not Path(roster).is_file():
            raise ClassroomError(f"no roster file {roster}: give the path of a CSV file")
        with open(roster, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if not rows or "id" not in rows[0]:
            raise ClassroomError(
                f"{roster} must be a CSV file whose first line names the columns, with an 'id' "
                "column (and optionally first_name, last_name, email)"
            )
        self.nbgrader("db", "student", "import", str(Path(roster).resolve()))
        return len(rows)

    def settings(self) -> dict:
        """What nbgrader's own configuration loading finds for this course (every file nbgrader
        reads when it runs in the course folder: JUPYTER_CONFIG_PATH, ~/.jupyter, the system folders,
        the course's own): ``exchange`` (a configured ``Exchange.root``, else None),
        ``default_exchange`` (nbgrader's default), ``course_id``, and what nbgrader's collect copies
        a submission with (``ignore``, ``include``, ``max_file_size``) and whether the course is
        ``groupshared``. Asked once, in a subprocess."""
        if self._settings is None:
            done = subprocess.run(
                [sys.executable, "-c", _SETTINGS],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=120,
            )
            found = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not found:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise ClassroomError(f"cannot read the course's nbgrader configuration: {last}")
            self._settings = json.loads(found[-1])
        return self._settings

    def exchange_root(self) -> Path | None:
        """The exchange: the one given, else the ``Exchange.root`` nbgrader's configuration sets."""
        if self.exchange is not None:
            return Path(self.exchange)
        configured = self.settings()["exchange"]
        return Path(configured) if configured else None

    def release(self, name: str) -> Path | None:
        """Record the exercise in the gradebook, write its student version, and put it in the
        exchange (given, or configured as ``Exchange.root``). Returns the exchange, or None when
        there is none (the student version is then only in ``exercises/``)."""
        self.nbgrader("generate_assignment", name, "--force")
        exchange = self.exchange_root()
        if exchange is not None:
            self.nbgrader("release_assignment", name, "--force")
        return exchange

    def collect(self, name: str) -> list[str]:
        """Copy submissions from the exchange into ``submitted/``: nbgrader's collect, which files
        each student id's newest submission, then, for a student whose newest submission was made by
        another account, that student's own latest one when there is one (see :meth:`submitters`).
        ``submitted/`` is then the teacher's alone (:meth:`_lock_submitted`). Running it again ends
        in the same state. Returns what :meth:`submitters` says."""
        self.nbgrader("collect", name, "--update")
        lines, own = self._check_submitters(name)
        for student, (forged, folder) in own.items():
            self._file(name, student, forged, folder)
        self._lock_submitted()
        return lines

    def submitters(self, name: str) -> list[str]:
        """Submissions of ``name`` in the exchange made by another account than the student id they
        claim, one line each, saying which submission of that student :meth:`collect` files in
        ``submitted/``; or one line when every submission was made by one account that is no
        student's (a hub that runs everyone under one account), where this cannot be checked.

        nbgrader files a submission under the id the student gives (``submit --student=…``), keeps
        only the newest one of each id, and only logs "cheating attempt?" when the folder's owner
        differs. On a hub (The Littlest JupyterHub) student ids are the accounts' names, and the
        exchange's folders keep their owners: when the newest submission under a student's id was
        made by another account, :meth:`collect` files that student's own latest submission instead
        (the line names both); when the student made none, the other account's stays.
        """
        return self._check_submitters(name)[0]

    def _check_submitters(self, name: str) -> tuple[list[str], dict[str, tuple[Path, Path]]]:
        """What :meth:`submitters` says, and for each student whose newest submission another
        account made while they made their own: (that newest submission, their own latest)."""
        import pwd

        from nbgrader.utils import parse_utc

        exchange = self.exchange_root() or Path(self.settings()["default_exchange"])
        inbound = exchange / self.settings()["course_id"] / "inbound"

        def account(uid: int) -> str:
            try:
                return pwd.getpwuid(uid).pw_name
            except KeyError:
                return f"uid {uid}"

        made: dict[Path, tuple[str, object, set[str]]] = {}
        try:
            for folder in sorted(p for p in inbound.glob(f"*+{name}+*") if p.is_dir()):
                claimed, _, stamp, _ = folder.name.rsplit("+", 3)
                owners = {account(p.stat().st_uid) for p in [folder, *folder.rglob("*")]}
                made[folder] = (claimed, parse_utc(stamp), owners)
        except (OSError, ValueError) as e:
            return [f"note: cannot check who made the submissions of {name}: {e}"], {}
        if not made:
            return [], {}
        everyone = set().union(*(owners for _, _, owners in made.values()))
        with self.gradebook() as gb:
            students = {s.id for s in gb.students} | {claimed for claimed, _, _ in made.values()}
        if len(everyone) == 1 and not everyone & students:
            [shared] = everyone
            return [
                f"note: every submission of {name} was made by the account {shared}, which is no "
                "student's (a hub that runs everyone under one account?): who submitted cannot "
                "be checked here"
            ], {}
        by_student: dict[str, list[Path]] = {}
        for folder, (claimed, _, _) in made.items():
            by_student.setdefault(claimed, []).append(folder)
        lines, replaced = [], {}
        for student, folders in sorted(by_student.items()):
            folders.sort(key=lambda f: made[f][1])  # as nbgrader: the newest is collected
            newest = folders[-1]
            own = [f for f in folders if made[f][2] == {student}]
            graded = own[-1] if own and newest not in own else newest
            if graded != newest:
                replaced[student] = (newest, graded)
            for folder in folders:
                others = sorted(made[folder][2] - {student})
                if not others:
                    continue
                who = f"the account{'s' if len(others) > 1 else ''} {' and '.join(others)}"
                said = f"warning: {who} submitted {name} as {student} ({folder.name})"
                if folder == graded:
                    said += (
                        f": submitted/{student}/ holds it, and {student} made no submission of "
                        "their own; check with both before grading it"
                    )
                elif folder == newest:
                    said += (
                        f": graded instead is {student}'s own latest submission ({graded.name}); "
                        "check with both"
                    )
                elif graded in own:
                    said += (
                        f": not graded, {student}'s own latest submission ({graded.name}) is; "
                        "check with both"
                    )
                else:
                    said += (
                        f": not graded, the later one submitted/{student}/ holds "
                        f"({graded.name}) is; check with both"
                    )
                lines.append(said)
        return lines, replaced

    def _file(self, name: str, student: str, forged: Path, folder: Path) -> None:
        """Put the inbound submission ``folder`` in ``submitted/<student>/<name>/`` in place of the
        copy of ``forged`` nbgrader's collect filed there, copied as nbgrader copies a submission
        (its ``timestamp.txt`` too, which a later ``collect --update`` compares with)."""
        from nbgrader.utils import ignore_patterns

        dest = self.root / "submitted" / student / name

        def stamp(where: Path) -> str | None:
            with contextlib.suppress(OSError):
                return (where / "timestamp.txt").read_text(encoding="utf-8").strip()
            return None

        if dest.exists() and stamp(dest) != stamp(forged):
            return  # not what nbgrader filed from the exchange (already the student's own)
        settings = self.settings()
        new = dest.with_name(f".{name}.collecting")
        shutil.rmtree(new, ignore_errors=True)
        shutil.copytree(
            folder,
            new,
            ignore=ignore_patterns(
                exclude=settings["ignore"],
                include=settings["include"],
                max_file_size=settings["max_file_size"],
            ),
        )
        if dest.exists():
            shutil.rmtree(dest)
        new.rename(dest)

    def zip_collect(self, name: str, downloads: Iterable[Path]) -> Collected:
        """Take an LMS download (a zip, or files named ``…_<student>_attempt_<time>_<file>``) into
        ``submitted/``, matching file names only (:mod:`scalelab.teach.lms`); say what happened to each file.

        Downloads accumulate in ``downloaded/<name>/archive/``: every run files all of them again.
        """
        downloads = [Path(d) for d in downloads]
        for path in downloads:
            if not path.is_file():
                raise ClassroomError(
                    f"no file {path}: give the LMS download (a .zip file, or the notebooks themselves)"
                )
            if path.suffix == ".zip" and not zipfile.is_zipfile(path):
                raise ClassroomError(f"{path} is not a zip file")
        archive = self.root / "downloaded" / name / "archive"
        archive.mkdir(parents=True, exist_ok=True)
        for path in downloads:
            shutil.copy2(path, archive / path.name)
        log = self.nbgrader("zip_collect", name, "--force", "--log-level=INFO")
        self._lock_submitted()
        return self._collected(name, log)

    def _lock_submitted(self) -> None:
        """Take group and other permissions off everything under ``submitted/`` that the teacher
        owns, so that only the teacher reads or changes a collected submission before grading it:
        nbgrader copies the exchange's modes (its folders are 0777 on a hub) into ``submitted/``.
        A ``groupshared`` course (instructors sharing it through a group) keeps its group's."""
        submitted = self.root / "submitted"
        if not submitted.is_dir():
            return
        closed = 0o007 if self.settings()["groupshared"] else 0o077
        me = os.geteuid() if hasattr(os, "geteuid") else None
        for path in [submitted, *submitted.rglob("*")]:
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode) or (me is not None and st.st_uid != me):
                continue
            if st.st_mode & closed:
                path.chmod(stat.S_IMODE(st.st_mode) & ~closed)

    def _collected(self, name: str, log: str) -> Collected:
        """Read the collector's log lines (:data:`scalelab.teach.lms.MARK`) into a report."""
        from nbgrader.utils import parse_utc

        from scalelab.teach.lms import MARK

        extracted = self.root / "downloaded" / name / "extracted"
        zips = {p.stem: p.name for p in (self.root / "downloaded" / name / "archive").glob("*.zip")}

        def shown(path: str) -> str:
            parts = Path(path).relative_to(extracted).parts
            if len(parts) > 1 and parts[0] in zips:
                parts = (zips[parts[0]], *parts[1:])
            return "/".join(parts)

        report = Collected()
        latest: dict[tuple[str, str], tuple[object, str]] = {}
        for line in log.splitlines():
            if MARK not in line:
                continue
            entry = json.loads(line.split(MARK, 1)[1])
            path = shown(entry["file"])
            if entry.get("skipped"):
                report.skipped[path] = entry["skipped"]
                continue
            student, file_id = entry["student"], entry.get("file_id") or ""
            report.filed[path] = student
            when = parse_utc(entry["timestamp"]) if entry.get("timestamp") else None
            key = (student, Path(file_id).name)
            if key in latest and when and latest[key][0]:
                # nbgrader keeps the newest attempt (the later one on a tie)
                older, newer = sorted([latest[key], (when, path)], key=lambda t: t[0])
                report.filed.pop(older[1])
                report.skipped[older[1]] = (
                    f"an older attempt by {student}: the one of {newer[0]} was filed"
                )
                latest[key] = newer
            else:
                latest[key] = (when, path)
            if key[1] != f"{name}.ipynb":
                report.notes[path] = (
                    f"filed as {key[1]}, not {name}.ipynb: rename it in "
                    f"submitted/{student}/{name}/ or it cannot be graded"
                )
        return report

    def submissions(self, name: str) -> list[str]:
        """Students with a folder for ``name`` in ``submitted/``."""
        return sorted(
            p.parent.name for p in (self.root / "submitted").glob(f"*/{name}") if p.is_dir()
        )

    def autograde(self, name: str, progress: Progress | None = progress_bar) -> list[Outcome]:
        """Grade every submission of ``name``, one student at a time, each in a scratch folder."""
        students = self.submissions(name)
        if not students:
            raise ClassroomError(f"no submissions of {name} in {self.root / 'submitted'}")
        submitted = sorted(p for p in (self.root / "submitted").rglob("*") if p.is_file())
        before = {p: _digest(p) for p in submitted}
        outcomes = []
        for k, student in enumerate(students):
            if progress:
                progress(k, len(students), student)
            outcomes.append(self._grade_one(name, student))
        if progress:
            progress(len(students), len(students), "done")
        changed = [str(p) for p in submitted if not p.exists() or _digest(p) != before[p]]
        if changed:  # cannot happen through nbgrader; say so loudly if it ever does
            raise ClassroomError(f"submitted files changed while grading: {changed}")
        self._write_notes(name, outcomes)
        return outcomes

    def _grade_one(self, name: str, student: str) -> Outcome:
        folder = self.root / "submitted" / student / name
        notebook = folder / f"{name}.ipynb"
        best = self._max_score(name)
        if not notebook.is_file():
            found = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
            return self._ungraded(
                name, student, best, f"no {name}.ipynb was handed in (found: {found})"
            )
        problem = not_a_notebook(notebook)
        if problem:
            return self._ungraded(
                name, student, best, f"{name}.ipynb is not a valid notebook: {problem}"
            )
        marked = self._hand_marks(name, student)
        with tempfile.TemporaryDirectory(prefix="scalelab-grade-") as scratch:
            work = Path(scratch)
            shutil.copy(self.root / "nbgrader_config.py", work)
            shutil.copytree(folder, work / "submitted" / student / name)
            env = self._kernel_environment(work) if self.contain else None
            limit = self.student_limit(name)
            args = ("autograde", name, "--student", student, "--force")
            db = f"--CourseDirectory.db_url=sqlite:///{self.root / 'gradebook.db'}"
            done = self._run((*args, db), cwd=work, env=env, limit=limit)
            if done.returncode != 0 and not done.timed_out and _kernel_did_not_start(done.log):
                # A kernel that did not start (a loaded machine) is no fault of the student's.
                shutil.rmtree(work / "autograded", ignore_errors=True)
                done = self._run((*args, db), cwd=work, env=env, limit=limit)
            if done.timed_out:
                return self._ungraded(
                    name,
                    student,
                    best,
                    f"grading stopped after {done.seconds:.0f} s (limit {limit:g} s per student, "
                    "--student-timeout)",
                )
            graded = work / "autograded" / student / name
            if done.returncode != 0 or not (graded / f"{name}.ipynb").is_file():
                return self._ungraded(
                    name, student, best, f"grading failed: {failure_reason(done.log)}"
                )
            target = self.root / "autograded" / student / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(graded, target)
        self._settle(name, student, marked)
        notes = edits(self.root / "exercises" / name / f"{name}.ipynb", notebook)
        notes += incidents(self.root / "autograded" / student / name / f"{name}.ipynb")
        return self.outcome(name, student, "; ".join(notes))

    def outcome(self, name: str, student: str, note: str = "") -> Outcome:
        """A graded submission's marks from the gradebook: autograded, given by hand, still waiting.

        Test (code) cells are autograded: one nbgrader left unscored, as a deleted test cell, counts
        0 unless a teacher gives it points. Free-text (markdown) answers are graded by hand, and wait
        while they have no hand mark: nbgrader's ``needs_manual_grade`` cannot say so, as a regrade
        sets it again on every marked answer (for review), and on a deleted test cell.
        """
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                submission = gb.find_submission(name, student)
            except MissingEntry:
                raise ClassroomError(f"no graded submission of {name} by {student}") from None
            auto = auto_max = hand = hand_max = waiting = review = blank = 0.0
            for notebook in submission.notebooks:
                for g in notebook.grades:
                    if g.cell_type == "code":
                        auto, auto_max = auto + g.score, auto_max + g.max_score
                        continue
                    hand_max += g.max_score
                    if g.manual_score is None and g.auto_score is not None:
                        blank += g.max_score  # left as handed out: nbgrader scored it 0
                    elif g.manual_score is None:
                        waiting += g.max_score
                    else:
                        hand += g.score
                        review += g.max_score if g.needs_manual_grade else 0
        return Outcome(student, auto, auto_max, note, hand, hand_max, waiting, review, blank)

    def _graded_cells(self, name: str, student: str) -> dict[str, dict] | None:
        """The graded cells (by grade id) of a student's autograded notebook, if there is one."""
        notebook = self.root / "autograded" / student / name / f"{name}.ipynb"
        return graded_cells(notebook) if notebook.is_file() else None

    @staticmethod
    def _answers(cells: dict[str, dict] | None) -> dict[str, str] | None:
        """The answers (solution cells' sources, by grade id) among graded ``cells``."""
        if cells is None:
            return None
        return {
            k: c["source"] for k, c in cells.items() if c["metadata"]["nbgrader"].get("solution")
        }

    def _hand_marks(self, name: str, student: str) -> dict[str, tuple]:
        """Before a regrade: the settled hand marks of a graded submission (a teacher's score, no
        longer flagged), each with its autograded score and the answers it was given for."""
        from nbgrader.api import MissingEntry

        answers = self._answers(self._graded_cells(name, student))
        if answers is None:
            return {}
        with self.gradebook() as gb:
            try:
                notebook = gb.find_submission_notebook(name, name, student)
            except MissingEntry:
                return {}
            return {
                g.name: (g.auto_score, answers)
                for g in notebook.grades
                if g.manual_score is not None and not g.needs_manual_grade
            }

    def _settle(self, name: str, student: str, marked: dict[str, tuple]) -> None:
        """After grading, what the formgrader would flag for no reason (nbgrader's
        ``needs_manual_grade``) is settled:

        - a hand mark given before this regrade, when the answers and the autograded score are
          what they were: nbgrader flags every hand-marked cell of a regraded submission for review
          (the answer may be new), and ``teach autograde`` regrades every submission each time;
        - a test cell the student deleted: nbgrader leaves it unscored and flagged, while it counts 0
          and the grading note says its points are lost (a teacher can still give points with
          ``teach mark``).
        """
        from nbgrader.api import MissingEntry

        present = self._graded_cells(name, student) or {}
        answers = self._answers(present)
        with self.gradebook() as gb:
            try:
                notebook = gb.find_submission_notebook(name, name, student)
            except MissingEntry:
                return
            for g in notebook.grades:
                if not g.needs_manual_grade:
                    continue
                if g.name in marked and marked[g.name] == (g.auto_score, answers):
                    g.needs_manual_grade = False
                elif (
                    g.cell.cell_type == "code"
                    and g.name not in present
                    and g.auto_score is None
                    and g.manual_score is None
                ):
                    g.auto_score = 0.0
                    g.needs_manual_grade = False
            gb.db.commit()

    def _kernel_environment(self, work: Path) -> dict[str, str]:
        """Make nbgrader start this student's kernel inside a sandbox that sees only ``work``."""
        spec = work / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True)
        argv = [
            *sandbox_command(work, hide=[self.root, ROOT]),
            # In its own PID namespace the kernel's parent is bwrap's init, pid 1, which ipykernel
            # would take for "my parent died"; bwrap's --die-with-parent does that job instead.
            "--unsetenv",
            "JPY_PARENT_PID",
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ]
        kernel = {
            "argv": argv,
            "display_name": "Python 3 (sandboxed for grading)",
            "language": "python",
            "interrupt_mode": "message",  # a signal would stop at bwrap, a message reaches Python
        }
        (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
        for sub in ("runtime", "ipython", "matplotlib", "tmp"):
            (work / sub).mkdir()
        return {
            "TMPDIR": str(work / "tmp"),  # nbclient writes the kernel's connection file there
            "JUPYTER_PATH": str(work / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
            "IPYTHONDIR": str(work / "ipython"),
            "MPLCONFIGDIR": str(work / "matplotlib"),
        }

    def _max_score(self, name: str) -> float:
        """The autograded points of ``name`` (its test cells)."""
        with self.gradebook() as gb:
            cells = [c for nb in gb.find_assignment(name).notebooks for c in nb.grade_cells]
            return float(sum(c.max_score for c in cells if c.cell_type == "code"))

    def _ungraded(self, name: str, student: str, best: float, note: str) -> Outcome:
        """No gradable notebook: make sure the gradebook holds no half-made submission for it."""
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb, contextlib.suppress(MissingEntry):
            gb.remove_submission(name, student)
        return Outcome(student, None, best, note)

    def _write_notes(self, name: str, outcomes: list[Outcome]) -> None:
        """Keep each ungraded submission's reason where feedback goes, for the teacher and student."""
        notes = {o.student: o.note for o in outcomes if o.note}
        path = self.root / "autograded" / f"{name}-notes.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notes, indent=1, sort_keys=True), encoding="utf-8")

    def mark(self, name: str, student: str, question: str, score: float, comment: str = "") -> None:
        """Record a hand grade (and a comment) for a free-text answer."""
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                grade = gb.find_grade(question, name, name, student)
            except MissingEntry:
                graded = sorted(s.student.id for s in gb.find_assignment(name).submissions)
                cells = [c for nb in gb.find_assignment(name).notebooks for c in nb.grade_cells]
                by_hand = sorted(c.name for c in cells if c.cell_type == "markdown")
                raise ClassroomError(
                    f"no {question!r} answer by {student!r} to mark: graded students are "
                    f"{', '.join(graded) or 'none yet'}; questions graded by hand are "
                    f"{', '.join(by_hand)}"
                ) from None
            if score < 0 or score > grade.max_score:
                raise ClassroomError(
                    f"{question} is worth 0 to {grade.max_score:g} points, got {score:g}"
                )
            grade.manual_score = score
            grade.needs_manual_grade = False  # as the Formgrader does when it records a score
            if comment:
                gb.find_comment(question, name, name, student).manual_comment = comment
            gb.db.commit()

    def feedback(self, name: str) -> list[Path]:
        """Write an HTML feedback page per student: nbgrader's for graded ones, a note for the rest."""
        self.nbgrader("generate_feedback", name, "--force")
        notes_file = self.root / "autograded" / f"{name}-notes.json"
        notes = json.loads(notes_file.read_text(encoding="utf-8")) if notes_file.exists() else {}
        for student, note in notes.items():
            page = self.root / "feedback" / student / name / f"{name}.html"
            if page.exists():  # graded: put the grader's notes at the top of nbgrader's page
                html = page.read_text(encoding="utf-8")
                at = html.find(">", html.find("<body")) + 1
                page.write_text(html[:at] + note_box(note) + html[at:], encoding="utf-8")
            else:
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(note_page(name, student, note), encoding="utf-8")
        return sorted((self.root / "feedback").glob(f"*/{name}/*.html"))

    def export(self, path: Path) -> Path:
        """Write every student's grades to a CSV file."""
        self.nbgrader("export", f"--to={Path(path).resolve()}")
        return Path(path)


# Asks nbgrader's configuration loading, run in the course folder, what it finds.
_SETTINGS = """
import json
from nbgrader.apps.baseapp import NbGrader
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default.exchange import Exchange

app = NbGrader()
app.load_config_file()
config = app.config
coursedir = CourseDirectory(config=config)
print(json.dumps({
    "exchange": str(config.Exchange.root) if "root" in config.Exchange else None,
    "default_exchange": Exchange(config=config).root,
    "course_id": coursedir.course_id,
    "ignore": list(coursedir.ignore),
    "include": list(coursedir.include),
    "max_file_size": coursedir.max_file_size,
    "groupshared": coursedir.groupshared,
}))
"""


def _kernel_did_not_start(log: str) -> bool:
    return "Kernel didn't respond in" in log or "Kernel died before replying" in log
