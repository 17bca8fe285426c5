"""What the grader asks a student's kernel around every test cell: has anything changed how cells run?

The integrity review (``scalelab.teach.integrity``) reads the student's cells; code built to hide from a
reader can still get through. This module looks at the running kernel instead. The grader calls
:func:`check` through a *user expression* of a silent execute request, which IPython evaluates on its
own, without the input transformers or ``run_cell`` a submission may have replaced. The first call
in a new kernel records how things are; each later call names what differs:

- IPython's way of running a cell: ``run_cell``, ``run_cell_async``, ``transform_cell``,
  ``showtraceback`` … replaced on the shell or its class, and its input transformers;
- the built-ins (``builtins.abs = …``), tracing and profiling hooks, ``sys.excepthook`` and the
  import machinery (``sys.meta_path``).

It runs in the student's process, so a submission that knows about it can fool it too: it raises the
bar, with the review and the secret test-end mark beside it (TEACHING.md says what none can prevent).
"""

from __future__ import annotations

import builtins
import sys

_SHELL_METHODS = (
    "run_cell",
    "run_cell_async",
    "transform_cell",
    "run_ast_nodes",
    "run_code",
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "user_expressions",
    "should_run_async",
)

# Built-ins that IPython and ipykernel replace themselves, on every request or in the namespace.
_KERNEL_OWNED = frozenset({"input", "exit", "quit", "help", "copyright", "credits", "license"})

_baseline: dict[str, object] | None = None


def _state() -> dict[str, object]:
    from IPython import get_ipython

    shell = get_ipython()
    state: dict[str, object] = {
        "the tracing hooks": (sys.gettrace(), sys.getprofile()),
        "sys.excepthook": id(sys.excepthook),
        "the import machinery": tuple(map(id, sys.meta_path)),
    }
    for name, value in vars(builtins).items():
        if not name.startswith("_") and name not in _KERNEL_OWNED:
            state[f"the built-in {name}"] = id(value)
    if shell is not None:
        cls = type(shell)
        for method in _SHELL_METHODS:
            state[f"IPython's {method}"] = (
                method in vars(shell),
                id(getattr(cls, method, None)),
            )
        state["IPython's input transformers"] = (
            tuple(map(id, shell.input_transformers_cleanup)),
            tuple(map(id, shell.input_transformers_post)),
            id(shell.input_transformer_manager),
        )
    return state


def _resolve(origin: str) -> object:
    """The object an import binds: ``numpy``, ``scalelab.check``, ``scalelab.ServerView``."""
    if origin in sys.modules:
        return sys.modules[origin]
    module, _, attribute = origin.rpartition(".")
    return getattr(sys.modules[module], attribute)


def _namespace(names: dict[str, str], no_shadows: bool) -> list[str]:
    """Names in the notebook's namespace that no longer hold what the teacher's cells import,
    and (``no_shadows``) built-in names shadowed there."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return []
    user_ns = shell.user_ns
    changed = []
    for name, origin in names.items():
        try:
            if name in user_ns and user_ns[name] is not _resolve(origin):
                changed.append(f"the name {name}")
        except (KeyError, AttributeError):
            continue
    if no_shadows:
        changed += [
            f"the name {name} (a built-in)"
            for name, value in vars(builtins).items()
            if not name.startswith("_")
            and name not in _KERNEL_OWNED
            and name in user_ns
            and user_ns[name] is not value
        ]
    return changed


def check(
    reset: bool = False, names: dict[str, str] | None = None, no_shadows: bool = False
) -> str:
    """``"ok"``, or what changed since the first call (or since ``reset``).

    ``names`` maps each name the teacher's cells import to what it was imported from; with
    ``no_shadows`` (after a test cell that took the built-ins back) a built-in name bound in the
    notebook's namespace counts as a change made while that test ran.
    """
    global _baseline
    now = _state()
    if reset or _baseline is None:
        _baseline = now
        return "ok"
    changed = sorted(k for k in now.keys() | _baseline.keys() if now.get(k) != _baseline.get(k))
    changed += _namespace(names or {}, no_shadows)
    return "ok" if not changed else ", ".join(changed)
