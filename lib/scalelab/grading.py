"""Grade notebooks with nbgrader in a scratch course, so that nothing in the real course changes.

The repository root is an nbgrader course (see ``nbgrader_config.py``). Every function here copies
what it needs into a temporary directory, runs nbgrader there, and reads the results back: a learner's
notebook, the committed exercises and a teacher's gradebook are never written to.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def nbgrader_path(path: str = "") -> str:
    """``path`` (a PATH value) with this interpreter's scripts folder first: nbgrader runs the
    ``alembic`` and ``nbgrader`` executables, which live beside the interpreter."""
    bindir = str(Path(sys.executable).parent)
    parts = path.split(os.pathsep) if path else []
    return os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


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
        self.api = self._api()
        for name in self.names:
            result = self.api.generate_assignment(name, force=True)
            if not result["success"]:
                raise RuntimeError(f"nbgrader could not generate {name}:\n{result['log']}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def _api(self):  # noqa: ANN202 (nbgrader has no type hints)
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.path)).load_config()
        config.CourseDirectory.root = str(self.path)
        config.Application.log_level = "WARN"
        if self.timeout is not None:
            config.Execute.timeout = self.timeout
        return NbGraderAPI(CourseDirectory(config=config), config=config)

    def released(self, name: str) -> Path:
        """The student version nbgrader generated for ``name``."""
        return self.path / "exercises" / name / f"{name}.ipynb"

    def autograde(self, name: str, submissions: Mapping[str, Path]) -> dict[str, list[Score]]:
        """Grade each ``student → notebook`` (copied, never touched) and return their scores."""
        for student, notebook in submissions.items():
            target = self.path / "submitted" / student / name
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebook, target / f"{name}.ipynb")
        results = {}
        for student in submissions:
            outcome = self.api.autograde(name, student, force=True, create=True)
            if not outcome["success"]:
                raise RuntimeError(
                    f"nbgrader could not grade {student}'s {name}:\n{outcome['log']}"
                )
            results[student] = self._scores(name, student)
        return results

    def _scores(self, name: str, student: str) -> list[Score]:
        cells = graded_cells(self.path / "autograded" / student / name / f"{name}.ipynb")
        order = {grade_id: k for k, grade_id in enumerate(cells)}
        messages = _errors_by_cell(cells)
        with self.api.gradebook as gb:
            notebook = gb.find_submission_notebook(name, name, student)
            return [
                Score(g.name, float(g.score), float(g.max_score), messages.get(g.name, ""))
                for g in sorted(notebook.grades, key=lambda g: order.get(g.name, len(order)))
                if g.cell.cell_type == "code"  # free-text answers wait for a teacher
            ]


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


def _errors_by_cell(cells: dict[str, dict]) -> dict[str, str]:
    """The first line of the error each graded cell raised, by grade id."""
    out = {}
    for grade_id, cell in cells.items():
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = f"{output['ename']}: {output['evalue']}".strip().rstrip(":")
                out[grade_id] = text.splitlines()[0][:160]
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
        note = f"  {s.message}" if s.message and s.score < s.max_score else ""
        lines.append(f"{s.cell:<{width}}  {s.score:g}/{s.max_score:g} {mark}{note}")
    total, best = sum(s.score for s in scores), sum(s.max_score for s in scores)
    lines.append(f"{'total':<{width}}  {total:g}/{best:g}")
    if written:
        answers = "1 written answer" if len(written) == 1 else f"{len(written)} written answers"
        lines.append(
            f"+ {sum(written):g} points for {answers}, graded by a person (not counted here)"
        )
    return "\n".join(lines)
