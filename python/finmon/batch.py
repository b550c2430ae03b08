"""Many metric updates in one native call: :class:`Batch` (queued as the loop goes) and
:class:`PreparedBatch` (the same targets every iteration, new values each time).

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> with collector.batch() as batch:
    ...     batch.inc(collector.strategy_success)
    ...     batch.set(collector.population_diversity, 0.4)
    >>> collector.get_sample_value("population_diversity")
    0.4
    >>> collector.close()
"""

from __future__ import annotations

import ctypes
import struct
from array import array
from ctypes import c_size_t
from types import TracebackType

from . import _native
from ._bindings import BatchOp, Status
from .errors import InvalidArgumentError, MetricTypeError
from .metrics import _REVIVALS, Child, Metric

__all__ = ["Batch", "PreparedBatch"]

_batch_apply = _native.hot.finmon_batch_apply
#: The same C function without argtypes, for PreparedBatch: its arguments are ctypes
#: objects built once (arrays, a size_t, a byref), which ctypes passes as they are. The
#: declared prototype converts five arguments per call instead: 3,500 instructions of an
#: apply's ~25,000 (callgrind, Benchmarks/RESULTS-hotpath.md).
_prepared_apply = _native.hot._FuncPtr(("finmon_batch_apply", _native.hot))
_prepared_apply.restype = ctypes.c_int
_raise = _native.raise_last
#: A plain int: an IntEnum member's lookup costs about a microsecond per apply (callgrind).
_INVALID_HANDLE = int(Status.INVALID_HANDLE)


class Batch:
    """Many updates applied in one native call: the cheapest way to update a whole catalog.

    Entries are checked together when the batch is applied; if one is bad (a negative
    counter increment, NaN observed) none is applied and the error says which. A child
    whose series was removed is re-created, as a child's own verbs do.

    Example:
        >>> import finmon
        >>> collector = finmon.MetricsCollector()
        >>> with collector.batch() as batch:
        ...     batch.set(collector.population_diversity, 0.4)
        ...     batch.inc(collector.strategy_success)
        >>> collector.get_sample_value("population_diversity")
        0.4
        >>> collector.close()
    """

    __slots__ = ("_handles", "_ops", "_values", "_children")

    def __init__(self) -> None:
        self._handles: list[int] = []
        self._ops: list[int] = []
        self._values: list[float] = []
        self._children: list[Child] = []

    def set(self, target: Child | Metric, value: float) -> None:
        """Queue a gauge set."""
        self._add(target, 0, value)

    def inc(self, target: Child | Metric, amount: float = 1.0) -> None:
        """Queue an increment."""
        self._add(target, 1, amount)

    def dec(self, target: Child | Metric, amount: float = 1.0) -> None:
        """Queue a gauge decrement."""
        self._add(target, 2, amount)

    def observe(self, target: Child | Metric, value: float) -> None:
        """Queue a histogram observation."""
        self._add(target, 3, value)

    def _add(self, target: Child | Metric, op: int, value: float) -> None:
        if type(target) is Child:
            child = target
        elif isinstance(target, Metric):
            child = target._only()
        else:
            raise TypeError(f"a batch update takes a finmon metric or child, got {type(target).__name__}: {target!r}")
        self._handles.append(child._handle)
        self._children.append(child)
        self._ops.append(op)
        self._values.append(value)

    def apply(self) -> None:
        """Apply every queued update, then empty the batch."""
        count = len(self._handles)
        if not count:
            return
        try:
            values = array("d", self._values)
        except TypeError as error:
            raise MetricTypeError(f"batch values must be numbers: {error}") from None
        handles = array("Q", self._handles)
        ops = array("B", self._ops)
        args = (handles.buffer_info()[0], ops.buffer_info()[0], values.buffer_info()[0], count)
        failed = c_size_t()
        rc = _batch_apply(*args, ctypes.byref(failed))
        # A removed child is re-created (nothing was applied yet: all are checked first).
        revivals = 0
        while rc == _INVALID_HANDLE and revivals < count + _REVIVALS and self._children[failed.value]._revive():
            handles[failed.value] = self._children[failed.value]._handle
            rc = _batch_apply(*args, ctypes.byref(failed))
            revivals += 1
        self.clear()
        if rc:
            _raise(rc)

    def clear(self) -> None:
        """Forget the queued updates."""
        self._handles.clear()
        self._children.clear()
        self._ops.clear()
        self._values.clear()

    def __len__(self) -> int:
        return len(self._handles)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.apply()
        else:
            self.clear()


