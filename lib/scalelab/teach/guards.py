"""nbgrader preprocessors that keep autograding honest and bounded (wired in by nbgrader_config.py).

nbgrader gives a test cell full marks when its output shows no error. A submission can make errors
vanish instead of fixing them, by changing IPython's error display, ``sys.excepthook`` or the way cells
run. So every autograded test cell gets one extra last line that prints a mark, secret and new on
every grading run; a test cell whose output lacks the mark did not run to its end, and scores zero
whatever else it shows. A second guard caps huge outputs, so a submission that prints 100 MB gives a
short autograded notebook and feedback page rather than a 100 MB one.

These guards raise the bar; they are not a sandbox. Student code runs as the grader's user and can
read whatever that user can read (see TEACHING.md, "What grading does not protect against").
"""

from __future__ import annotations

import re
import secrets

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Integer

_MARK_LINE = 'print("scalelab-test-end:{mark}")'
_MARK_RE = re.compile(r'\n?print\("scalelab-test-end:([0-9a-f]{32})"\)\s*$')
_MARK_TEXT_RE = re.compile(r"scalelab-test-end:[0-9a-f]{32}\n?")


HELD = "HeldForReview"
"""The ``ename`` of a held test cell's error (``scalelab.teach.integrity``, ``scalelab.teach.resilient``)."""


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: graded, and not an answer."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def add_note(nb: NotebookNode, note: str) -> None:
    """Record what happened while grading (in the notebook's metadata, ``scalelab.notes``), for the
    teacher's table and the student's feedback; :func:`scalelab.teach.grading.grading_notes` reads it."""
    scalelab = nb.metadata.setdefault("scalelab", {})
    scalelab.setdefault("notes", []).append(note)


class MarkTestEnds(NbGraderPreprocessor):
    """Before execution: end each autograded test cell with a line that prints a fresh secret mark."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        mark = secrets.token_hex(16)
        for cell in nb.cells:
            if is_test_cell(cell):
                cell.source = cell.source.rstrip("\n") + "\n" + _MARK_LINE.format(mark=mark)
        return nb, resources


class RequireTestEnds(NbGraderPreprocessor):
    """After execution: a test cell that never printed its mark gets an error output (no marks).

    The mark line and its printed text are removed again, so the autograded notebook and the
    feedback show the test cell as the teacher wrote it.
    """

    @staticmethod
    def reached(outputs: list[NotebookNode], secret: str) -> bool:
        """Whether the cell printed its mark, secret included (a right prefix alone is forged)."""
        mark = f"scalelab-test-end:{secret}"
        return any(o.output_type == "stream" and mark in o.get("text", "") for o in outputs)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        for cell in nb.cells:
            found = _MARK_RE.search(cell.source) if is_test_cell(cell) else None
            if found is None:
                continue
            cell.source = cell.source[: found.start()]
            reached = self.reached(cell.outputs, found.group(1))
            outputs = []
            for output in cell.outputs:
                if output.output_type == "stream":
                    output.text = _MARK_TEXT_RE.sub("", output.text)
                    if not output.text:
                        continue
                if output.output_type == "error":  # a traceback may quote the mark line
                    output.traceback = [
                        "\n".join(ln for ln in t.split("\n") if "scalelab-test-end:" not in ln)
                        for t in output.traceback
                    ]
                outputs.append(output)
            if not reached and not any(o.output_type == "error" for o in outputs):
                outputs.append(
                    NotebookNode(
                        output_type="error",
                        ename="GradingError",
                        evalue=(
                            "this test cell stopped before its end without showing an error, "
                            "so it earns no marks (was error display or cell execution changed?)"
                        ),
                        traceback=[],
                    )
                )
            cell.outputs = outputs
        return nb, resources


class CapOutput(NbGraderPreprocessor):
    """After execution: cut any text output longer than ``max_chars`` characters."""

    max_chars = Integer(20_000, help="longest text kept from one output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return (
            text[: self.max_chars]
            + f"\n… {len(text) - self.max_chars:,} characters cut by the grader"
        )

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict, index: int
    ) -> tuple[NotebookNode, dict]:
        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = self._cut(output.text)
            for key, value in output.get("data", {}).items():
                if key.startswith("text/") and isinstance(value, str):
                    output.data[key] = self._cut(value)
            if output.output_type == "error":
                output.evalue = self._cut(output.evalue)
        return cell, resources


class ShortenHiddenTracebacks(NbGraderPreprocessor):
    """For feedback: a failing test cell with hidden tests shows only its error line.

    A full traceback quotes the lines around the failure, which would hand the hidden tests to the
    student; the error's type and message say what went wrong without them.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict, index: int
    ) -> tuple[NotebookNode, dict]:
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
