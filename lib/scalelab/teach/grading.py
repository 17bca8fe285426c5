"""Grade notebooks with nbgrader in a scratch course, so that nothing in the real course changes.

The repository root is an nbgrader course (see ``nbgrader_config.py``). Every function here copies
what it needs into a temporary directory, runs nbgrader there, and reads the results back: a learner's
notebook, the committed exercises and a teacher's gradebook are never written to.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scalelab.teach import reaper
from scalelab.teach.guards import HELD

ROOT = Path(__file__).resolve().parents[3]


class GradingFailedError(RuntimeError):
    """nbgrader could not grade a notebook; the message is one line saying why."""


def cell_timeout(root: Path = ROOT) -> float:
    """The course's ``Execute.timeout`` (seconds a cell may run), from its nbgrader_config.py."""
    config = (Path(root) / "nbgrader_config.py").read_text(encoding="utf-8")
    found = re.findall(r"^c\.Execute\.timeout\s*=\s*(\d+)", config, flags=re.M)
    return float(found[-1]) if found else 30.0  # nbgrader's default


def student_limit(released: Path, timeout: float) -> float:
    """Seconds grading one submission may take in all: 60 s plus twice the cell timeout for each
    code cell of the released notebook (every cell may run to its timeout, and a kernel that dies
    has the cells before it run again)."""
    cells = json.loads(Path(released).read_text(encoding="utf-8"))["cells"]
    return 60 + 2 * timeout * sum(1 for cell in cells if cell["cell_type"] == "code")


def nbgrader_path(path: str = "") -> str:
    """``path`` (a PATH value) with this interpreter's scripts folder first: nbgrader runs the
    ``alembic`` and ``nbgrader`` executables, which live beside the interpreter."""
    bindir = str(Path(sys.executable).parent)
    parts = path.split(os.pathsep) if path else []
    return os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


def run_nbgrader(
    args: Sequence[str], limit: float | None, cwd: Path, env: Mapping[str, str] | None = None
) -> reaper.Finished:
    """Run this environment's ``nbgrader`` under :mod:`scalelab.teach.reaper`: its log goes to a file,
    and whatever it started dies when it ends or when ``limit`` seconds have passed."""
    environment = {**os.environ, **(env or {})}
    environment["PATH"] = nbgrader_path(environment.get("PATH", ""))
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    return reaper.run([nbgrader, *args], limit=limit, cwd=cwd, env=environment)


def not_a_notebook(path: Path) -> str | None:
    """Why ``path`` is not a valid notebook (one line), or None when it is one."""
    import nbformat

    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as e:  # noqa: BLE001 (any reason a file is not a notebook)
        return str(e).splitlines()[0][:200] if str(e) else type(e).__name__
    return None


