"""Counter, Gauge and Histogram: prometheus_client's verbs over finmon's native registry.

A metric object comes from a :class:`~finmon.MetricsCollector` (its catalog attributes, or
``collector.gauge(...)`` and friends). Labeled metrics hand out children with
``labels(...)``; each child keeps its native handle, so binding once and calling ``set``
in the loop costs one C call.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> child = collector.container_memory_usage.labels(container_id="abc")
    >>> child.set(1e6)
    >>> collector.get_sample_value("container_memory_usage_bytes", {"container_id": "abc"})
    1000000.0
    >>> collector.close()
"""

from __future__ import annotations

import ctypes
import struct
from array import array
from ctypes import c_double, c_int, c_size_t, c_void_p
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _native
from ._bindings import BatchOp, MetricType, Status
from .errors import InvalidArgumentError, MetricTypeError

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["Metric", "Counter", "Gauge", "Histogram", "Child", "Batch", "PreparedBatch"]

_hot = _native.hot
_set = _hot.finmon_series_set
_inc = _hot.finmon_series_inc
_dec = _hot.finmon_series_dec
_observe = _hot.finmon_series_observe
_get = _hot.finmon_series_get
_batch_apply = _hot.finmon_batch_apply
_raise = _native.raise_last

#: Rebinds a child may try in one call: each is a removal racing this very call.
_REVIVALS = 8


def _type_error(verb: str, value: object) -> MetricTypeError:
    return MetricTypeError(f"{verb}() takes a number, got {type(value).__name__}: {value!r}")


def _argument_error(verb: str, value: object, error: Exception) -> Exception:
    """A non-number is a type error; an int too large for a double (``10**400``) a value error."""
    # ctypes wraps the OverflowError of an int it cannot convert in an ArgumentError.
    if isinstance(error, OverflowError) or (isinstance(value, int) and not isinstance(value, bool)):
        return InvalidArgumentError(
            f"{verb}() takes a number that fits a 64-bit float, got an {type(value).__name__} too large for one")
    return _type_error(verb, value)


class Child:
    """One series of a metric: a bound set of label values with its native handle."""

    __slots__ = ("_handle", "_metric", "label_values", "dropped")

    def __init__(self, handle: int, metric: Metric, label_values: tuple[str, ...], dropped: bool) -> None:
        self._handle = handle
        self._metric = metric
        self.label_values = label_values
        #: True when the family was full and this series writes nowhere (see finmon_dropped_series_total).
        self.dropped = dropped

    # Each verb is one C call on the success path; _after_failure runs only on an error.

    def set(self, value: float) -> None:
        """Set a gauge (NaN and infinities are kept as such)."""
        try:
            rc = _set(self._handle, value)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("set", value, error) from None
        if rc:
            self._after_failure(rc, _set, value)

    def inc(self, amount: float = 1.0) -> None:
        """Increase a counter (by a finite amount >= 0) or a gauge."""
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
        try:
            rc = _observe(self._handle, value)
        except (ctypes.ArgumentError, OverflowError) as error:
            raise _argument_error("observe", value, error) from None
        if rc:
            self._after_failure(rc, _observe, value)

    def _after_failure(self, rc: int, call: Any, value: float) -> None:
        """A removed series is re-created and the update applied to it; other errors raise."""
        revivals = 0
        while rc == Status.INVALID_HANDLE and revivals < _REVIVALS and self._revive():
            rc = call(self._handle, value)
            revivals += 1
        if rc:
            _raise(rc)

    def get(self) -> float:
        """The current value (a histogram's observation count)."""
        out = c_double()
        rc = _get(self._handle, ctypes.byref(out))
        if rc == Status.INVALID_HANDLE and self._revive():
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
        return True

    def __repr__(self) -> str:
        return f"<finmon child of {self._metric.name} {dict(zip(self._metric.labelnames, self.label_values))}>"


