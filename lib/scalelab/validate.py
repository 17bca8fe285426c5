"""Argument checks that turn bad input into one clear sentence instead of a deep traceback."""

from __future__ import annotations

import math
from numbers import Integral, Real


def positive(name: str, value: float) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number greater than zero."""
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")


def at_least_zero(name: str, value: float, what: str = "a number", finite: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is a real number (int, float, a numpy scalar; not a bool) of 0
    or more, and finite if asked.

    ``what`` names the kind of number in the message: "mean_lag must be a number of seconds of 0 or more".
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not value >= 0
        or (finite and value == math.inf)
    ):
        raise ValueError(f"{name} must be {what} of 0 or more, got {value!r}")


def positive_int(name: str, value: int) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer of at least 1."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
