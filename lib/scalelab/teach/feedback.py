"""What a student hears about their graded submission, beyond the marks.

Grading undoes some things a student did (an edited or deleted test cell) and runs into others (a
cell stopped for running too long, output cut, a kernel that died). These notes go into the teacher's
table and at the top of the student's feedback page; a submission that could not be graded at all
gets a page of its own that says why.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from scalelab.teach.grading import graded_cells, grading_notes


def edits(released: Path, submitted: Path) -> list[str]:
    """What the student changed that grading undoes: deleted or edited test and read-only cells."""
    if not released.exists():
        return []
    theirs = graded_cells(submitted)
    notes = []
    for grade_id, cell in graded_cells(released).items():
        meta = cell["metadata"]["nbgrader"]
        if meta.get("solution"):
            continue
        kind = "test cell" if meta.get("grade") else "read-only cell"
        if grade_id not in theirs:
            lost = ": its points are lost" if meta.get("grade") else ""
            notes.append(f"the {kind} {grade_id} was deleted{lost}")
        elif theirs[grade_id]["source"].strip() != cell["source"].strip():
            notes.append(f"the {kind} {grade_id} was edited: it was graded as originally written")
    return notes


def incidents(graded: Path) -> list[str]:
    """What happened while grading that a student should hear about, by cell."""
    notes = grading_notes(graded)  # a kernel that died, duplicated or unknown cells, held marks
    for grade_id, cell in graded_cells(graded).items():
        for output in cell.get("outputs", []):
            name = output.get("ename", "")
            if name == "CellTimeoutError":
                notes.append(f"cell {grade_id} ran too long and was stopped")
            elif name == "GradingError":
                notes.append(f"test cell {grade_id} did not run to its end: no marks")
            elif "characters cut by the grader" in "".join(output.get("text", "")):
                notes.append(f"the output of cell {grade_id} was too long and was cut")
    return notes


def note_box(note: str) -> str:
    items = "".join(f"<li>{escape(n)}</li>" for n in note.split("; "))
    return (
        "<div style='border:2px solid #C44E52;padding:0.5em 1em;margin:1em'>"
        f"<strong>Notes from the grader</strong><ul>{items}</ul></div>"
    )


def note_page(name: str, student: str, note: str) -> str:
    return (
        f"<!doctype html><meta charset='utf-8'><title>{escape(name)}: feedback</title>"
        f"<h1>{escape(name)}: feedback for {escape(student)}</h1>"
        f"<p>Your submission could not be graded: {escape(note)}.</p>"
        "<p>Please check the file you handed in and talk to your teacher.</p>"
    )
