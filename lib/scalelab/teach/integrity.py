"""Hold for a person the marks of a submission that redefines built-ins or reaches into the grader.

nbgrader runs a student's cells and the teacher's tests in one Python process, so an answer cell can
change what the tests rely on: rebind ``int`` to a class whose ``==`` is always true, make ``abs``
return 0, replace the ``check`` helpers, read the grader's secret test-end mark back from the history
of cell sources, or patch how IPython runs a cell. No test written in that same process can be made
safe against all of it. What can be done is to *notice*: before a submission's marks are saved, every
cell the student wrote is read (not run) and anything that

- rebinds a built-in name (``int = …``, ``def abs(…)``, ``from numpy import *``, ``builtins.abs = …``),
- rebinds or patches a name the read-only and test cells import (``check = …``, ``check.equal = …``),
- reaches into the grader (``get_ipython``, ``In``/``_ih``/``_i3``, ``sys._getframe``, ``gc``,
  ``inspect``, ``ctypes``, ``eval``/``exec``, ``globals()``, ``__import__``, the modules of IPython,
  nbgrader and nbclient, or the text of the secret mark)

is named, and every test cell that runs after the first such cell is held: it scores 0 with an error
that says why, until a person has looked (``scalelab teach mark`` can then give the marks back). The
autograde table and the feedback page name the cell and what it did.

The check reads source, so code can still hide from it (a string decoded at run time, say): it raises
the bar and makes tampering visible, it is not a proof (TEACHING.md says what grading cannot prevent).
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_locked, is_solution

from scalelab.teach.guards import HELD, add_note, is_test_cell

__all__ = ["HELD", "HoldTampering", "review"]  # HELD is scalelab.teach.guards.HELD, named here too

BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
# Names IPython keeps in the user namespace for the history of inputs and outputs.
_HISTORY = re.compile(r"^(In|Out|_ih|_oh|_dh|_i{1,3}|_i\d+|_\d+|__|___)$")
_GRADER_MODULES = frozenset(
    {
        "builtins",
        "__main__",
        "bdb",
        "ctypes",
        "gc",
        "importlib",
        "inspect",
        "IPython",
        "ipykernel",
        "jupyter_client",
        "nbclient",
        "nbconvert",
        "nbformat",
        "nbgrader",
        "pdb",
        "trace",
        "traitlets",
        "zmq",
    }
)
_GRADER_SUBMODULES = ("scalelab.teach",)  # the grader's own package, all of it
# Harmless parts of the modules above that learners use to show things.
_DISPLAY_MODULES = ("IPython.display", "IPython.core.display")
_GRADER_CALLS = frozenset({"eval", "exec", "compile", "globals", "__import__", "breakpoint"})
_GRADER_NAMES = frozenset({"get_ipython", "__builtins__", "__loader__", "__spec__"})
# Attributes that lead, from whatever object, to the interpreter, IPython, frames, globals, code or
# every class in the process: flagged however they are reached (``os.sys.modules``, an alias …).
_ESCAPE_ATTRIBUTES = frozenset(
    {
        "sys",
        "builtins",
        "modules",
        "_getframe",
        "settrace",
        "setprofile",
        "excepthook",
        "displayhook",
        "meta_path",
        "path_hooks",
        "addaudithook",
        "currentframe",
        "walk_stack",
        "walk_tb",
        "extract_stack",
        "get_ipython",
        "user_ns",
        "user_global_ns",
        "history_manager",
        "input_transformers_cleanup",
        "input_transformers_post",
        "input_transformer_manager",
        "transform_cell",
        "run_cell",
        "run_cell_async",
        "run_ast_nodes",
        "run_code",
        "showtraceback",
        "user_expressions",
        "attrgetter",
        "methodcaller",
        "__globals__",
        "__builtins__",
        "__code__",
        "__closure__",
        "__subclasses__",
        "__getattribute__",
        "__import__",
        "__loader__",
        "__self__",
        "__traceback__",
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "tb_frame",
        "tb_next",
        "gi_frame",
        "cr_frame",
        "ag_frame",
    }
)
# Attributes that are fine to read but not to replace.
_NO_WRITE_ATTRIBUTES = frozenset({"stdout", "stderr", "__stdout__", "__stderr__", "__dict__"})
_SECRETS = ("scalelab-test-end", "BEGIN HIDDEN TESTS")


@dataclass(frozen=True)
class Finding:
    """One thing a cell does that a person should look at.

    ``rebound`` is the name a plain top-level rebinding changed (``*`` for a star import): that can
    only fool the test cells that use the name, while every other finding can reach any test.
    """

    cell: str
    what: str
    rebound: str | None = None

    def __str__(self) -> str:
        return f"cell {self.cell} {self.what}"


def _python(source: str) -> tuple[ast.Module, bool] | None:
    """The cell as Python, and whether IPython had to translate it (``%magic``, ``!shell`` lines).

    None when even IPython cannot read it: such a cell fails on its own when it runs.
    """
    try:
        return ast.parse(source), False
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source)), True
    except Exception:  # noqa: BLE001 (SyntaxError, or anything IPython raises on odd input)
        return None


# Magics that only time or show code: their argument is read as Python like the rest of the cell.
_TIMING_MAGICS = frozenset({"time", "timeit", "prun"})
# Magics that only set how output looks.
_DISPLAY_MAGICS = frozenset({"matplotlib", "precision", "pprint"})


def _magic(node: ast.Call) -> tuple[str, str] | None:
    """``(name, argument)`` of a call IPython writes for a magic: ``get_ipython().run_line_magic(…)``."""
    func = node.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in ("run_line_magic", "run_cell_magic", "system", "getoutput")
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
        and node.args
        and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
    ):
        if func.attr in ("system", "getoutput"):
            return "!", node.args[0].value
        return node.args[0].value, "\n".join(a.value for a in node.args[1:])
    return None


def _called(node: ast.Call) -> str | None:
    """The name of a plain call ``name(…)``, else None."""
    return node.func.id if isinstance(node.func, ast.Name) else None


class _Reader(ast.NodeVisitor):
    """Collects findings in one cell. ``protected`` are the names the teacher's cells import."""

    def __init__(self, protected: dict[str, str], imported: set[str], magics: bool) -> None:
        self.protected = protected
        self.imported = imported
        self.magics = magics  # the tree is IPython's translation: its magic calls are expected
        self.test_names: set[str] = set()  # names only the teacher's cells bind (``_want`` …)
        self.found: list[tuple[str, str | None]] = []
        self.depth = 0  # 0 at the top level of the cell; inside a def or class more

    def note(self, what: str, rebound: str | None = None) -> None:
        if (what, rebound) not in self.found:
            self.found.append((what, rebound))

    def bind(self, name: str, how: str, origin: str | None = None) -> None:
        """``name`` is bound at the top level; ``origin`` is what an import binds it to."""
        if name in BUILTIN_NAMES:
            self.note(f"{how} the built-in `{name}`", rebound=name)
        elif name in self.protected and origin != self.protected[name]:
            self.note(f"{how} `{name}`, which the tests import", rebound=name)
        elif name.startswith("__") and name.endswith("__"):
            self.note(f"{how} `{name}`")  # __builtins__, __import__ …: every later lookup

    # -- names bound at the top level, or declared global -----------------------------------
    def _scoped(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if self.depth == 0:
            self.bind(node.name, "redefines")
        self._scoped(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)  # type: ignore[arg-type]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self.depth == 0:
            self.bind(node.name, "redefines")
        self._scoped(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self.bind(name, "declares global")

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del) and self.depth == 0:
            self.bind(node.id, "rebinds" if isinstance(node.ctx, ast.Store) else "deletes")
        elif isinstance(node.ctx, ast.Load) and (
            node.id in _GRADER_NAMES or node.id in _GRADER_CALLS or _HISTORY.match(node.id)
        ):
            self.note(f"uses `{node.id}`")
        elif isinstance(node.ctx, ast.Load) and node.id in self.test_names:
            self.note(f"reads `{node.id}`, a name the tests set")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imported(alias.name)
            if self.depth == 0:
                name, origin = _bound_by(node, alias)
                self.bind(name, "rebinds", origin)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._imported(module)
        for alias in node.names:
            if alias.name == "*":
                self.note(f"imports * from `{module}`", rebound="*")
            else:
                self._imported(f"{module}.{alias.name}", from_import=True)
                if self.depth == 0:
                    name, origin = _bound_by(node, alias)
                    self.bind(name, "rebinds", origin)

    def _imported(self, module: str, from_import: bool = False) -> None:
        """``from_import``: ``module`` is ``package.name`` of ``from package import name``."""
        grader = module.split(".")[0] in _GRADER_MODULES or module.startswith(_GRADER_SUBMODULES)
        escape = from_import and module.split(".")[-1] in _ESCAPE_ATTRIBUTES  # from sys import …
        if (grader or escape) and not module.startswith(_DISPLAY_MODULES):
            self.note(f"imports `{module}`")

    # -- attributes: patching modules, sys hooks, ways out to frames and globals ----------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        writes = isinstance(node.ctx, ast.Store | ast.Del)
        if node.attr in _ESCAPE_ATTRIBUTES:
            self.note(f"uses `.{node.attr}`")
        elif writes and node.attr in _NO_WRITE_ATTRIBUTES:
            self.note(f"replaces `.{node.attr}`")
        base = node.value.id if isinstance(node.value, ast.Name) else None
        known = base is not None and (
            base in self.protected or base in BUILTIN_NAMES or base in self.imported
        )
        if writes and known:
            self.note(f"patches `{base}.{node.attr}`")
        elif node.attr == "__dict__" and known:
            self.note(f"uses `{base}.__dict__`")
        elif writes and isinstance(node.value, ast.Call) and _called(node.value) == "type":
            self.note(f"patches a class through `type(…).{node.attr}`")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        # vars(x)[…] = … and x.__dict__[…] = … replace attributes too
        target = node.value
        if isinstance(node.ctx, ast.Store | ast.Del) and (
            (isinstance(target, ast.Attribute) and target.attr == "__dict__")
            or (isinstance(target, ast.Call) and _called(target) == "vars")
        ):
            self.note("replaces attributes through `__dict__` or `vars()`")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        magic = _magic(node) if self.magics else None
        if magic is not None:
            name, argument = magic
            if name == "!":
                self.note(f"runs the shell command `!{argument}`")
                return
            if name in _DISPLAY_MAGICS:
                return
            if name not in _TIMING_MAGICS:
                self.note(f"uses the magic %{name}")
                return
            read = _python(argument)
            if read is not None:
                self.visit(read[0])
            return
        name = _called(node)
        if name in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
            attribute = node.args[1]
            owner = node.args[0]
            own = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
            if not (isinstance(attribute, ast.Constant) and isinstance(attribute.value, str)):
                if not own:
                    self.note(f"calls {name}() with an attribute name computed at run time")
            elif attribute.value in _ESCAPE_ATTRIBUTES:
                self.note(f"uses `.{attribute.value}` through {name}()")
            target = node.args[0]
            if (
                name in ("setattr", "delattr")
                and isinstance(target, ast.Name)
                and (target.id in self.protected or target.id in self.imported)
            ):
                self.note(f"patches `{target.id}` with {name}()")
        elif name == "vars" and not node.args:
            self.note("uses `vars()`")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and any(s in node.value for s in _SECRETS):
            self.note("quotes the grader's secret marks")
        elif isinstance(node.value, str) and node.value in self.test_names:
            self.note(f"names `{node.value}`, a name the tests set")


def _bound_by(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> tuple[str, str]:
    """The name an import binds and what it binds it to (``np`` → ``numpy``)."""
    if isinstance(node, ast.Import):
        if alias.asname:
            return alias.asname, alias.name
        top = alias.name.split(".")[0]
        return top, top
    return alias.asname or alias.name, f"{node.module}.{alias.name}"


def _imports(tree: ast.Module) -> dict[str, str]:
    """Names a cell binds with ``import``, and what each is bound to."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= dict(_bound_by(node, a) for a in node.names if a.name != "*")
    return names


def _cell_name(cell: NotebookNode, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return grade_id or f"#{index + 1} (added by the student)"


def _written_by_student(cell: NotebookNode) -> bool:
    """Answer cells and cells the student added; test and read-only cells are the teacher's."""
    return cell.cell_type == "code" and (is_solution(cell) or not is_locked(cell))


def review(cells: list[NotebookNode]) -> list[tuple[int, Finding]]:
    """What each cell the student wrote does that a person should look at, with its index."""
    protected = teacher_imports(cells)
    imported: set[str] = set()
    test_names: set[str] = set()  # a hidden test's own variables: _want, _given, _np …
    for cell in cells:
        read = _python(cell.source) if is_test_cell(cell) else None
        if read is not None:
            test_names |= {n for n in _stored(read[0]) if n.startswith("_")}
    found = []
    for index, cell in enumerate(cells):
        if not _written_by_student(cell):
            continue
        read = _python(cell.source)
        if read is None:
            continue
        tree, translated = read
        imported |= set(_imports(tree))
        reader = _Reader(protected, imported, magics=translated)
        reader.test_names = test_names - _stored(tree) - BUILTIN_NAMES
        reader.visit(tree)
        name = _cell_name(cell, index)
        found += [(index, Finding(name, what, rebound)) for what, rebound in reader.found]
    return found


def teacher_imports(cells: list[NotebookNode]) -> dict[str, str]:
    """Name → what it is imported from, for every import in the teacher's (read-only, test) cells."""
    names: dict[str, str] = {}
    for cell in cells:
        if cell.cell_type == "code" and not _written_by_student(cell):
            read = _python(cell.source)
            if read is not None:
                names |= _imports(read[0])
    return names


def takes_builtins_back(cell: NotebookNode) -> bool:
    """Whether a test cell takes the built-ins back first, as hidden tests do."""
    read = _python(cell.source)
    return read is not None and restores_builtins(read[0])


def _stored(tree: ast.Module) -> set[str]:
    """Every name a cell binds (assignments, defs, classes, loop variables, imports)."""
    names = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return names | set(_imports(tree))


def _loaded(tree: ast.Module) -> set[str]:
    """Every name a cell reads."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def restores_builtins(tree: ast.Module) -> bool:
    """Whether a test cell takes back the built-ins first, as hidden tests do:
    ``builtins.globals().update(… builtins …)``."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "update"
        and isinstance(n.func.value, ast.Call)
        and isinstance(n.func.value.func, ast.Attribute)
        and n.func.value.func.attr == "globals"
        for n in ast.walk(tree)
    )


def _could_fool(finding: Finding, test: ast.Module) -> bool:
    """Whether what the finding did can change what this test cell sees."""
    if finding.rebound is None:
        return True
    if (finding.rebound in BUILTIN_NAMES or finding.rebound == "*") and restores_builtins(test):
        return False  # a hidden test takes the built-ins back and imports its own helpers
    return finding.rebound == "*" or finding.rebound in _loaded(test)


def held_reason(found: list[Finding]) -> str:
    """One sentence for the student and the teacher: which cells did what, grouped by cell."""
    by_cell: dict[str, list[str]] = {}
    for f in found:
        by_cell.setdefault(f.cell, []).append(f.what)
    what = " and ".join(f"cell {cell} {', '.join(things)}" for cell, things in by_cell.items())
    return (
        f"held for a person to check, because {what}: this can change what the tests see, so the "
        "test cells after it that it could change earn nothing until a teacher has looked"
    )


def _renaming_advice(found: list[Finding]) -> str:
    names = sorted({f.rebound for f in found if f.rebound and f.rebound != "*"})
    if not names:
        return ""
    listed = ", ".join(f"`{n}`" for n in names)
    return (
        f" (if you meant your own {listed}, rename it, e.g. `my_{names[0]}`, and grade again: "
        "the tests use Python's own built-ins and the course's helpers)"
    )


class HoldTampering(NbGraderPreprocessor):
    """After execution: hold at 0, for a person, the test cells that a tampering cell before them
    could have fooled, and note every finding in the notebook's metadata."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        found = review(nb.cells)
        if not found:
            return nb, resources
        reason = held_reason([f for _, f in found])
        points = 0.0
        for index, cell in enumerate(nb.cells):
            if not is_test_cell(cell):
                continue
            read = _python(cell.source)
            test = read[0] if read is not None else ast.Module(body=[], type_ignores=[])
            if any(at < index and _could_fool(f, test) for at, f in found):
                points += float(cell.metadata["nbgrader"].get("points", 0))
                cell.outputs.append(
                    NotebookNode(output_type="error", ename=HELD, evalue=reason, traceback=[])
                )
        advice = _renaming_advice([f for _, f in found])
        if points:
            add_note(nb, f"{reason} ({points:g} points held){advice}")
        else:
            what = "; ".join(str(f) for _, f in found)
            add_note(nb, f"{what}: no test could be fooled by it, so no marks were held{advice}")
        return nb, resources