class Metric:
    """A metric family. Use a subclass: :class:`Counter`, :class:`Gauge`, :class:`Histogram`."""

    _type_code: MetricType

    def __init__(self, collector: MetricsCollector, handle: int, name: str, documentation: str,
                 labelnames: tuple[str, ...]) -> None:
        self._collector = collector
        self._handle = handle
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self._children: dict[tuple[str, ...], Child] = {}
        self._unlabeled: Child | None = None
        if not labelnames:
            self._unlabeled = self._bind(())

    def labels(self, *values: object, **labelkwargs: object) -> Child:
        """The child for these label values, by position or by name (not both)."""
        if values and labelkwargs:
            raise InvalidArgumentError("labels() takes label values by position or by name, not both")
        if labelkwargs:
            if set(labelkwargs) != set(self.labelnames):
                from .errors import LabelError

                raise LabelError(
                    f"metric '{self.name}' takes labels {list(self.labelnames)}, got {sorted(labelkwargs)}")
            values = tuple(labelkwargs[name] for name in self.labelnames)
        key = tuple(v if type(v) is str else str(v) for v in values)
        child = self._children.get(key)
        if child is None:
            child = self._bind(key)
        return child

    def remove(self, *values: object) -> None:
        """Remove one labeled series (its children stop working)."""
        key = tuple(str(v) for v in values)
        encoded = [_native.encode(v, "a label value") for v in key]
        removed = c_int()
        _native.check(_hot.finmon_metric_remove(
            self._handle, None, _native.string_array(encoded), len(encoded), ctypes.byref(removed)))
        self._children.pop(key, None)

    def clear(self) -> None:
        """Remove every labeled series; reset an unlabeled metric."""
        _native.check(_hot.finmon_metric_clear(self._handle))
        self._children.clear()

    def series_count(self) -> int:
        """How many series the family stores."""
        out = c_size_t()
        _native.check(_hot.finmon_metric_series_count(self._handle, ctypes.byref(out)))
        return out.value

    def _bind(self, key: tuple[str, ...]) -> Child:
        encoded = [_native.encode(v, f"a label value of '{self.name}'") for v in key]
        out = c_void_p()
        rc = _native.check(_hot.finmon_metric_labels(
            self._handle, None, _native.string_array(encoded), len(encoded), ctypes.byref(out)))
        child = Child(out.value or 0, self, key, dropped=rc == Status.DROPPED)
        if not child.dropped:
            # Dropped children are not cached: the family may have room again after a remove.
            self._children[key] = child
        return child

    def _only(self) -> Child:
        child = self._unlabeled
        if child is None:
            from .errors import LabelError

            raise LabelError(f"metric '{self.name}' has labels {list(self.labelnames)}; call labels(...) first")
        return child

    def __repr__(self) -> str:
        return f"<finmon {type(self).__name__} {self.name}>"


class Counter(Metric):
    """A monotonically increasing count. Example: ``collector.strategy_success.inc()``."""

    _type_code = MetricType.COUNTER

    def inc(self, amount: float = 1.0) -> None:
        """Increase by a finite amount >= 0."""
        self._only().inc(amount)

    def get(self) -> float:
        """The current count."""
        return self._only().get()


class Gauge(Metric):
    """A value that goes up and down. Example: ``collector.population_diversity.set(0.4)``."""

    _type_code = MetricType.GAUGE

    def set(self, value: float) -> None:
        """Set the value."""
        self._only().set(value)

    def inc(self, amount: float = 1.0) -> None:
        """Increase the value."""
        self._only().inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        """Decrease the value."""
        self._only().dec(amount)

    def get(self) -> float:
        """The current value."""
        return self._only().get()


class Histogram(Metric):
    """Observations counted in buckets. Example: ``collector.execution_time.observe(1.7)``."""

    _type_code = MetricType.HISTOGRAM

    def observe(self, value: float) -> None:
        """Record one observation."""
        self._only().observe(value)


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
        while rc == Status.INVALID_HANDLE and revivals < count + _REVIVALS and self._children[failed.value]._revive():
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
        self._args = (ctypes.addressof(self._handles), ctypes.addressof(self._ops), ctypes.addressof(self._values),
                      self._count, ctypes.byref(self._failed))

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
        rc = _batch_apply(*self._args)
        revivals = 0
        while rc == Status.INVALID_HANDLE and revivals < self._count + _REVIVALS and self._targets[self._failed.value]._revive():
            self._handles[self._failed.value] = self._targets[self._failed.value]._handle
            rc = _batch_apply(*self._args)
            revivals += 1
        if rc:
            _raise(rc)

