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
from math import fsum
from types import TracebackType
from typing import Any, Callable

from . import _cells, _native
from ._bindings import BatchOp, MetricType, Status
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

    __slots__ = ("_count", "_handles", "_ops", "_values", "_args", "_pack", "_targets", "_failed", "_verbs", "_fast",
                 "_views", "_seen")

    def __init__(self, updates: list[tuple[str, Child | Metric]]) -> None:
        handles: list[int] = []
        ops: list[int] = []
        targets: list[Child] = []
        verbs: list[str] = []
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
            verbs.append(verb)
        self._count = len(handles)
        self._targets = targets  # keeps the metrics (and their handles' meaning) alive
        self._handles = (ctypes.c_uint64 * self._count)(*handles)
        self._ops = (ctypes.c_uint8 * self._count)(*ops)
        self._values = (ctypes.c_double * self._count)()
        self._pack = struct.Struct(f"={self._count}d").pack_into
        self._failed = c_size_t()
        self._args = (self._handles, self._ops, self._values, c_size_t(self._count), ctypes.byref(self._failed))
        self._verbs = verbs
        #: The removals count when the cells were last known live (see _cells.removals).
        self._seen = [0]
        self._views: list[memoryview] = []
        self._fast = self._compile()

    def __len__(self) -> int:
        return self._count

    def apply(self, values: list[float] | tuple[float, ...]) -> None:
        """Apply one value per prepared update, in order. All are checked before any is
        applied; a bad one (negative increment, NaN observed) applies none. A removed
        child is re-created first."""
        fast = self._fast
        if fast is not None:
            outcome = fast(values)
            if outcome is None:
                return  # applied, no series removed meanwhile
            if outcome:
                self._after_removals(values)
                return
            # False: nothing applied (a value the fast path does not take): the call says why.
        self._apply_by_call(values)

    def _apply_by_call(self, values: list[float] | tuple[float, ...]) -> None:
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



    def _compile(self) -> Callable[[Any], bool | None] | None:
        """When every entry can be mapped (gauge sets, counter increments, histogram
        observations of series that are not multiprocess, dropped or removed), a function
        applying the values as stores into the cells (see _cells), with no foreign call.

        It returns None once applied, False when it applied nothing (a value it does not
        take: a non-number, a negative increment, NaN observed; the call path then gives
        the error, or applies what it alone takes), and True once applied when the
        library removed some series meanwhile (see :meth:`_after_removals`). Every value
        is checked first (``fsum`` converts each as a cell store does), so a bad one
        applies none, as with the call."""
        views: list[memoryview] = []
        names: dict[str, Any] = {"fsum": fsum, "inf": float("inf"), "bisect": _cells.bisect_left,
                                 "LOCK": _cells.LOCK, "removals": _cells.removals(), "seen": self._seen}
        # Read before mapping: a removal from here on changes the count the apply checks.
        self._seen[0] = names["removals"][0]
        checks: list[str] = []
        shards: list[str] = []
        stores: list[str] = []
        for i, (verb, child) in enumerate(zip(self._verbs, self._targets)):
            kind = child._metric._type_code
            if verb == "set" and kind == MetricType.GAUGE:
                if child._cell is None:
                    child._map_cell()
                view = child._cell
                stores.append(f"    S{i}[0] = v{i}")
            elif (verb, kind) in (("inc", MetricType.COUNTER), ("observe", MetricType.HISTOGRAM)):
                if child._shard is None:
                    child._map_cell()
                view = child._shard
                if verb == "inc":
                    checks.append(f"    if not 0 <= v{i} < inf: return False")
                    shards.append(f"        S{i}[2] += v{i}")
                else:
                    names[f"B{i}"] = child._bounds
                    checks.append(f"    if v{i} != v{i}: return False")
                    checks.append(f"    b{i} = 3 + bisect(B{i}, v{i})")
                    shards.append(f"        S{i}[2] += v{i}\n        S{i}[b{i}] += 1.0")
            else:
                return None
            if view is None:
                return None
            names[f"S{i}"] = view
            views.append(view)
        if not views or any(view[1] for view in views):  # one of them removed already: calls
            return None
        unpack = "".join(f"v{i}, " for i in range(len(views)))
        source = "\n".join(
            ["def fast(values):", "    try:", "        fsum(values)", f"        {unpack}= values",
             "    except Exception:", "        return False", *checks]
            + (["    with LOCK:", *shards] if shards else []) + stores
            + ["    if removals[0] != seen[0]:", "        return True", "    return None"])
        exec(compile(source, "<finmon prepared batch>", "exec"), names)  # noqa: S102  # our own text, as namedtuple does
        self._views = views
        return names["fast"]  # type: ignore[no-any-return]

    def _after_removals(self, values: list[float] | tuple[float, ...]) -> None:
        """The library removed series since the last apply: an entry that reached a removed
        one is made again by its child's call (which re-creates the series), and the batch
        makes calls from then on (its child's cell belongs to the removed series)."""
        seen = _cells.removals()[0]  # first: a removal after this is seen next time
        removed = False
        for i, view in enumerate(self._views):
            if view[1]:
                removed = True
                child = self._targets[i]
                child._cell = child._shard = None
                getattr(child, self._verbs[i])(values[i])
        if removed:
            self._fast = None
        else:
            self._seen[0] = seen
