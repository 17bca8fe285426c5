"""Mutation testing of the exercises' reference solutions: do the hidden tests catch wrong answers?

Each answer cell of ``solutions/NN-slug/NN-slug.ipynb`` is mutated, one small change at a time
(a comparison, a constant, an off-by-one, swapped operands, a removed statement or ``if`` guard,
state moved to the class), and the notebook's cells are run in order, as nbgrader runs them, with
that one cell changed. A mutant is *killed* when at least one hidden test cell of the same question
fails (raises, runs out of time, or never gets to run because the kernel died). The score of an
exercise is killed / (mutants − known equivalents); ``tests/test_mutation.py`` requires 95 %.

Why a small AST mutator and not mutmut or Cosmic Ray: both mutate ``.py`` files on disk and run a
test command (mutmut 3 mutates functions in ``paths_to_mutate`` behind a trampoline and runs pytest;
Cosmic Ray keeps a session database and starts a test process per mutant). Here the code lives in
notebook cells and the tests are other cells of the same notebook, so either tool would need the
notebook exported to a module and its test cells wrapped as pytest tests, and neither has the
operator this course needs most: per-instance state moved to the class, the classic bug of a
learner's balancer. The mutator below walks ``ast`` in about 350 lines, runs in-process with
``os.fork`` (no interpreter start per mutant), and every mutant gets a readable id such as
``ha-answer L12: '<' → '<='``.

Line numbers are those of the answer cell in the solution notebook (markers included).

Run ``make mutation`` (or ``.venv/bin/python tests/mutation.py [exercise …]``) for the score table
and the surviving mutants, listed by id, ready to be judged and, if equivalent, copied with a reason
into ``tests/mutation_equivalents.py``.
"""

from __future__ import annotations

import ast
import builtins
import copy
import gc
import importlib
import json
import os
import re
import selectors
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD = 0.95

# ---------------------------------------------------------------------------------------------
# The notebook: which cells answer, which test, which question they belong to


@dataclass(frozen=True)
class Cell:
    index: int
    grade_id: str | None
    source: str
    answer: bool = False  # an nbgrader solution cell (what learners write)
    test: bool = False  # an autograded test cell
    hidden: bool = False  # a test cell with hidden tests

    @property
    def question(self) -> str | None:
        """The question a graded cell belongs to: its grade id up to the first dash (rr-, ha-, …)."""
        return self.grade_id.split("-", 1)[0] if self.grade_id else None


def notebook_cells(notebook: Path) -> list[Cell]:
    """The code cells of an nbgrader source notebook, in order, classified by their metadata."""
    cells = []
    for k, cell in enumerate(json.loads(notebook.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell["source"]
        source = "".join(source) if isinstance(source, list) else source
        test = bool(meta.get("grade")) and not meta.get("solution")
        cells.append(
            Cell(
                index=k,
                grade_id=meta.get("grade_id"),
                source=source,
                answer=bool(meta.get("solution")),
                test=test,
                hidden=test and "### BEGIN HIDDEN TESTS" in source,
            )
        )
    return cells


def parse(source: str) -> ast.Module:
    """A cell's code as a syntax tree; IPython syntax (magics, ``!cmd``) is turned into Python first."""
    try:
        return ast.parse(source)
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))


# ---------------------------------------------------------------------------------------------
# The mutator


@dataclass(frozen=True)
class Mutant:
    id: str  # "<answer grade id> L<line>: <what changed>"
    cell: str  # grade id of the mutated answer cell
    tree: ast.Module = field(repr=False, compare=False)


CMP_SWAPS: dict[type, list[type]] = {
    ast.Lt: [ast.LtE, ast.Gt, ast.GtE],
    ast.LtE: [ast.Lt, ast.GtE, ast.Gt],
    ast.Gt: [ast.GtE, ast.Lt, ast.LtE],
    ast.GtE: [ast.Gt, ast.LtE, ast.Lt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
}
ARITHMETIC = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod]
# Swapping the operands of + or * changes nothing for numbers: only these are swapped.
NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.And: "and", ast.Or: "or",
}  # fmt: skip


