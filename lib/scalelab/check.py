"""The learner's assertions: each check says what was expected and what came back.

A passing check prints one line starting with ✔; a failing one raises ``AssertionError`` whose message
is a sentence, not a traceback puzzle. Visible tests in the exercises are written with these.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def equal(got: object, expected: object, what: str) -> None:
    """Check ``got == expected``."""
    if got != expected:
        raise AssertionError(f"{what}: expected {_fmt(expected)}, but got {_fmt(got)}")
    print(f"✔ {what}: {_fmt(got)}")


def close(got: object, expected: float, what: str, rel: float = 1e-6) -> None:
    """Check that the number ``got`` is within ``rel`` (relative) of ``expected``."""
    if isinstance(got, bool) or not isinstance(got, int | float):
        raise AssertionError(f"{what}: expected a number, but got {_fmt(got)}")
    if not math.isclose(got, expected, rel_tol=rel, abs_tol=1e-12):
        # 1% reads well as a percentage; 1e-9 does not ("within 1e-07%"): say the digits instead.
        if rel >= 1e-4:
            tolerance = f"within {100 * rel:g}%"
        else:
            tolerance = f"the first {round(-math.log10(rel))} significant digits the same"
        raise AssertionError(
            f"{what}: expected about {_fmt(expected)} ({tolerance}), but got {_fmt(got)}"
        )
    print(f"✔ {what}: {_fmt(got)}")


def raises(error: type[BaseException], func, *args: object, what: str) -> None:
    """Check that ``func(*args)`` raises ``error`` (bad input must be refused, not computed)."""
    try:
        result = func(*args)
    except error as e:
        print(f"✔ {what}: {type(e).__name__}: {e}")
        return
    except Exception as e:  # noqa: BLE001 (any other error is the answer to report)
        raise AssertionError(
            f"{what}: expected {error.__name__}, but it raised {type(e).__name__}: {e}"
        ) from None
    raise AssertionError(f"{what}: expected {error.__name__}, but it returned {_fmt(result)}")


@contextmanager
def time_limit(seconds: float, message: str) -> Iterator[None]:
    """Raise ``AssertionError(message)`` if the block runs longer than ``seconds``.

    Uses a timer signal, so it works in the main thread on Linux and macOS; elsewhere it does nothing.
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise AssertionError(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
