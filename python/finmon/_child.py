"""Child: one series of a metric, as ``labels(...)`` hands it out (``finmon.metrics.Child``).

A child is born mapped: the one call that creates its series (``finmon_metric_labels_cell``)
also pins the series' value cell and hands back its address, so a gauge's first ``set``
is a store, not a second call. The pin goes with the child: ``__del__`` queues the address
and the queue is released in one call (``finmon_series_cells_release``) every
:data:`RELEASE_BATCH` children; until then the cells stay valid, which is all a pin
promises. Dropping a child costs a list append, not a foreign call.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> child = collector.container_memory_usage.labels(container_id="abc")
    >>> child.set(1e6)                # a store into the series' cell
    >>> child.get()
    1000000.0
    >>> collector.close()
"""

from __future__ import annotations

import ctypes
from ctypes import c_double, c_void_p
from typing import TYPE_CHECKING, Any

from . import _native
from ._bindings import Status
from ._cells import PLAIN as _PLAIN
from ._cells import bisect_left as _bisect
from ._managed import Managed
from .errors import InvalidArgumentError, MetricTypeError

if TYPE_CHECKING:
    from .metrics import Metric

__all__ = ["Child", "RELEASE_BATCH", "release_pins"]

_hot = _native.hot
_set = _hot.finmon_series_set
_inc = _hot.finmon_series_inc
_dec = _hot.finmon_series_dec
_observe = _hot.finmon_series_observe
_get = _hot.finmon_series_get
_cells_release = _hot.finmon_series_cells_release
_INF = float("inf")
_raise = _native.raise_last

#: Rebinds a child may try in one call: each is a removal racing this very call.
_REVIVALS = 8
#: Plain ints on the hot path: an IntEnum member's lookup is slower than a global's.
_INVALID_HANDLE = int(Status.INVALID_HANDLE)
#: A histogram child's bounds before it is mapped (shared: one empty tuple, not a list each).
_NO_BOUNDS: tuple[float, ...] = ()

#: Every double of the address space, as one view: word i is at address 8 * i. A born child
#: stores its first values through it (``MEMORY[address >> 3]``) and makes its own view
#: (a slice of this one: no ctypes object per child) only when it is set again. Only
#: pinned cells' words are ever read or written through it.
MEMORY = memoryview((c_double * (1 << 44)).from_address(0)).cast("B").cast("d")

#: Children dropped since the last release: their cells' addresses.
_RELEASES: list[int] = []
#: How many dropped children's pins are released per call.
RELEASE_BATCH = 64


def release_pins() -> None:
    """Releases the pins of every child dropped so far (the queue is flushed on its own
    every :data:`RELEASE_BATCH` children; tests call this to see a release at once)."""
    taken: list[int] = []
    pop = _RELEASES.pop
    try:
        while True:  # pop by pop: a thread dropping a child meanwhile keeps its own entry
            taken.append(pop())
    except IndexError:
        pass
    if taken:
        _cells_release((c_void_p * len(taken))(*taken), len(taken))


def _type_error(verb: str, value: object) -> MetricTypeError:
    return MetricTypeError(f"{verb}() takes a number, got {type(value).__name__}: {value!r}")


def _argument_error(verb: str, value: object, error: Exception) -> Exception:
    """A non-number is a type error; an int too large for a double (``10**400``) a value error."""
    # ctypes wraps the OverflowError of an int it cannot convert in an ArgumentError.
    if isinstance(error, OverflowError) or (isinstance(value, int) and not isinstance(value, bool)):
        return InvalidArgumentError(
            f"{verb}() takes a number that fits a 64-bit float, got an {type(value).__name__} too large for one")
    return _type_error(verb, value)