def _short(node: ast.AST, width: int = 48) -> str:
    text = ast.unparse(node).splitlines()[0]
    return text if len(text) <= width else text[: width - 1] + "…"


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes never mutated: annotations, docstrings and f-strings (messages, not behaviour)."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            mark(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mark(node.returns)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        elif isinstance(node, ast.JoinedStr):
            mark(node)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                mark(body[0])
    return skip


def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    """Each node's parent, the field holding it, and its position when the field is a list."""
    out = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for k, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        out[id(child)] = (parent, name, k)
            elif isinstance(value, ast.AST):
                out[id(value)] = (parent, name, None)
    return out


def _replace(tree: ast.AST, node: ast.AST, new: ast.AST | list[ast.stmt]) -> None:
    """Put ``new`` (a node, or statements for a statement) where ``node`` is in ``tree``."""
    parent, name, k = _parents(tree)[id(node)]
    if k is None:
        setattr(parent, name, new)
    else:
        items = getattr(parent, name)
        items[k : k + 1] = new if isinstance(new, list) else [new]


def _plus(node: ast.expr, delta: int) -> ast.expr:
    op = ast.Add() if delta > 0 else ast.Sub()
    return ast.BinOp(left=node, op=op, right=ast.Constant(abs(delta)))


def _self_name(tree: ast.AST, node: ast.AST) -> str | None:
    """The first parameter's name (``self``) of the method ``node`` sits in, if it is in one."""
    parents = _parents(tree)
    current, method = node, None
    while id(current) in parents:
        current = parents[id(current)][0]
        if isinstance(current, ast.FunctionDef) and method is None:
            method = current
        if isinstance(current, ast.ClassDef) and method is not None:
            args = method.args.posonlyargs + method.args.args
            return args[0].arg if args else None
    return None


def _is_self_attr(target: ast.expr, self_name: str | None) -> bool:
    return (
        self_name is not None
        and isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == self_name
    )


def _mutable_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.List | ast.Dict | ast.Set):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"list", "dict", "set", "bytearray"}
        and not node.args
        and not node.keywords
    )


# A mutation site: what changed (used when the expression is too long to show), how to describe it
# ("self": show the node before → after, "parent": show its parent, "": only the words), and a
# function that applies it to the node's copy in a copied tree and returns the node that replaced
# it, if it was replaced rather than changed in place.
Apply = Callable[[ast.Module, ast.AST], ast.AST | None]
Edit = tuple[str, str, Apply]


def _set(attr: str, value: object) -> Apply:
    def apply(_tree: ast.Module, n: ast.AST) -> None:
        setattr(n, attr, value() if isinstance(value, type) else value)

    return apply


#: How a learner's SQL goes wrong, as (description, pattern, replacement) on the query's text.
SQL_EDITS = (
    ("ORDER BY dropped", r"\s+ORDER\s+BY\s+.*?(?=\s+LIMIT\b|\s*;?\s*$)", ""),
    ("DESC → ASC", r"\bDESC\b", "ASC"),
    ("ASC → DESC", r"\bASC\b", "DESC"),
    ("first sort key reversed", r"(?<=\bORDER BY )([\w.]+)(?!\s+(ASC|DESC)\b)", None),
    ("LEFT JOIN → JOIN", r"\bLEFT\s+(OUTER\s+)?JOIN\b", "JOIN"),
    ("COUNT(col) → COUNT(*)", r"\bCOUNT\(\s*(?!\*)(?!DISTINCT)[\w.]+\s*\)", "COUNT(*)"),
    ("DISTINCT dropped", r"\bDISTINCT\s+", ""),
    ("join condition always true", r"\bON\s+(?=[\w.]+\s*=)", "ON 1 OR "),
    ("WHERE negated", r"\bWHERE\s+", "WHERE NOT "),
    ("LIMIT off by one", r"\bLIMIT\s+(\d+)", None),
    ("GROUP BY dropped", r"\s+GROUP\s+BY\s+[\w.]+(\s*,\s*[\w.]+)*", ""),
)


