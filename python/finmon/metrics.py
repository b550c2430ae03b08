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
import operator
from ctypes import c_size_t, c_void_p
from typing import TYPE_CHECKING, Any, Callable

from . import _native
from ._bindings import MetricType, Status
from ._cells import PLAIN as _PLAIN
from ._cells import bisect_left as _bisect
from ._child import _SETS_DROPPED, Child, _argument_error
from ._managed import Managed
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["Metric", "Counter", "Gauge", "Histogram", "Child"]
# Child lives in _child (to keep this module short); finmon.metrics.Child stays its name.

_hot = _native.hot
_remove_packed = _hot.finmon_metric_remove_packed
#: Called without argtypes, with ctypes objects made once and bytes, which ctypes passes as
#: they are: the prototypes' conversions were ~2,300 instructions per create and remove.
_labels_packed = _native.untyped("finmon_metric_labels_packed")
_remove_series = _native.untyped("finmon_metric_remove_series")
_pack = _native.pack_labels
_byref = ctypes.byref
_INF = float("inf")
_raise = _native.raise_last

#: Plain ints on the hot path: an IntEnum member's lookup is slower than a global's.
_DROPPED = int(Status.DROPPED)
_new = object.__new__
#: Out parameters of finmon_metric_labels_packed with their byref, ready (see Metric._bind).
_OUTS: list[tuple[c_void_p, Any]] = []
_outs_pop = _OUTS.pop
_outs_append = _OUTS.append
#: Lengths below this go to the packed call as plain ints (see Metric._bind).
_INT_MAX = 2**31 - 1


def _key(values: tuple[object, ...], only: str | None) -> str | tuple[str, ...]:
    """The key of a family's children cache: a one-label family's value (as a str), or the
    str tuple of the values (also for a wrong count of values: the call then refuses it)."""
    labels = _str_tuple(values)
    return labels[0] if only is not None and len(labels) == 1 else labels


def _str_tuple(values: tuple[object, ...]) -> tuple[str, ...]:
    """Label values as the str tuple that keys a family's children (str() of non-str)."""
    for value in values:
        if type(value) is not str:
            return tuple(v if type(v) is str else str(v) for v in values)
    return values  # type: ignore[return-value]  # all str


