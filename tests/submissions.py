"""Build submissions the way a learner hands them in: the student version with answer cells filled."""

from __future__ import annotations

import json
from pathlib import Path

from scalelab.grading import ROOT


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def reference_answers(name: str) -> dict[str, str]:
    """The code of every answer cell of the solution, without the solution markers."""
    source = ROOT / "solutions" / name / f"{name}.ipynb"
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return {
        _meta(c)["grade_id"]: "".join(
            line
            for line in _source(c).splitlines(keepends=True)
            if not line.strip().startswith(markers)
        )
        for c in _cells(source)
        if c["cell_type"] == "code" and _meta(c).get("solution")
    }


def write_submission(released: Path, answers: dict[str, str], dest: Path) -> Path:
    """The student version with the given answer cells filled in, as a learner would hand it in."""
    notebook = json.loads(released.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return dest
