"""Population diversity for loops that have no measure of their own, computed in Swift.

``compute(vectors, bounds=[(lo, hi), ...])`` takes one numeric vector per strategy (its
parameters) and the search space's bounds of each parameter, and returns the normalised
mean pairwise distance, in [0, 1]. With N vectors of L parameters, each parameter scaled
by its bounds to y = clamp((x - lo) / (hi - lo), 0, 1) (0 where lo == hi)::

    diversity = min(1, sqrt(4 / (N**2 * L) * sum_{i<j} ||y_i - y_j||**2))
              = 2 * sqrt(mean over parameters of the population variance of y)

The second form costs O(N * L) instead of O(N**2 * L). It is 0 when all vectors are equal
(or N = 1), 1 when every parameter has half the population at each bound, and about 0.01
for a population converged within 1% of the space: parameters are scaled by the search
space, never by the population's own spread (which would stretch any converged
population back to full width). Rescaling a parameter together with its bounds does not
change the score.

Without ``bounds``:

- ``reference=vectors``: the bounds are the per-parameter minimum and maximum of those
  vectors (for example the first, random population), a stateless call;
- neither: the ranges of the first population this process passed to ``compute`` without
  bounds, frozen from then on (logged once on the ``finmon`` logger); ``reset()`` forgets
  them, e.g. before a new run in the same process. A parameter constant in that first
  population contributes nothing from then on, so prefer ``bounds``.

``genotype(genotypes)`` is the measure for strategies whose parameters are not numbers:
the mean normalised Hamming distance between pairs (the fraction of positions at which two
strategies differ), from any hashable values per position, O(N * L).

``unique_fraction(fingerprints)`` is distinct fingerprints over all of them (0 for none);
``unique_count`` is the distinct count, the ``unique_count`` of ``record_diversity``.

Example:
    >>> from finmon import diversity
    >>> bounds = [(0.0, 100.0), (0.0, 1.0)]
    >>> diversity.compute([[0.0, 0.0], [100.0, 1.0]], bounds=bounds)
    1.0
    >>> round(diversity.compute([[50.0, 0.5], [50.5, 0.505]], bounds=bounds), 6)
    0.005
    >>> diversity.compute([[3.0, 1.0], [3.0, 1.0], [3.0, 1.0]], bounds=bounds)
    0.0
    >>> round(diversity.genotype([("rsi", "long"), ("macd", "long"), ("rsi", "short")]), 4)
    0.6667
    >>> diversity.unique_fraction(["a1", "b2", "a1", "c3"])
    0.75
    >>> diversity.unique_count(["a1", "b2", "a1", "c3"])
    3
"""

from __future__ import annotations

import ctypes
import sys
import threading
from array import array
from collections.abc import Hashable, Iterable, Sequence
from ctypes import c_char_p, c_double, c_size_t
from typing import Any, Union

from . import _native
from .errors import InvalidArgumentError

__all__ = ["Bounds", "compute", "genotype", "ranges", "reset", "unique_count", "unique_fraction"]

#: A population: a sequence of equal-length numeric sequences, or a 2-D NumPy array.
Vectors = Union[Sequence[Sequence[float]], Any]
#: One (lower, upper) pair per parameter: the search space.
Bounds = Sequence[tuple[float, float]]

_frozen_lock = threading.Lock()
_frozen: list[tuple[float, float]] | None = None


def compute(vectors: Vectors, bounds: Bounds | None = None, *, reference: Vectors | None = None) -> float:
    """Diversity of a population in [0, 1] within ``bounds`` (one ``(lo, hi)`` per
    parameter); see the module documentation for the formula and the fallbacks without
    bounds.

    A C-contiguous float64 NumPy array is read in place (no copy); any other array is
    converted once, and a list of lists is packed into one buffer.

    Raises:
        InvalidArgumentError (a ValueError): an empty population, zero-length or ragged
            vectors, NaN or infinite values, an array that is not 2-D, bounds of the wrong
            count, a bound that is not finite or has lo > hi, both ``bounds`` and
            ``reference``.
        TypeError: a value that is not a number.

    Example:
        >>> import numpy as np
        >>> from finmon import diversity
        >>> round(diversity.compute(np.array([[0.0], [0.5], [1.0]]), bounds=[(0, 1)]), 6)
        0.816497
        >>> round(diversity.compute([[2.0], [3.0]], reference=[[0.0], [10.0]]), 6)
        0.1
    """
    if bounds is not None and reference is not None:
        raise InvalidArgumentError("pass bounds or reference, not both")
    address, rows, cols, keep = _pack(vectors)
    if bounds is None:
        bounds = ranges(reference) if reference is not None else _frozen_bounds(address, rows, cols)
    lower, upper = _bound_arrays(bounds, rows, cols)
    out = c_double()
    _native.check(_native.blocking.finmon_diversity_compute(address, rows, cols, lower, upper, ctypes.byref(out)))
    del keep  # the packed buffer stays alive until the call returned
    return out.value


def ranges(vectors: Vectors) -> list[tuple[float, float]]:
    """The minimum and maximum of each parameter over ``vectors``: bounds to freeze from a
    reference population. Errors as :func:`compute`.

    Example:
        >>> from finmon import diversity
        >>> diversity.ranges([[1.0, 5.0], [3.0, 4.0]])
        [(1.0, 3.0), (4.0, 5.0)]
    """
    address, rows, cols, keep = _pack(vectors)
    return _ranges(address, rows, cols, keep)


