"""What the grader asks a student's kernel around every test cell: has anything changed how cells run?

The integrity review (``scalelab.integrity``) reads the student's cells; code built to hide from a
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
        if not name.startswith("_"):
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


def check(reset: bool = False) -> str:
    """``"ok"``, or what changed since the first call (or since ``reset``)."""
    global _baseline
    now = _state()
    if reset or _baseline is None:
        _baseline = now
        return "ok"
    changed = sorted(k for k in now.keys() | _baseline.keys() if now.get(k) != _baseline.get(k))
    return "ok" if not changed else ", ".join(changed)