def assignments(root: Path = ROOT) -> list[str]:
    """Names of the assignments: the folders of ``solutions/`` holding a notebook of the same name."""
    return sorted(
        p.parent.name for p in (root / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name
    )


@dataclass(frozen=True)
class Score:
    """Marks of one graded cell of one submission."""

    cell: str
    score: float
    max_score: float
    message: str = ""


class ScratchCourse:
    """A temporary nbgrader course built from ``solutions/``, with its own gradebook.

    nbgrader runs exactly as in the teacher's classroom: as a command, through :func:`run_nbgrader`.

    Use as a context manager; the directory is deleted on exit. ``timeout`` (seconds per cell)
    overrides the course's ``Execute.timeout``.
    """

    def __init__(
        self, names: Iterable[str] | None = None, root: Path = ROOT, timeout: int | None = None
    ) -> None:
        self.root = root
        self.timeout = timeout
        self.names = list(names) if names is not None else assignments(root)
        unknown = sorted(set(self.names) - set(assignments(root)))
        if unknown:
            raise ValueError(f"no such assignment(s) {unknown}; known: {assignments(root)}")
        self._tmp = tempfile.TemporaryDirectory(prefix="scalelab-grade-")
        self.path = Path(self._tmp.name)

    def __enter__(self) -> ScratchCourse:
        os.environ["PATH"] = nbgrader_path(os.environ.get("PATH", ""))
        shutil.copy(self.root / "nbgrader_config.py", self.path)
        for name in self.names:
            shutil.copytree(self.root / "solutions" / name, self.path / "solutions" / name)
        if not self.names:
            return self
        # One nbgrader for all the assignments (its start costs seconds): "*" matches exactly the
        # folders copied above. Alone, an assignment goes by its name, as in the teacher's course.
        which = self.names[0] if len(self.names) == 1 else "*"
        done = run_nbgrader(
            ["generate_assignment", which, "--force", f"--CourseDirectory.root={self.path}"],
            limit=600,
            cwd=self.path,
        )
        if done.returncode != 0 or done.timed_out:
            raise GradingFailedError(
                f"nbgrader could not generate {', '.join(self.names)}: {failure_reason(done.log)}"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def released(self, name: str) -> Path:
        """The student version nbgrader generated for ``name``."""
        return self.path / "exercises" / name / f"{name}.ipynb"

    def autograde(self, name: str, submissions: Mapping[str, Path]) -> dict[str, list[Score]]:
        """Grade each ``student → notebook`` (copied, never touched) and return their scores.

        nbgrader runs in a subprocess under :mod:`scalelab.teach.reaper`, all the students at once, so
        that nothing a notebook starts outlives its grading and a wall-clock limit holds. Raises
        :class:`GradingFailedError` (one line) for a notebook that cannot be graded.
        """
        for notebook in submissions.values():
            problem = not_a_notebook(notebook)
            if problem:
                raise GradingFailedError(f"{notebook} is not a valid notebook: {problem}")
        shutil.rmtree(self.path / "submitted", ignore_errors=True)  # grade these students only
        for student, notebook in submissions.items():
            target = self.path / "submitted" / student / name
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebook, target / f"{name}.ipynb")
        limit = student_limit(self.released(name), self.timeout or cell_timeout(self.path))
        done = self._nbgrader(name, "*", limit * len(submissions))
        results = {}
        for student in submissions:
            graded = self.path / "autograded" / student / name / f"{name}.ipynb"
            if not graded.is_file() or done.timed_out:  # find out alone what went wrong
                alone = self._nbgrader(name, student, limit)
                if alone.timed_out:
                    raise GradingFailedError(
                        f"grading {student}'s {name} stopped after {alone.seconds:.0f} s "
                        f"(limit {limit:g} s)"
                    )
                if alone.returncode != 0 or not graded.is_file():
                    reason = failure_reason(alone.log)
                    raise GradingFailedError(
                        f"nbgrader could not grade {student}'s {name}: {reason}"
                    )
            results[student] = self._scores(name, student)
        return results

    def _nbgrader(self, name: str, student: str, limit: float) -> reaper.Finished:
        options = [f"--CourseDirectory.root={self.path}", "--force", f"--student={student}"]
        if self.timeout is not None:
            options.append(f"--Execute.timeout={self.timeout}")
        return run_nbgrader(["autograde", name, *options], limit=limit, cwd=self.path)

    def notes(self, name: str, student: str) -> list[str]:
        """What grading ``student``'s ``name`` ran into (a kernel that died, a duplicated cell …)."""
        graded = self.path / "autograded" / student / name / f"{name}.ipynb"
        return grading_notes(graded) + answer_errors(graded)

    def _scores(self, name: str, student: str) -> list[Score]:
        cells = graded_cells(self.path / "autograded" / student / name / f"{name}.ipynb")
        order = {grade_id: k for k, grade_id in enumerate(cells)}
        messages = _errors_by_cell(cells)
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.path / 'gradebook.db'}") as gb:
            notebook = gb.find_submission_notebook(name, name, student)
            return [
                Score(g.name, float(g.score), float(g.max_score), messages.get(g.name, ""))
                for g in sorted(notebook.grades, key=lambda g: order.get(g.name, len(order)))
                if g.cell.cell_type == "code"  # free-text answers wait for a teacher
            ]


_NBGRADER_PREFIX = re.compile(r"^\[\w+ \| \w+\]\s*")


def failure_reason(log: str) -> str:
    """The one line of nbgrader's log that says why it failed: the exception its last traceback
    ends with, else the last error it logged."""
    lines = log.splitlines()
    starts = [k for k, line in enumerate(lines) if "Traceback (most recent call last)" in line]
    if starts:
        block = []
        for line in lines[starts[-1] + 1 :]:
            if line.startswith("["):  # the next log record
                break
            if line.strip() and not line.strip().startswith(("File ", "^", "~")):
                block.append(line.strip())
        if block:
            return block[-1][:300]
    errors = [
        _NBGRADER_PREFIX.sub("", line).strip()
        for line in lines
        if "| ERROR]" in line and "see the error log" not in line and "see the the" not in line
    ]
    errors = [e for e in errors if not e.startswith("There was an error processing")] or errors
    last = [line.strip() for line in lines if line.strip()]
    return (errors[-1] if errors else (last[-1] if last else "nbgrader wrote no log"))[:300]