def _sql_edits(text: str) -> Iterator[tuple[str, str]]:
    """Mutants of a string that holds an SQL query: one per clause a learner gets wrong."""
    if not re.search(r"\b(SELECT|CREATE\s+INDEX|INSERT|UPDATE|DELETE)\b", text, re.I):
        return
    for what, pattern, replacement in SQL_EDITS:
        for match in re.finditer(pattern, text, re.I | re.S):
            if replacement is not None:
                new = replacement
            elif what.startswith("LIMIT"):
                new = f"LIMIT {int(match.group(1)) + 1}"
            else:  # an implicit ASC made DESC
                new = f"{match.group(1)} DESC"
            mutated = text[: match.start()] + new + text[match.end() :]
            if mutated != text:
                yield f"SQL: {what}", mutated


def _edits(tree: ast.Module, node: ast.AST) -> Iterator[Edit]:  # noqa: C901 (one case per operator)
    if isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            for new in CMP_SWAPS.get(type(op), []):

                def swap(_tree: ast.Module, n: ast.AST, k: int = k, new: type = new) -> None:
                    n.ops[k] = new()

                yield f"'{SYMBOL[type(op)]}' → '{SYMBOL[new]}'", "self", swap
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield f"'{SYMBOL[type(node.op)]}' → '{SYMBOL[new]}'", "self", _set("op", new)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        word = "not" if isinstance(node.op, ast.Not) else "-"

        def unwrap(t: ast.Module, n: ast.AST) -> ast.AST:
            _replace(t, n, n.operand)
            return n.operand

        yield f"'{word}' removed", "self", unwrap
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in ARITHMETIC:
        for new in ARITHMETIC:
            if new is not type(node.op):
                yield f"'{SYMBOL[type(node.op)]}' → '{SYMBOL[new]}'", "self", _set("op", new)
        if isinstance(node, ast.BinOp) and isinstance(node.op, NON_COMMUTATIVE):

            def flip(_tree: ast.Module, n: ast.AST) -> None:
                n.left, n.right = n.right, n.left

            yield f"operands of '{SYMBOL[type(node.op)]}' swapped", "self", flip
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield f"{value} → {not value}", "parent", _set("value", not value)
        elif value is None:
            if not _operand_of_is(tree, node):  # 'x is 0' is what 'is' → 'is not' already tests
                yield "None → 0", "parent", _set("value", 0)
        elif isinstance(value, str):
            for what, new in _sql_edits(value):
                yield what, "parent", _set("value", new)
        elif isinstance(value, int | float):
            seen = {value}
            for new in (value + 1, value - 1, 0, 1):
                new = type(value)(new)
                if new not in seen:
                    seen.add(new)
                    yield f"{value!r} → {new!r}", "parent", _set("value", new)
    # Off by one: the bounds of range(), indices, and len().
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        for k, arg in enumerate(node.args):
            if isinstance(arg, ast.Constant):
                continue  # constants already move by one
            for delta in (1, -1):

                def bump(_tree: ast.Module, n: ast.AST, k: int = k, delta: int = delta) -> None:
                    n.args[k] = _plus(n.args[k], delta)

                yield "range off by one", "self", bump
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice | ast.Constant):
        for delta in (1, -1):

            def shift(_tree: ast.Module, n: ast.AST, delta: int = delta) -> None:
                n.slice = _plus(n.slice, delta)

            yield "index off by one", "self", shift
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        for delta in (1, -1):

            def grow(t: ast.Module, n: ast.AST, delta: int = delta) -> ast.AST:
                new = _plus(n, delta)
                _replace(t, n, new)
                return new

            yield "len off by one", "self", grow
    # Statements: removed, return value dropped, if guard removed, state moved to the class.
    if isinstance(node, ast.Return):
        if node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None
        ):
            yield f"'{_short(node)}' → 'return None'", "", _set("value", None)
    elif (
        isinstance(node, ast.stmt)
        and not isinstance(
            node,
            ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom,
        )
        and not isinstance(node, ast.Pass)
    ):
        yield f"'{_short(node)}' removed", "", lambda t, n: _replace(t, n, ast.Pass())
    if isinstance(node, ast.If):
        yield f"'if {_short(node.test)}:' guard removed", "", lambda t, n: _replace(t, n, n.body)
    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        self_name = _self_name(tree, node)
        for k, target in enumerate(targets):
            if not _is_self_attr(target, self_name):
                continue
            shared = ast.Attribute(
                value=ast.Call(
                    func=ast.Name("type", ast.Load()),
                    args=[ast.Name(self_name, ast.Load())],
                    keywords=[],
                ),
                attr=target.attr,
                ctx=ast.Store(),
            )

            def to_class(_tree: ast.Module, n: ast.AST, k: int = k, shared=shared) -> None:
                if isinstance(n, ast.Assign):
                    n.targets[k] = copy.deepcopy(shared)
                else:
                    n.target = copy.deepcopy(shared)

            yield f"'{_short(target)}' → 'type({self_name}).{target.attr}'", "", to_class
        if isinstance(node, ast.Assign) and len(targets) == 1 and _mutable_literal(node.value):
            yield from _moved_to_class(tree, node, self_name)


