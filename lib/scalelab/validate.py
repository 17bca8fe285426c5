"""Argument checks that turn bad input into one clear sentence instead of a deep traceback."""

from __future__ import annotations

import math


def positive(name: str, value: float) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number greater than zero."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")


def positive_int(name: str, value: int) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def probability(name: str, value: float) -> None:
    """Raise ``ValueError`` unless 0 <= value <= 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