_OPS = {"set": BatchOp.SET, "inc": BatchOp.INC, "dec": BatchOp.DEC, "observe": BatchOp.OBSERVE}


class PreparedBatch:
    """A fixed list of updates whose targets are bound once; each :meth:`apply` sends new
    values for all of them in one native call. The cheapest way to update the same set
    of metrics every iteration.

    Example:
        >>> import finmon
        >>> collector = finmon.MetricsCollector()
        >>> children = [collector.container_cpu_usage.labels(container_id=f"c{i}") for i in range(3)]
        >>> update = collector.prepare_batch(
        ...     [("observe", collector.execution_time), ("inc", collector.strategy_success)]
        ...     + [("set", child) for child in children])
        >>> update.apply([1.7, 1, 10.0, 20.0, 30.0])
        >>> collector.get_sample_value("container_cpu_usage_percent", {"container_id": "c2"})
        30.0
        >>> collector.close()
    """

    __slots__ = ("_count", "_handles", "_ops", "_values", "_args", "_pack", "_targets", "_failed")

    def __init__(self, updates: list[tuple[str, Child | Metric]]) -> None:
        handles: list[int] = []
        ops: list[int] = []
        targets: list[Child] = []
        for position, update in enumerate(updates):
            try:
                verb, target = update
            except (TypeError, ValueError):
                raise TypeError(f"update {position} must be a (verb, metric or child) pair, got {update!r}") from None
            if verb not in _OPS:
                raise InvalidArgumentError(f"update {position}: unknown verb {verb!r}; use set, inc, dec or observe")
            if isinstance(target, Metric):
                child = target._only()
            elif isinstance(target, Child):
                child = target
            else:
                raise TypeError(f"update {position}: {target!r} is not a finmon metric or child")
            handles.append(child._handle)
            ops.append(_OPS[verb])
            targets.append(child)
        self._count = len(handles)
        self._targets = targets  # keeps the metrics (and their handles' meaning) alive
        self._handles = (ctypes.c_uint64 * self._count)(*handles)
        self._ops = (ctypes.c_uint8 * self._count)(*ops)
        self._values = (ctypes.c_double * self._count)()
        self._pack = struct.Struct(f"={self._count}d").pack_into
        self._failed = c_size_t()
        self._args = (self._handles, self._ops, self._values, c_size_t(self._count), ctypes.byref(self._failed))

    def __len__(self) -> int:
        return self._count

    def apply(self, values: list[float] | tuple[float, ...]) -> None:
        """Apply one value per prepared update, in order. All are checked before any is
        applied; a bad one (negative increment, NaN observed) applies none. A removed
        child is re-created first."""
        try:
            self._pack(self._values, 0, *values)
        except Exception as error:  # struct.error for a wrong count or a non-number
            if len(values) != self._count:
                raise InvalidArgumentError(f"expected {self._count} values, got {len(values)}") from None
            raise MetricTypeError(f"prepared batch values must be numbers: {error}") from None
        rc = _prepared_apply(*self._args)
        revivals = 0
        while rc == _INVALID_HANDLE and revivals < self._count + _REVIVALS and self._targets[self._failed.value]._revive():
            self._handles[self._failed.value] = self._targets[self._failed.value]._handle
            rc = _prepared_apply(*self._args)
            revivals += 1
        if rc:
            _raise(rc)