def reset() -> None:
    """Forget the frozen ranges of :func:`compute` without bounds (a new run starts).

    Example:
        >>> from finmon import diversity
        >>> diversity.reset()
    """
    global _frozen
    with _frozen_lock:
        _frozen = None


def genotype(genotypes: Iterable[Sequence[Hashable]]) -> float:
    """Mean normalised Hamming distance between pairs of strategies, in [0, 1]: 0 when all
    are equal, 1 when every two differ at every position. Each genotype is a sequence of
    hashable genes (names, tuples, numbers compared exactly), all of the same length.

    Raises:
        InvalidArgumentError (a ValueError): no genotypes, zero-length or ragged genotypes.
        TypeError: a genotype that is not a sequence, or an unhashable gene.

    Example:
        >>> from finmon import diversity
        >>> diversity.genotype([("rsi", 14), ("rsi", 14)])
        0.0
        >>> diversity.genotype([("rsi", 14), ("macd", 26)])
        1.0
    """
    if isinstance(genotypes, (str, bytes)):
        raise TypeError("genotypes must be a collection of sequences, not a single string")
    codes = array("Q")
    numbering: list[dict[Hashable, int]] = []
    rows = 0
    for index, genes in enumerate(genotypes):
        if isinstance(genes, (str, bytes)) or not hasattr(genes, "__len__"):
            raise TypeError(f"genotype {index} is a {type(genes).__name__}, not a sequence of genes")
        if index == 0:
            numbering = [{} for _ in genes]
        elif len(genes) != len(numbering):
            raise InvalidArgumentError(
                f"genotype {index} has {len(genes)} genes, expected {len(numbering)} like genotype 0")
        # Equal genes get equal codes per position: exact, no hash collisions.
        for position, gene in enumerate(genes):
            seen = numbering[position]
            codes.append(seen.setdefault(gene, len(seen)))
        rows += 1
    out = c_double()
    address = codes.buffer_info()[0] if codes else None
    _native.check(_native.blocking.finmon_diversity_genotype(address, rows, len(numbering), ctypes.byref(out)))
    return out.value


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


def _pack(vectors: Vectors) -> tuple[int | None, int, int, object]:
    """(address, rows, cols, owner): the population as one row-major float64 buffer, and
    the object that keeps it alive during the native call."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(vectors, numpy.ndarray):
        return _pack_array(numpy, vectors)
    return _pack_sequences(vectors)


def _pack_array(numpy: Any, vectors: Any) -> tuple[int | None, int, int, object]:
    if vectors.ndim != 2:
        raise InvalidArgumentError(
            f"vectors must be a 2-D array (one row per strategy), got shape {vectors.shape}")
    if vectors.dtype != numpy.float64 or not vectors.flags.c_contiguous:
        try:
            vectors = numpy.ascontiguousarray(vectors, dtype=numpy.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"vectors must hold numbers: {error}") from None
    rows, cols = vectors.shape
    return (vectors.ctypes.data if vectors.size else None), rows, cols, vectors


def _pack_sequences(vectors: Vectors) -> tuple[int | None, int, int, object]:
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
                f"vector {index} has {length} components, expected {cols} like vector 0")
        try:
            flat.extend(vector)
        except TypeError as error:
            raise TypeError(f"vector {index} must hold numbers: {error}") from None
    return (flat.buffer_info()[0] if flat else None), rows, cols, flat


def _ranges(address: int | None, rows: int, cols: int, keep: object) -> list[tuple[float, float]]:
    lower, upper = (c_double * max(cols, 1))(), (c_double * max(cols, 1))()
    _native.check(_native.blocking.finmon_diversity_ranges(address, rows, cols, lower, upper))
    del keep
    return list(zip(lower[:cols], upper[:cols]))


def _frozen_bounds(address: int | None, rows: int, cols: int) -> list[tuple[float, float]]:
    global _frozen
    with _frozen_lock:
        if _frozen is None:
            _frozen = _ranges(address, rows, cols, None)
            import logging  # here, not at import: a loop that never logs does not load logging

            logging.getLogger("finmon").info(
                "finmon.diversity: no bounds given; scaling by the ranges of this first population (%d strategies), "
                "frozen until diversity.reset(). Pass bounds= for the search space.", rows)
        frozen = _frozen
    if len(frozen) != cols and rows > 0 and cols > 0:
        raise InvalidArgumentError(
            f"vectors have {cols} parameters but the frozen ranges (first population without bounds) have "
            f"{len(frozen)}; pass bounds=, or call diversity.reset() for a new population")
    return frozen


def _bound_arrays(bounds: Bounds, rows: int, cols: int) -> tuple[ctypes.Array[c_double], ctypes.Array[c_double]]:
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, Iterable):
        raise TypeError(f"bounds must be a sequence of (lo, hi) pairs, got {type(bounds).__name__}")
    pairs = list(bounds)
    if len(pairs) != cols and rows > 0 and cols > 0:  # an empty population is the library's error
        raise InvalidArgumentError(f"bounds has {len(pairs)} (lo, hi) pairs, expected one per parameter ({cols})")
    lower, upper = (c_double * max(cols, 1))(), (c_double * max(cols, 1))()
    for index, pair in enumerate(pairs[:cols]):
        try:
            lower[index], upper[index] = pair
        except (TypeError, ValueError):
            raise TypeError(f"bounds[{index}] must be a (lo, hi) pair of numbers, got {pair!r}") from None
    return lower, upper


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
                raise InvalidArgumentError(f"fingerprint {index} is not valid text: {error}") from None
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
