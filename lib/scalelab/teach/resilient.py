"""nbgrader preprocessors so that one fault in a submission costs one question, not the notebook.

Plain nbgrader gives a whole submission no grade when its kernel dies (``os._exit``, a signal, out
of memory), when a cell carries a grade id the exercise does not have, or when a graded cell appears
twice, which JupyterLab's copy and paste produces with the metadata copied (nbgrader issue #1083).

- :class:`RepairGradeIds` (sanitizing, before ``OverwriteCells``): a cell whose grade id the
  exercise does not know runs as an ordinary cell; of a cell that appears twice, the last copy keeps
  its grade id and the others run as ordinary cells, in order.
- :class:`ResilientExecute` (replacing nbgrader's ``Execute``): when the kernel dies, the cell that
  killed it gets an error output saying so, a new kernel runs the cells before it again, and grading
  goes on from the next cell, so only the questions that depend on that cell lose marks.

Both leave one line per event in the notebook's metadata (``scalelab.notes``), which
:func:`scalelab.teach.grading.grading_notes` reads back for the autograde table and the feedback page.
"""

from __future__ import annotations

import ast
import copy
import signal

from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors.execute import NotebookClient
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from scalelab.teach.guards import HELD, add_note, is_test_cell
from scalelab.teach.integrity import takes_builtins_back, teacher_imports

KERNEL_DIED = "KernelDied"  # the ename of the error output on a cell that killed the kernel