def graded_cells(notebook: Path) -> dict[str, dict]:
    """The cells nbgrader knows by a grade id, in notebook order, each with its source as one string."""
    out = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            source = cell["source"]
            out[grade_id] = {
                **cell,
                "source": "".join(source) if isinstance(source, list) else source,
            }
    return out


def grading_notes(notebook: Path) -> list[str]:
    """The notes grading left in an autograded notebook's metadata (``scalelab.notes``): a kernel
    that died, a cell that appears twice, a cell with an unknown grade id."""
    metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return list(metadata.get("scalelab", {}).get("notes", []))


def answer_errors(notebook: Path) -> list[str]:
    """Answer cells of an autograded notebook that stopped with an error, one line each.

    A syntax error in an answer makes every test after it fail with ``NameError``; this names the cause.
    """
    notes = []
    for grade_id, cell in graded_cells(notebook).items():
        meta = cell["metadata"]["nbgrader"]
        if cell["cell_type"] != "code" or not meta.get("solution") or meta.get("grade"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output["ename"] != "NotImplementedError":
                error = f"{output['ename']}: {output['evalue']}".strip().rstrip(":").splitlines()[0]
                notes.append(
                    f"answer cell {grade_id} stopped with {error[:300]}; "
                    "the tests that use it failed for that reason"
                )
    return notes


def _errors_by_cell(cells: dict[str, dict]) -> dict[str, str]:
    """The first line of the error each graded cell raised, by grade id."""
    out = {}
    for grade_id, cell in cells.items():
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output["ename"] == HELD:
                out[grade_id] = "held for a person to check (see the note below)"
            elif output.get("output_type") == "error":
                text = f"{output['ename']}: {output['evalue']}".strip().rstrip(":")
                out[grade_id] = text.splitlines()[0][:600]
    return out


def generate_exercises(dest: Path, root: Path = ROOT) -> list[Path]:
    """Write the student version of every assignment into ``dest/<name>/`` and return the files."""
    written = []
    with ScratchCourse(root=root) as course:
        for name in course.names:
            src = course.path / "exercises" / name
            shutil.copytree(src, dest / name, dirs_exist_ok=True)
            written += sorted((dest / name).rglob("*.ipynb"))
    return written


def written_answers(notebook: Path) -> list[float]:
    """The points of each free-text answer of a notebook: graded by a person, not by nbgrader."""
    return [
        float(cell["metadata"]["nbgrader"].get("points", 0))
        for cell in graded_cells(notebook).values()
        if cell["cell_type"] == "markdown" and cell["metadata"]["nbgrader"].get("grade")
    ]


def score_table(scores: list[Score], written: Sequence[float] = ()) -> str:
    """A plain-text table: one row per graded cell, then the total, then the points of the
    ``written`` answers (their points each), which wait for a person."""
    width = max([len(s.cell) for s in scores] + [8])
    lines = [f"{'question':<{width}}  score", f"{'-' * width}  -----"]
    for s in scores:
        mark = "✔" if s.score == s.max_score else "✘"
        row = f"{s.cell:<{width}}  {s.score:g}/{s.max_score:g} {mark}"
        message = s.message if s.message and s.score < s.max_score else ""
        if len(row) + 2 + len(message) <= 100:
            lines.append(f"{row}  {message}" if message else row)
        else:  # a long message (what was expected, what came back) wraps under its row, whole
            lines.append(row)
            lines += textwrap.wrap(message, 96, initial_indent="    ", subsequent_indent="    ")
    total, best = sum(s.score for s in scores), sum(s.max_score for s in scores)
    lines.append(f"{'total':<{width}}  {total:g}/{best:g}")
    if written:
        answers = "1 written answer" if len(written) == 1 else f"{len(written)} written answers"
        lines.append(
            f"+ {sum(written):g} points for {answers}, graded by a person (not counted here)"
        )
    return "\n".join(lines)
