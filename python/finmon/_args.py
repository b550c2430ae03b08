"""Checking Python arguments before they cross into C.

ctypes truncates an int that does not fit ``int64_t`` without a word and turns a
non-number into an unhelpful ``ArgumentError``; these helpers give the caller a message
naming the argument instead. Range and value rules (NaN, negative counts...) are the
library's: it refuses them with its own message, and the shim does not duplicate them.
"""

from __future__ import annotations

import math
import operator
from numbers import Real
from typing import Protocol

from .errors import InvalidArgumentError

__all__ = ["hook_int64", "int64", "real", "finite_or_none"]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def int64(value: object, what: str) -> int:
    """``value`` as an int that fits ``int64_t``; TypeError for a non-integer (or a bool)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got bool: {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{what} must be an int, got {type(value).__name__}: {value!r}") from None
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise InvalidArgumentError(f"{what} {number} does not fit in 64 bits")
    return number


class _Strictness(Protocol):
    @property
    def strict(self) -> bool: ...


def hook_int64(value: object, what: str, collector: _Strictness | None) -> int:
    """``int64`` for a loop hook's argument: an integer beyond 64 bits is taken as the
    nearest 64-bit one (the library then skips and counts it, or sees a restart) unless the
    collector is strict, which raises as ``int64`` does. Types are checked either way."""
    try:
        return int64(value, what)
    except InvalidArgumentError:
        if collector is not None and collector.strict:
            raise
        return _INT64_MAX if operator.index(value) > 0 else _INT64_MIN  # type: ignore[arg-type]


def real(value: object, what: str) -> float:
    """``value`` as a float; TypeError for a non-number (a str, None, a bool)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}: {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise InvalidArgumentError(f"{what} is too large for a 64-bit float") from None


def finite_or_none(value: object, what: str) -> float | None:
    """None, or ``value`` as a finite float (InvalidArgumentError for NaN and infinities)."""
    if value is None:
        return None
    number = real(value, what)
    if not math.isfinite(number):
        raise InvalidArgumentError(f"{what} must be finite, got {number}")
    return number