def _label(cell: NotebookNode, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {grade_id}" if grade_id else f"cell number {index + 1}"


class RepairGradeIds(NbGraderPreprocessor):
    """Before ``OverwriteCells``: grade unknown and duplicated grade ids instead of failing."""

    def _known(self, resources: dict) -> set[str] | None:
        info = resources.get("nbgrader", {})
        if "db_url" not in info:
            return None
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(info["db_url"]) as gb:
            try:
                notebook = gb.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                return None
            return {cell.name for cell in notebook.source_cells}

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        known = self._known(resources)
        later: set[str] = set()
        duplicated: list[str] = []
        unknown: list[str] = []
        for cell in reversed(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id and known is not None and grade_id not in known:
                unknown.append(grade_id)
            elif grade_id and grade_id in later:
                if grade_id not in duplicated:
                    duplicated.append(grade_id)
            elif grade_id:
                later.add(grade_id)
                continue
            del cell.metadata["nbgrader"]  # an ordinary cell from now on
        for grade_id in reversed(unknown):
            add_note(
                nb,
                f"cell {grade_id} is not part of this exercise (unknown grade id): "
                "it was run as an ordinary cell",
            )
        for grade_id in reversed(duplicated):
            add_note(nb, f"cell {grade_id} appears twice (copy and paste?): both copies were run")
        return nb, resources


def _how_it_died(returncode: int | None) -> str:
    if returncode is None:
        return "it stopped answering"
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signum:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        oom = " (out of memory?)" if signum == signal.SIGKILL else ""
        return f"it was killed by {name}{oom}"
    return f"it exited with status {returncode}"


class ResilientExecute(Execute):
    """nbgrader's ``Execute``, which restarts a kernel that dies and goes on with the next cell."""

    max_restarts = Integer(3, help="kernel restarts allowed per notebook").tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: dict | None = None, km: object = None
    ) -> tuple[NotebookNode, dict]:
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._skip: set[int] = set()  # cells not to run again in a new kernel
        self._held: dict[str, list[tuple[str, NotebookNode]]] = {}  # by what the probe found
        self._names = teacher_imports(self.nb.cells)  # names the probe checks in the namespace
        self._restarts = 0
        start: int | None = 0
        while start is not None:
            start = self._run_from(start, resources)
        self._note_held()
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _probe(self, reset: bool = False, after: NotebookNode | None = None) -> str:
        """Ask the kernel whether how cells run has changed (``scalelab.teach.probe``): "ok" or what.

        A user expression is evaluated by IPython directly, not through the input transformers or
        ``run_cell`` a submission may have replaced.
        """
        assert self.kc is not None
        no_shadows = after is not None and takes_builtins_back(after)
        expression = (
            f"__import__('scalelab.teach.probe', fromlist=['check']).check({reset}, "
            f"{self._names!r}, {no_shadows})"
        )
        msg_id = self.kc.execute(
            "", silent=True, store_history=False, user_expressions={"probe": expression}
        )
        reply = self.wait_for_reply(msg_id) or {}
        value = reply.get("content", {}).get("user_expressions", {}).get("probe", {})
        if value.get("status") != "ok":
            return "the grader's own check, which could not run"
        text = value.get("data", {}).get("text/plain", "")
        try:
            return str(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            return "the grader's own check, which answered oddly"

    def _hold(self, cell: NotebookNode, index: int, changed: str) -> None:
        """A test cell that ran while how cells run was changed earns nothing until a person looks."""
        reason = (
            f"held for a person to check, because the notebook had changed {changed} when this "
            "test cell ran: this can change what the tests see"
        )
        cell.outputs.append(
            NotebookNode(output_type="error", ename=HELD, evalue=reason, traceback=[])
        )
        self._held.setdefault(changed, []).append((_label(cell, index), cell))

    def _note_held(self) -> None:
        """One note per change found, naming the test cells it held."""
        for changed, cells in self._held.items():
            labels = ", ".join(label.removeprefix("cell ") for label, _ in cells)
            points = sum(float(c.metadata.get("nbgrader", {}).get("points", 0)) for _, c in cells)
            add_note(
                self.nb,
                f"held for a person to check, because the notebook had changed {changed} when "
                f"test cells {labels} ran ({points:g} points held)",
            )

    def _returncode(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return None if process is None else process.poll()

    def _run_from(self, start: int, resources: dict | None) -> int | None:
        """In a new kernel, run again the cells before ``start``, then the rest; return the cell
        to go on from after the kernel died, or None when the notebook is done."""
        with self.setup_kernel():
            assert self.kc is not None
            info = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            self._probe(reset=True)
            index, replaying = 0, True
            try:
                for index in range(start):
                    cell = self.nb.cells[index]
                    if index not in self._skip and not _timed_out(cell):
                        self.execute_cell(copy.deepcopy(cell), index, store_history=False)
                replaying = False
                for index in range(start, len(self.nb.cells)):
                    cell = self.nb.cells[index]
                    test = is_test_cell(cell)
                    before = self._probe() if test else "ok"
                    self.preprocess_cell(cell, resources, index)
                    after = self._probe(after=cell) if test else "ok"
                    changed = before if before != "ok" else after
                    if changed != "ok":
                        self._hold(cell, index, changed)
                return None
            except DeadKernelError:
                how = _how_it_died(self._returncode())
        cell = self.nb.cells[index]
        self._skip.add(index)
        self._restarts += 1
        label = _label(cell, index)
        if replaying:
            add_note(self.nb, f"the kernel died again while re-running {label} ({how})")
        else:
            cell.outputs.append(
                NotebookNode(
                    output_type="error",
                    ename=KERNEL_DIED,
                    evalue=f"the kernel died while running this cell: {how}",
                    traceback=[f"{KERNEL_DIED}: the kernel died while running this cell: {how}"],
                )
            )
        if self._restarts > self.max_restarts:
            for later in self.nb.cells[start if replaying else index + 1 :]:
                if later.cell_type == "code":
                    later.outputs.append(
                        NotebookNode(
                            output_type="error",
                            ename=KERNEL_DIED,
                            evalue=f"not run: the kernel died {self._restarts} times",
                            traceback=[],
                        )
                    )
            add_note(
                self.nb,
                f"the kernel died while running {label} ({how}), {self._restarts} deaths "
                "in all: the cells after it were not run",
            )
            return None
        if not replaying:
            add_note(
                self.nb,
                f"the kernel died while running {label} ({how}): a new kernel ran the cells "
                "before it again and grading went on",
            )
            return index + 1
        return start


def _timed_out(cell: NotebookNode) -> bool:
    return any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))
