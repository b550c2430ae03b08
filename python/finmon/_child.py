"""Child: one series of a metric, as ``labels(...)`` hands it out (``finmon.metrics.Child``;
its own module to keep :mod:`finmon.metrics` short).

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> child = collector.container_memory_usage.labels(container_id="abc")
    >>> child.set(1e6)
    >>> child.get()
    1000000.0
    >>> collector.close()
"""

from __future__ import annotations

import ctypes
from ctypes import c_double
from typing import TYPE_CHECKING, Any

from . import _cells, _native
from ._bindings import MetricType, Status
from ._cells import PLAIN as _PLAIN
from ._cells import bisect_left as _bisect
from ._managed import Managed
from .errors import InvalidArgumentError, MetricTypeError

if TYPE_CHECKING:
    from .metrics import Metric

__all__ = ["Child"]

_hot = _native.hot
_set = _hot.finmon_series_set
_inc = _hot.finmon_series_inc
_dec = _hot.finmon_series_dec
_observe = _hot.finmon_series_observe
_get = _hot.finmon_series_get
_INF = float("inf")
_raise = _native.raise_last

#: Rebinds a child may try in one call: each is a removal racing this very call.
_REVIVALS = 8
#: Plain ints on the hot path: an IntEnum member's lookup is slower than a global's.
_INVALID_HANDLE = int(Status.INVALID_HANDLE)
_GAUGE = int(MetricType.GAUGE)
_COUNTER = int(MetricType.COUNTER)
_HISTOGRAM = int(MetricType.HISTOGRAM)
#: ``Child._sets`` of a dropped child (one that never maps: -1 is a used-up cell).
_SETS_DROPPED = -2


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

    A gauge child that is set repeatedly maps its series' value cell (``finmon_series_cell``):
    from its second ``set`` on, a set is a store into the library's memory, no call. The
    store is followed by a read of the cell's removed flag; a series removed meanwhile is
    re-created through the C call, as every verb does, and the child stays on calls from
    then on. The cell stays pinned until the child is collected, so no store ever reaches
    memory the library freed, whichever thread removes the series.

    A counter or histogram child maps its series' shard the same way (``finmon_series_shard``,
    see ``_cells``): from its second ``inc``/``observe`` on, an update by a float or an int
    is an add to words only Python writes, and the library adds them to its own part when
    it reads the series."""

    # Eight words with Managed's _handle and the weak reference: a 96-byte object (it was
    # 128 with twelve).
    # What only a mapped child needs and can be found otherwise is not kept per child: the
    # histogram bounds are the family's (``Metric._bounds``), the pinned cell's address is
    # its view's, ``dropped`` is a value of ``_sets``, ``_owned`` is Managed's class default.
    # Made by Metric._bind (labels()), which sets the slots itself: no __init__ per series.
    # _cell, _shard, _histogram: a gauge's, counter's or histogram's mapped cell (a view of
    # the cell, and of a shard's words after it), None until mapped; _sets: updates made by
    # call before mapping, -1 never map (a cell was used up), -2 dropped.
    __slots__ = ("_metric", "_key", "_cell", "_shard", "_histogram", "_sets", "__weakref__")

    _metric: Metric
    _key: str | tuple[str, ...]
    _cell: memoryview | None
    _shard: memoryview | None
    _histogram: memoryview | None
    _sets: int

    @property
    def label_values(self) -> tuple[str, ...]:
        """The series' label values, in the family's order."""
        key = self._key
        return (key,) if type(key) is str else key

    @property
    def dropped(self) -> bool:
        """True when the family was full and this series writes nowhere (see finmon_dropped_series_total)."""
        return self._sets == _SETS_DROPPED

    @property
    def _bounds(self) -> tuple[float, ...] | list[float]:
        """A histogram's bucket bounds once one of its family's children is mapped (the
        family's: every series of it has the same); empty before."""
        return self._metric._bounds

    @property
    def _cell_address(self) -> int:
        """Where the mapped cell lies (its view's memory); AttributeError when none is mapped."""
        for view in (self._cell, self._shard, self._histogram):
            if view is not None:
                return ctypes.addressof(view.obj)  # the ctypes array the view was cast from
        raise AttributeError("_cell_address")

    # Each verb is one C call on the success path (a gauge's set: one store once mapped);
    # _after_failure runs only on an error.

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
        try:
            rc = _set(self._handle, value)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("set", value, error) from None
        if rc:
            self._after_failure(rc, _set, value)
        elif self._sets >= 0 and self._metric._type_code == _GAUGE:
            self._sets += 1
            if self._sets > 1:
                self._map_cell()

    def _map_cell(self) -> None:
        with _cells.MAPPING:
            if self._cell is not None or self._shard is not None or self._histogram is not None or self._sets < 0:
                return
            self._sets = -1  # one cell per child: its pin is dropped only with the child
            # A removed, closed or multiprocess series maps nothing: the call path handles it.
            if self._metric._type_code == _GAUGE:
                self._cell = _cells.map_cell(self)
            else:
                mapped = _cells.map_shard(self)
                if mapped is not None:
                    self._metric._bounds = mapped[1]
                    if self._metric._type_code == _COUNTER:
                        self._shard = mapped[0]
                    else:
                        self._histogram = mapped[0]

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
        elif self._sets >= 0 and self._metric._type_code == _COUNTER:
            self._sets += 1
            if self._sets > 1:
                self._map_cell()

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
            shard[3 + _bisect(self._metric._bounds, value)] += 1.0  # the first bound >= value
            if not shard[1]:
                return
            self._histogram = None  # removed: lost with it; made again below, by call from now on
        try:
            rc = _observe(self._handle, value)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("observe", value, error) from None
        if rc:
            self._after_failure(rc, _observe, value)
        elif self._sets >= 0 and self._metric._type_code == _HISTOGRAM:
            self._sets += 1
            if self._sets > 1:
                self._map_cell()

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
        if self._sets == _SETS_DROPPED:
            return False
        fresh = self._metric._bind(self._key)
        if fresh._sets == _SETS_DROPPED:
            self._sets = _SETS_DROPPED
        self._handle = fresh._handle
        return True

    def __repr__(self) -> str:
        return f"<finmon child of {self._metric.name} {dict(zip(self._metric.labelnames, self.label_values))}>"