class Metric(Managed):
    """A metric family (its handle borrowed from the collector). Use a subclass:
    :class:`Counter`, :class:`Gauge`, :class:`Histogram`."""

    _type_code: MetricType
    #: A histogram's bucket bounds, set when its first child maps its shard (every series
    #: of a family has the same); kept here rather than in each child.
    _bounds: tuple[float, ...] | list[float] = ()

    def __init__(self, collector: MetricsCollector, handle: int, name: str, documentation: str,
                 labelnames: tuple[str, ...]) -> None:
        self._collector = collector
        self._adopt(handle, owned=False)
        self._handle_arg = c_void_p(handle)
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self._children: dict[str | tuple[str, ...], Child] = {}
        self._unlabeled: Child | None = None
        #: By-name ``labels(**kwargs)``: the one label's name (no call needed), or a getter of
        #: the values in the family's order (KeyError for a missing name).
        self._only_label: str | None = labelnames[0] if len(labelnames) == 1 else None
        self._by_name: Callable[[dict[str, object]], tuple[object, ...]] | None = (
            operator.itemgetter(*labelnames) if len(labelnames) > 1 else None)
        if not labelnames:
            self._unlabeled = self._bind(())

    def labels(self, *values: object, **labelkwargs: object) -> Child:
        """The child for these label values, by position or by name (not both)."""
        # A family of one label keys its children by the value's str itself, others by the
        # tuple of str values: no tuple is kept per series of a one-label family (48 bytes
        # and one more object for the cyclic GC to count and traverse per series created).
        only = self._only_label
        if labelkwargs:
            if values:
                raise InvalidArgumentError("labels() takes label values by position or by name, not both")
            # As many names as the family's, each of them present: the same set of names.
            try:
                if len(labelkwargs) != len(self.labelnames):
                    raise KeyError
                if only is not None:
                    value = labelkwargs[only]
                else:
                    values = self._by_name(labelkwargs)  # type: ignore[misc]
            except KeyError:
                from .errors import LabelError

                raise LabelError(
                    f"metric '{self.name}' takes labels {list(self.labelnames)}, got {sorted(labelkwargs)}") from None
            if only is not None:
                if type(value) is str:
                    child = self._children.get(value)
                    return child if child is not None else self._bind(value)
                values = (value,)
        elif only is not None and len(values) == 1 and type(values[0]) is str:
            child = self._children.get(values[0])
            return child if child is not None else self._bind(values[0])
        if only is None:
            # Values that are all str find their child at once (an unhashable one, a list,
            # only raises here: its str() below keys it).
            try:
                child = self._children.get(values)
            except TypeError:
                child = None
            if child is not None:
                return child
        # Others (ints, ...) are turned into their str() first, as prometheus_client does.
        key = _key(values, only)
        child = self._children.get(key)
        return child if child is not None else self._bind(key)

    def remove(self, *values: object) -> None:
        """Remove one labeled series (its children stop working)."""
        only = self._only_label
        if only is not None and len(values) == 1 and type(values[0]) is str:
            labels: tuple[str, ...] = values  # type: ignore[assignment]  # one str value
            key: str | tuple[str, ...] = values[0]
        else:
            labels = _str_tuple(values)
            key = labels[0] if only is not None and len(labels) == 1 else labels
        child = self._children.get(key)
        # By the child's handle (no values to encode); by values without one, or when the
        # call fails (a handle freed by an earlier removal; an error is raised from there).
        if child is None or self._handle is None or _remove_series(self._handle_arg, c_void_p(child._handle), None):
            if labels:
                data = _pack(labels)
                rc = _remove_packed(self._handle, data, len(data), None)
            else:  # no values at all: a packed b"" would be one empty value
                rc = _hot.finmon_metric_remove(self._handle, None, None, 0, None)
            if rc < 0:
                _raise(rc)
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

    def _bind(self, key: str | tuple[str, ...]) -> Child:
        """Create (or find) the series of ``key`` (a one-label family's value, or the tuple
        of values) and its child, cached unless dropped."""
        # The out parameter and its byref from a pool (a list's pop and append are atomic
        # under the GIL, and a signal handler's labels() in between takes another pair):
        # made per call they were ~1,300 instructions of a creation.
        try:
            pair = _outs_pop()
        except IndexError:
            out = c_void_p()
            pair = (out, _byref(out))
        out, out_ref = pair
        if type(key) is str:  # _native.pack_labels of one value, inline
            try:
                data: bytes | None = key.encode()
            except UnicodeEncodeError:
                data = None
            if data is None or 0 in data:  # `0 in`: see pack_labels
                data = _pack((key,), self.name)  # raises the error naming the family
        elif key or not self.labelnames:
            data = _pack(key, self.name)
        else:  # no values at all (a packed b"" is one empty value): its error
            data = None
        if data is not None and self._handle is not None:
            # The length as a plain int, which ctypes passes as a C int widened to the
            # register (libffi extends every argument narrower than 64 bits); a c_size_t
            # made per call was ~1,000 instructions of a creation.
            size = len(data)
            rc = _labels_packed(self._handle_arg, data, size if size < _INT_MAX else c_size_t(size), out_ref)
        else:  # or a closed metric: its error
            rc = _hot.finmon_metric_labels(self._handle, None, None, 0, out_ref)
        handle = out.value or 0
        _outs_append(pair)
        if rc < 0:
            _raise(rc)
        dropped = rc == _DROPPED
        # Child's slots, set here: calling the class ran an __init__ through type.__call__
        # and a frame of its own, and a factory function one more frame (~1,300
        # instructions of each series created, together).
        child = _new(Child)
        child._handle = handle
        child._metric = self
        child._key = key  # the cache key: a one-label family's value, else the values' tuple
        child._cell = child._shard = child._histogram = None  # the mapped cells (see Child)
        child._sets = _SETS_DROPPED if dropped else 0
        if not dropped:
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


# The family-level verbs of an unlabeled metric make the child's C call themselves (one
# Python call fewer per update than delegating to the child's verb).


class Counter(Metric):
    """A monotonically increasing count. Example: ``collector.strategy_success.inc()``."""

    _type_code = MetricType.COUNTER

    def inc(self, amount: float = 1.0) -> None:
        """Increase by a finite amount >= 0."""
        # Child.inc's shard add, inline: one Python call fewer per increment.
        child = self._unlabeled or self._only()
        shard = child._shard
        if shard is not None and type(amount) in _PLAIN and 0 <= amount < _INF:
            try:
                shard[2] += amount
            except OverflowError:
                pass  # the child's own path raises the error
            else:
                if not shard[1]:
                    return
        child.inc(amount)  # not mapped yet, refused, or removed: the child's own path

    def get(self) -> float:
        """The current count."""
        return self._only().get()


class Gauge(Metric):
    """A value that goes up and down. Example: ``collector.population_diversity.set(0.4)``."""

    _type_code = MetricType.GAUGE

    def set(self, value: float) -> None:
        """Set the value."""
        # Child.set's store, inline: one Python call fewer per set of an unlabeled gauge.
        child = self._unlabeled or self._only()
        cell = child._cell
        if cell is not None:
            try:
                cell[0] = value
            except Exception as error:
                raise _argument_error("set", value, error) from None
            if not cell[1]:
                return
        child.set(value)  # not mapped yet, or removed: the child's own path

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
        # Child.observe's shard add, inline: one Python call fewer per observation.
        child = self._unlabeled or self._only()
        shard = child._histogram
        if shard is not None and type(value) in _PLAIN and value == value:
            try:
                shard[2] += value
            except OverflowError:
                pass  # the child's own path raises the error
            else:
                shard[3 + _bisect(self._bounds, value)] += 1.0
                if not shard[1]:
                    return
        child.observe(value)  # not mapped yet, refused, or removed: the child's own path