def _moved_to_class(tree: ast.Module, node: ast.Assign, self_name: str | None) -> Iterator[Edit]:
    """``self.x = []`` in ``__init__`` becomes ``x = []`` in the class body: one list for all."""
    target = node.targets[0]
    if not _is_self_attr(target, self_name):
        return
    parents = _parents(tree)
    method = parents[id(node)][0]
    if not (isinstance(method, ast.FunctionDef) and method.name == "__init__"):
        return
    if not isinstance(parents[id(method)][0], ast.ClassDef):
        return

    def move(t: ast.Module, n: ast.AST) -> None:
        ps = _parents(t)
        init = ps[id(n)][0]
        cls = ps[id(init)][0]
        attr = n.targets[0].attr
        _replace(t, n, ast.Pass())
        cls.body.insert(0, ast.Assign(targets=[ast.Name(attr, ast.Store())], value=n.value))

    yield f"'{_short(node)}' moved to the class body", "", move


def _operand_of_is(tree: ast.Module, node: ast.AST) -> bool:
    parent = _parents(tree).get(id(node), (None,))[0]
    return isinstance(parent, ast.Compare) and any(
        isinstance(op, ast.Is | ast.IsNot) for op in parent.ops
    )


def _describe(before: ast.AST | None, after: ast.AST | None, what: str, width: int = 56) -> str:
    """``'a < b' → 'a <= b'`` when both sides fit on one short line, else the operator's words."""
    if before is None or after is None:
        return what
    old, new = ast.unparse(before), ast.unparse(after)
    if old == new or "\n" in old + new or max(len(old), len(new)) > width:
        return what
    return f"'{old}' → '{new}'"


