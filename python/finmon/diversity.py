"""Population diversity for loops that have no measure of their own, computed in Swift.

``compute(vectors)`` takes one numeric vector per strategy (its parameters or features)
and returns the normalised mean pairwise distance, in [0, 1]. With N vectors of L values,
each dimension min-max scaled to [0, 1] (a constant dimension contributes 0)::

    diversity = min(1, sqrt(4 / (N**2 * L) * sum_{i<j} ||y_i - y_j||**2))
              = 2 * sqrt(mean over dimensions of the population variance of y)

The second form (the moment-of-inertia identity) costs O(N * L) instead of O(N**2 * L).
It is 0 when all vectors are equal (or N = 1) and 1 when every dimension has half the
population at each end of its range.

``unique_fraction(fingerprints)`` is distinct fingerprints over all of them (0 for none);
``unique_count`` is the distinct count, the ``unique_count`` of ``record_diversity``.

Example:
    >>> from finmon import diversity
    >>> diversity.compute([[0.0, 0.0], [1.0, 1.0]])
    1.0
    >>> diversity.compute([[3.0, 1.0], [3.0, 1.0], [3.0, 1.0]])
    0.0
    >>> diversity.unique_fraction(["a1", "b2", "a1", "c3"])
    0.75
    >>> diversity.unique_count(["a1", "b2", "a1", "c3"])
    3
"""

from __future__ import annotations

import ctypes
import sys
from array import array
from collections.abc import Iterable, Sequence
from ctypes import c_char_p, c_double, c_size_t
from typing import Any, Union

from . import _native
from .errors import InvalidArgumentError

__all__ = ["compute", "unique_count", "unique_fraction"]

#: A population: a sequence of equal-length numeric sequences, or a 2-D NumPy array.
Vectors = Union[Sequence[Sequence[float]], Any]


def compute(vectors: Vectors) -> float:
    """Diversity of a population in [0, 1]; see the module documentation for the formula.

    A C-contiguous float64 NumPy array is read in place (no copy); any other array is
    converted once, and a list of lists is packed into one buffer.

    Raises:
        InvalidArgumentError (a ValueError): an empty population, zero-length or ragged
            vectors, NaN or infinite values, an array that is not 2-D.
        TypeError: a value that is not a number.

    Example:
        >>> import numpy as np
        >>> from finmon import diversity
        >>> round(diversity.compute(np.array([[0.0], [0.5], [1.0]])), 6)
        0.816497
    """
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(vectors, numpy.ndarray):
        return _compute_array(numpy, vectors)
    return _compute_sequences(vectors)


def unique_fraction(fingerprints: Iterable[str | bytes]) -> float:
    """Distinct fingerprints over all fingerprints, in [0, 1]; 0 for an empty list.

    Strings are compared by code point (as Python's ``==``), bytes byte for byte.

    Example:
        >>> from finmon import diversity
        >>> diversity.unique_fraction([b"x", b"x"])
        0.5
    """
    return _unique(fingerprints)[0]


def unique_count(fingerprints: Iterable[str | bytes]) -> int:
    """The number of distinct fingerprints (what ``len(set(fingerprints))`` gives).

    Example:
        >>> from finmon import diversity
        >>> diversity.unique_count(["x", "y", "x"])
        2
    """
    return _unique(fingerprints)[1]


# ---- internals ---------------------------------------------------------------------


def _call(address: int | None, rows: int, cols: int) -> float:
    out = c_double()
    _native.check(_native.blocking.finmon_diversity_compute(address, rows, cols, ctypes.byref(out)))
    return out.value


def _compute_array(numpy: Any, vectors: Any) -> float:
    if vectors.ndim != 2:
        raise InvalidArgumentError(
            f"vectors must be a 2-D array (one row per strategy), got shape {vectors.shape}", -1)
    if vectors.dtype != numpy.float64 or not vectors.flags.c_contiguous:
        try:
            vectors = numpy.ascontiguousarray(vectors, dtype=numpy.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"vectors must hold numbers: {error}") from None
    rows, cols = vectors.shape
    # Borrowed for the call: `vectors` stays referenced until _call returns.
    return _call(vectors.ctypes.data if vectors.size else None, rows, cols)


def _compute_sequences(vectors: Vectors) -> float:
    if isinstance(vectors, (str, bytes)) or not isinstance(vectors, Sequence):
        raise TypeError(f"vectors must be a sequence of numeric sequences or a 2-D array, "
                        f"got {type(vectors).__name__}")
    rows = len(vectors)
    cols = 0
    flat = array("d")
    for index, vector in enumerate(vectors):
        try:
            length = len(vector)
        except TypeError:
            raise TypeError(f"vector {index} is a {type(vector).__name__}, not a sequence of numbers") from None
        if index == 0:
            cols = length
        elif length != cols:
            raise InvalidArgumentError(
                f"vector {index} has {length} components, expected {cols} like vector 0", -1)
        try:
            flat.extend(vector)
        except TypeError as error:
            raise TypeError(f"vector {index} must hold numbers: {error}") from None
    return _call(flat.buffer_info()[0] if flat else None, rows, cols)


def _unique(fingerprints: Iterable[str | bytes]) -> tuple[float, int]:
    if isinstance(fingerprints, (str, bytes)):
        raise TypeError("fingerprints must be a collection of str or bytes, not a single "
                        f"{type(fingerprints).__name__}")
    data: list[bytes] = []
    for index, fingerprint in enumerate(fingerprints):
        if isinstance(fingerprint, str):
            try:
                data.append(fingerprint.encode("utf-8"))
            except UnicodeEncodeError as error:
                raise InvalidArgumentError(f"fingerprint {index} is not valid text: {error}", -1) from None
        elif isinstance(fingerprint, (bytes, bytearray, memoryview)):
            data.append(bytes(fingerprint))
        else:
            raise TypeError(f"fingerprint {index} must be str or bytes, got {type(fingerprint).__name__}")
    count = len(data)
    pointers = (c_char_p * count)(*data)
    lengths = (c_size_t * count)(*map(len, data))
    fraction = c_double()
    distinct = c_size_t()
    _native.check(_native.hot.finmon_diversity_unique_fraction(
        pointers, lengths, count, ctypes.byref(fraction), ctypes.byref(distinct)))
    return fraction.value, distinct.value
