"""Value cells mapped from the library: a gauge's value, a counter's or a histogram's
shard (words only Python writes, which the library adds to its own part when it reads the
series), and the process-wide count of removals. See ``finmon_series_cell``,
``finmon_series_shard`` and ``finmon_series_removals`` in include/finmon/series.h, and
``ValueCell.swift`` for the memory-ordering argument.

A shard has one writer, Python, and several Python threads may update one counter: each
read-modify-write (``shard[2] += amount``) must not interleave with another thread's. It
needs no lock on CPython with its GIL (3.10 on): a thread switches only where the eval
loop handles its breaker (function entries, backward jumps, calls), never between the
load, the add and the store of ``shard[i] += x`` when ``x`` is an exact ``float`` or
``int`` (memoryview item access and float addition are C code that runs no Python code,
no finalizer and no garbage collection, and releases no GIL). The verbs therefore take
this path only for exact floats and ints (:data:`PLAIN`); any other number goes to the
call. Where that does not hold (a free-threaded build, another implementation) no shard
is mapped and counters and histograms keep the call (:data:`SHARDS`). prometheus_client
takes a lock per update instead: ~10 us in a cold cache, as much as the rest of an
``inc`` (Benchmarks/RESULTS-spine.md (e)). The library never writes a shard, and a
scrape reads each word atomically.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import weakref
from bisect import bisect_left
from ctypes import c_double, c_size_t, c_void_p
from typing import TYPE_CHECKING

from . import _native

if TYPE_CHECKING:
    from .metrics import Child

__all__ = ["MAPPING", "PLAIN", "SHARDS", "bisect_left", "map_cell", "map_shard", "removals", "removals_address"]

_hot = _native.hot
_cell_of = _hot.finmon_series_cell
_shard_of = _hot.finmon_series_shard
_cell_release = _hot.finmon_series_cell_release

#: Whether shards are mapped: CPython with its GIL (see above).
SHARDS: bool = sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)()
#: The types a shard's add takes without a call (exact types: a subclass may run Python code).
PLAIN = frozenset((float, int))
#: Serializes mapping a cell (rare: once per child), so racing threads pin it once.
MAPPING = threading.Lock()
#: The mapped cells' pins by a weak reference to their child: the reference's callback
#: drops the pin when the child is collected (lighter than a weakref.finalize each).
_PINS: dict[weakref.ref[Child], int] = {}


def _after_fork_in_child() -> None:
    # A thread that held a lock at fork does not exist in the child: free what it held.
    # (The objects stay the same: modules bound them by name at import.)
    if MAPPING.locked():
        MAPPING.release()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _unpin(reference: weakref.ref[Child]) -> None:
    try:
        _cell_release(_PINS.pop(reference))
    except Exception:  # an interpreter at exit may have torn down ctypes
        pass


def _view(address: int, words: int) -> memoryview:
    return memoryview((c_double * words).from_address(address)).cast("B").cast("d")


def _pin(child: Child, address: int) -> None:
    # The pin goes with the child (a callback only for mapped children: creating and
    # dropping a series stays free of it). The child finds the address from its view.
    _PINS[weakref.ref(child, _unpin)] = address


def map_cell(child: Child) -> memoryview | None:
    """A gauge's cell (value, removed flag), pinned for the child's life; None for a
    series that cannot be mapped (removed, closed, multiprocess: the call path handles it)."""
    out = c_void_p()
    if _cell_of(child._handle, ctypes.byref(out)) or not out.value:
        return None
    _pin(child, out.value)
    return _view(out.value, 2)


def map_shard(child: Child) -> tuple[memoryview, list[float]] | None:
    """A counter's or histogram's cell with its shard, and a histogram's bucket bounds
    (empty for a counter); None as for :func:`map_cell`, and where shards are not used."""
    if not SHARDS:
        return None
    out = c_void_p()
    words = c_size_t()
    if _shard_of(child._handle, ctypes.byref(out), ctypes.byref(words)) or not out.value:
        return None
    _pin(child, out.value)
    view = _view(out.value, words.value)
    buckets = (words.value - 3) // 2
    return view, view[3 + buckets:3 + 2 * buckets].tolist()


def removals_address() -> int:
    """Where the library's count of series removals lies: a uint64 word, then the same
    count as a double (which a view of cells as doubles can read; see CellSlab.swift)."""
    out = c_void_p()
    _native.check(_hot.finmon_series_removals(ctypes.byref(out)))
    return out.value or 0


def removals() -> memoryview:
    """The library's count of series removals, one word (read ``[0]``)."""
    return memoryview((ctypes.c_uint64 * 1).from_address(removals_address())).cast("B").cast("Q")