def mutants(cell_id: str, source: str) -> list[Mutant]:
    """Every mutant of one answer cell, each a distinct program, with a unique readable id."""
    tree = parse(source)
    original = ast.unparse(tree)
    skip = _skipped(tree)
    nodes = list(ast.walk(tree))
    index = {id(n): k for k, n in enumerate(nodes)}
    parents = _parents(tree)
    out, seen, ids = [], {original}, {}
    for k, node in enumerate(nodes):
        if id(node) in skip:
            continue
        for what, show, apply in _edits(tree, node):
            context = k if show == "self" else None
            if show == "parent" and id(node) in parents:
                context = index[id(parents[id(node)][0])]
            mutated = copy.deepcopy(tree)
            copies = list(ast.walk(mutated))
            shown = copies[context] if context is not None else None
            replaced = apply(mutated, copies[k])
            if replaced is not None and context == k:
                shown = replaced
            ast.fix_missing_locations(mutated)
            code = ast.unparse(mutated)
            if code in seen:
                continue  # the same program as the original or as an earlier mutant
            seen.add(code)
            try:
                compile(mutated, "<mutant>", "exec")
            except (SyntaxError, TypeError, ValueError) as error:
                message = f"mutator bug: {cell_id} {what} does not compile: {error}"
                raise AssertionError(message) from error
            before = nodes[context] if context is not None else None
            base = f"{cell_id} L{getattr(node, 'lineno', 0)}: {_describe(before, shown, what)}"
            ids[base] = ids.get(base, 0) + 1
            name = base if ids[base] == 1 else f"{base} #{ids[base]}"
            out.append(Mutant(name, cell_id, mutated))
    return out


# ---------------------------------------------------------------------------------------------
# The runner: one forked child per mutant, the notebook's cells in order, a time limit


@dataclass
class Outcome:
    """What the test cells of the mutated question did: grade id → pass, fail, timeout, crash;
    a cell missing did not run (the time ran out earlier, or a hidden cell had already failed)."""

    mutant: str
    cells: dict[str, str]
    seconds: float

    def killed_by(self, ids: set[str]) -> bool:
        return any(self.cells.get(g, "not run") != "pass" for g in ids)


