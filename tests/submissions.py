"""Build submissions the way a learner hands them in: the student version with answer cells filled."""

from __future__ import annotations

import json
from pathlib import Path

from scalelab.teach.grading import ROOT, graded_cells


def reference_answers(name: str) -> dict[str, str]:
    """The code of every answer cell of the solution, without the solution markers."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return {
        grade_id: "".join(
            line
            for line in cell["source"].splitlines(keepends=True)
            if not line.strip().startswith(markers)
        )
        for grade_id, cell in graded_cells(ROOT / "solutions" / name / f"{name}.ipynb").items()
        if cell["cell_type"] == "code" and cell["metadata"]["nbgrader"].get("solution")
    }


def write_submission(released: Path, answers: dict[str, str], dest: Path) -> Path:
    """The student version with the given answer cells filled in, as a learner would hand it in."""
    notebook = json.loads(released.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return dest


def points_of(name: str, question: str) -> float:
    """Autograded points of one question (grade ids starting ``question-``) of an exercise."""
    return sum(
        float(cell["metadata"]["nbgrader"]["points"])
        for grade_id, cell in graded_cells(ROOT / "solutions" / name / f"{name}.ipynb").items()
        if grade_id.startswith(f"{question}-")
        and cell["cell_type"] == "code"
        and cell["metadata"]["nbgrader"].get("grade")
    )