class Child(Managed):
    """One series of a metric: a bound set of label values with its native handle
    (borrowed: the collector frees it).

    Born mapped (see the module): a gauge child's ``set`` is a store into the library's
    memory, followed by a read of the cell's removed flag; a series removed meanwhile is
    re-created through the C call, as every verb does, and the child stays on calls from
    then on. The cell stays pinned until the child is collected, so no store ever reaches
    memory the library freed, whichever thread removes the series.

    A counter or histogram child is born with its series' shard (see ``_cells``): an
    update by a float or an int is an add to words only Python writes, and the library
    adds them to its own part when it reads the series."""

    __slots__ = ("_metric", "label_values", "dropped", "_cell", "_shard", "_histogram", "_bounds", "_cell_address", "_sets",
                 "__weakref__")

    def __init__(self, handle: int, metric: Metric, label_values: tuple[str, ...], dropped: bool,
                 address: int = 0) -> None:
        self._handle = handle
        self._owned = False
        self._metric = metric
        self.label_values = label_values
        #: True when the family was full and this series writes nowhere (see finmon_dropped_series_total).
        self.dropped = dropped
        #: The mapped cell (two doubles: value, removed flag) or None.
        self._cell: memoryview | None = None
        #: A counter's mapped cell with its shard (see _cells), or None.
        self._shard: memoryview | None = None
        #: A histogram's mapped cell with its shard, or None.
        self._histogram: memoryview | None = None
        #: A mapped histogram's bucket bounds.
        self._bounds: tuple[float, ...] | list[float] = _NO_BOUNDS
        #: The pinned cell's address (released with the child), or 0: updates by call only.
        self._cell_address = address
        #: A gauge's stores through MEMORY before it makes its own view; -1: none (the view
        #: is made, or there is no cell, or the series was removed: calls from then on).
        self._sets = 0 if address else -1

    def __del__(self) -> None:
        address = self._cell_address
        if address:
            try:
                _RELEASES.append(address)
                if len(_RELEASES) >= RELEASE_BATCH:
                    release_pins()
            except Exception:  # never from a finalizer; an interpreter at exit may lack modules
                pass

    # Each verb is one store or add once mapped, one C call otherwise; _after_failure runs
    # only on an error.

    def set(self, value: float) -> None:
        """Set a gauge (NaN and infinities are kept as such)."""
        cell = self._cell
        if cell is not None:
            try:
                cell[0] = value
            except Exception as error:  # TypeError for a non-number, ValueError for 10**400
                raise _argument_error("set", value, error) from None
            if not cell[1]:
                return
            self._cell = None  # removed: re-created by the call below; calls from now on
        elif self._sets >= 0:  # a born gauge (a counter or histogram is born with its view)
            index = self._cell_address >> 3
            try:
                MEMORY[index] = value
            except Exception as error:
                raise _argument_error("set", value, error) from None
            if not MEMORY[index + 1]:
                if self._sets:  # set again: its own view from now on
                    self._map_cell()
                else:
                    self._sets = 1
                return
            self._sets = -1  # removed: calls from now on
        try:
            rc = _set(self._handle, value)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("set", value, error) from None
        if rc:
            self._after_failure(rc, _set, value)

    def _map_cell(self) -> None:
        """A born gauge's own view of its cell (a prepared batch asks for it too); nothing
        for any other child: counters and histograms are born with theirs."""
        if self._sets >= 0 and self._cell is None:
            index = self._cell_address >> 3
            self._cell = MEMORY[index:index + 2]
        self._sets = -1

    def _map_shard(self, words: int, histogram: bool) -> None:
        """A born counter's or histogram's view of its cell and shard."""
        index = self._cell_address >> 3
        view = MEMORY[index:index + words]
        if histogram:
            buckets = (words - 3) // 2
            self._bounds = view[3 + buckets:3 + 2 * buckets].tolist()
            self._histogram = view
        else:
            self._shard = view
        self._sets = -1

    def inc(self, amount: float = 1.0) -> None:
        """Increase a counter (by a finite amount >= 0) or a gauge."""
        shard = self._shard
        # A plain float or int only (no lock needed: see _cells); anything else, a negative
        # or non-finite amount included, goes to the call, which takes or refuses it.
        if shard is not None and type(amount) in _PLAIN and 0 <= amount < _INF:
            try:
                shard[2] += amount
            except OverflowError as error:  # 10**400
                raise _argument_error("inc", amount, error) from None
            if not shard[1]:
                return
            self._shard = None  # removed: lost with it; made again below, by call from now on
        try:
            rc = _inc(self._handle, amount)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("inc", amount, error) from None
        if rc:
            self._after_failure(rc, _inc, amount)

    def dec(self, amount: float = 1.0) -> None:
        """Decrease a gauge."""
        try:
            rc = _dec(self._handle, amount)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("dec", amount, error) from None
        if rc:
            self._after_failure(rc, _dec, amount)

    def observe(self, value: float) -> None:
        """Record one histogram observation (NaN is refused)."""
        shard = self._histogram
        if shard is not None and type(value) in _PLAIN and value == value:  # NaN: the call refuses it
            try:
                shard[2] += value  # first: a value too large for a double changes nothing
            except OverflowError as error:
                raise _argument_error("observe", value, error) from None
            shard[3 + _bisect(self._bounds, value)] += 1.0  # the first bound >= value
            if not shard[1]:
                return
            self._histogram = None  # removed: lost with it; made again below, by call from now on
        try:
            rc = _observe(self._handle, value)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("observe", value, error) from None
        if rc:
            self._after_failure(rc, _observe, value)

    def _after_failure(self, rc: int, call: Any, value: float) -> None:
        """A removed series is re-created and the update applied to it; other errors raise."""
        revivals = 0
        while rc == _INVALID_HANDLE and revivals < _REVIVALS and self._revive():
            rc = call(self._handle, value)
            revivals += 1
        if rc:
            _raise(rc)

    def get(self) -> float:
        """The current value (a histogram's observation count)."""
        out = c_double()
        rc = _get(self._handle, ctypes.byref(out))
        if rc == _INVALID_HANDLE and self._revive():
            rc = _get(self._handle, ctypes.byref(out))
        if rc:
            _raise(rc)
        return out.value

    def _revive(self) -> bool:
        """After the series was removed (by ``remove``/``clear``, or by the library's own
        container cleanup), bind this child to the series its labels name now, creating it,
        as prometheus_client re-creates a removed child. False when there is nothing to
        rebind (a dropped child); an error of the family itself (a closed collector) raises."""
        if self.dropped:
            return False
        fresh = self._metric._bind(self.label_values)
        if fresh.dropped:
            self.dropped = True
        self._handle = fresh._handle
        self._sets = -1  # its own cell is the removed series': calls from now on
        return True

    def __repr__(self) -> str:
        return f"<finmon child of {self._metric.name} {dict(zip(self._metric.labelnames, self.label_values))}>"