def _preimport(cells: list[Cell]) -> None:
    """Import, once in the parent, what the cells import: each forked child then starts warm."""
    for cell in cells:
        try:
            tree = parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: S112 (a cell's own import error shows when it runs)
                    continue


def _child(cells: list[Cell], mutated: Mutant | None, question: str, write: int) -> None:
    """Run the cells up to the question's last test cell; report each of its test cells."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    out = os.fdopen(write, "w", buffering=1)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    ours_at = [k for k, c in enumerate(cells) if c.test and c.question == question]
    last_visible = max([k for k in ours_at if not cells[k].hidden], default=-1)
    killed = False
    for k, cell in enumerate(cells[: ours_at[-1] + 1]):
        ours = k in ours_at
        if killed and k > last_visible:
            break  # a hidden cell failed and every visible one ran: the rest cannot change a thing
        if ours:
            out.write(f"start\t{cell.grade_id}\n")
        try:
            if mutated is not None and cell.grade_id == mutated.cell:
                code = compile(mutated.tree, f"<{mutated.cell} mutant>", "exec")
            else:
                code = compile(parse(cell.source), f"<{cell.grade_id or cell.index}>", "exec")
            exec(code, namespace)  # noqa: S102 (the course's own notebook)
            status = "pass"
        except BaseException:  # noqa: BLE001 (nbgrader records any error and goes on)
            status = "fail"
        signal.alarm(0)
        if ours:
            out.write(f"{status}\t{cell.grade_id}\n")
            killed = killed or (cell.hidden and status == "fail")


def run(
    cells: list[Cell],
    jobs: list[tuple[str, Mutant | None, str]],
    timeout: float,
    parallel: int,
) -> list[Outcome]:
    """Run each (name, mutant or None for the reference, question) in a forked child, ``parallel``
    at a time; a child still running after ``timeout`` seconds is killed."""
    gc.freeze()  # the children's collector then leaves the parent's objects (and pages) alone
    try:
        return _run(cells, jobs, timeout, parallel)
    finally:
        gc.unfreeze()


def _run(
    cells: list[Cell], jobs: list[tuple[str, Mutant | None, str]], timeout: float, parallel: int
) -> list[Outcome]:
    pending = list(reversed(jobs))
    running: dict[int, dict] = {}
    results: list[Outcome] = []
    selector = selectors.DefaultSelector()

    def finish(fd: int, timed_out: bool) -> None:
        job = running.pop(fd)
        selector.unregister(fd)
        if timed_out:
            os.kill(job["pid"], signal.SIGKILL)
        os.waitpid(job["pid"], 0)
        rest = b""
        if not timed_out:
            while chunk := os.read(fd, 65536):
                rest += chunk
        os.close(fd)
        cells_out: dict[str, str] = {}
        for line in (job["buffer"] + rest).decode().splitlines():
            status, grade_id = line.split("\t", 1)
            cells_out[grade_id] = status
        for grade_id, status in cells_out.items():
            if status == "start":  # began but never ended: out of time, or the child died
                cells_out[grade_id] = "timeout" if timed_out else "crash"
        results.append(Outcome(job["name"], cells_out, time.monotonic() - job["started"]))

    try:
        while pending or running:
            while pending and len(running) < parallel:
                name, mutant, question = pending.pop()
                read, write = os.pipe()
                pid = os.fork()
                if pid == 0:  # the child
                    try:
                        os.close(read)
                        _child(cells, mutant, question, write)
                    finally:
                        os._exit(0)
                os.close(write)
                running[read] = {
                    "pid": pid, "name": name, "buffer": b"", "started": time.monotonic()
                }  # fmt: skip
                selector.register(read, selectors.EVENT_READ)
            deadline = min(job["started"] for job in running.values()) + timeout
            for key, _ in selector.select(max(0.0, deadline - time.monotonic())):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    running[key.fd]["buffer"] += chunk
                else:
                    finish(key.fd, timed_out=False)
            now = time.monotonic()
            for fd in [fd for fd, job in running.items() if now - job["started"] > timeout]:
                finish(fd, timed_out=True)
    finally:  # interrupted: leave no child behind
        for fd in list(running):
            finish(fd, timed_out=True)
    selector.close()
    return results


# ---------------------------------------------------------------------------------------------
# One exercise: mutants, outcomes, score


@dataclass
class Report:
    exercise: str
    mutants: list[Mutant]
    outcomes: dict[str, Outcome]  # mutant id → outcome
    reference: dict[str, Outcome]  # answer cell → outcome of the unmutated notebook
    hidden: dict[str, set[str]]  # answer cell → grade ids of its question's hidden test cells
    visible: dict[str, set[str]]  # answer cell → grade ids of its question's visible test cells
    seconds: float

    def killed(self, mutant: Mutant, by: str = "hidden") -> bool:
        cells = (self.hidden if by == "hidden" else self.visible)[mutant.cell]
        return self.outcomes[mutant.id].killed_by(cells)

    def survivors(self, by: str = "hidden") -> list[Mutant]:
        return [m for m in self.mutants if not self.killed(m, by)]

    def score(self, equivalent: set[str] = frozenset(), by: str = "hidden") -> float:
        counted = [m for m in self.mutants if m.id not in equivalent]
        if not counted:
            return 1.0
        return sum(self.killed(m, by) for m in counted) / len(counted)


def exercises(root: Path = ROOT) -> list[str]:
    """The exercises: folders of ``solutions/`` holding a notebook of the same name."""
    return sorted(
        p.parent.name for p in (root / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name
    )


def analyse(
    exercise: str,
    root: Path = ROOT,
    timeout: float = 10.0,
    parallel: int | None = None,
) -> Report:
    """Mutate every answer cell of one exercise and run the notebook against each mutant."""
    started = time.monotonic()
    cells = notebook_cells(root / "solutions" / exercise / f"{exercise}.ipynb")
    _preimport(cells)
    answers = [c for c in cells if c.answer and c.grade_id]
    hidden, visible = {}, {}
    for a in answers:
        tests = [c for c in cells if c.test and c.question == a.question]
        if not tests:
            raise ValueError(f"{exercise}: answer cell {a.grade_id} has no test cells")
        hidden[a.grade_id] = {c.grade_id for c in tests if c.hidden}
        visible[a.grade_id] = {c.grade_id for c in tests if not c.hidden}
    all_mutants = [m for a in answers for m in mutants(a.grade_id, a.source)]
    jobs = [(f"reference {a.grade_id}", None, a.question) for a in answers]
    jobs += [(m.id, m, m.cell.split("-", 1)[0]) for m in all_mutants]
    parallel = parallel or os.cpu_count() or 1
    outcomes = {o.mutant: o for o in run(cells, jobs, timeout, parallel)}
    return Report(
        exercise,
        all_mutants,
        {m.id: outcomes[m.id] for m in all_mutants},
        {a.grade_id: outcomes[f"reference {a.grade_id}"] for a in answers},
        hidden,
        visible,
        time.monotonic() - started,
    )


def table(reports: list[Report], equivalents: dict[str, dict[str, str]]) -> str:
    """The score table, one row per exercise."""
    lines = [
        f"{'exercise':<18} {'mutants':>7} {'equiv.':>6} {'killed':>6} {'score':>7} "
        f"{'visible':>7} {'time':>6}",
    ]
    for r in reports:
        eq = set(equivalents.get(r.exercise, {}))
        killed = sum(r.killed(m) for m in r.mutants if m.id not in eq)
        mark = "✔" if r.score(eq) >= THRESHOLD else "✘"
        lines.append(
            f"{r.exercise:<18} {len(r.mutants):>7} {len(eq):>6} {killed:>6} "
            f"{r.score(eq):>7.1%} {r.score(eq, by='visible'):>7.1%} {r.seconds:>5.1f}s {mark}"
        )
    lines.append(
        f"score = killed by a hidden test cell / (mutants − equivalent), {THRESHOLD:.0%} needed; "
        "visible = the same with the visible test cells alone"
    )
    return "\n".join(lines)


def survivor_lines(report: Report, equivalents: dict[str, str]) -> list[str]:
    """Each mutant the hidden tests let through and not listed as equivalent, as a line to paste
    into ``mutation_equivalents.py`` (after judging it) with the reason still to write."""
    out = []
    for m in report.survivors():
        if m.id in equivalents:
            continue
        note = "  # the visible tests kill it" if report.killed(m, "visible") else ""
        out.append(f"        {m.id!r}: '',{note}")
    return out


def broken_references(report: Report) -> dict[str, dict[str, str]]:
    """Answer cells whose unmutated reference does not pass every test cell of its question."""
    return {
        cell: outcome.cells
        for cell, outcome in report.reference.items()
        if set(outcome.cells) != report.hidden[cell] | report.visible[cell]
        or set(outcome.cells.values()) != {"pass"}
    }


def main(argv: list[str]) -> int:
    """Print the score table and the survivors; exit 1 only when a reference fails its own tests."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, str(Path(__file__).parent))
    from mutation_equivalents import EQUIVALENT

    names = argv or exercises()
    unknown = sorted(set(names) - set(exercises()))
    if unknown:
        print(f"no such exercise(s) {unknown}; known: {exercises()}", file=sys.stderr)
        return 2
    reports = [analyse(name) for name in names]
    print(table(reports, EQUIVALENT))
    status = 0
    for r in reports:
        if bad := broken_references(r):
            status = 1
            print(f"\n{r.exercise}: the unmutated reference fails its own tests: {bad}")
        listed = EQUIVALENT.get(r.exercise, {})
        if lines := survivor_lines(r, listed):
            print(
                f"\n{r.exercise}: {len(lines)} surviving mutant(s) not listed as equivalent; each is "
                "a gap in the hidden tests, or equivalent (then say why in mutation_equivalents.py):"
            )
            print(f"    {r.exercise!r}: {{")
            print("\n".join(lines))
            print("    },")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
