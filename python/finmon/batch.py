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
from typing import Any, Callable

from . import _cells, _native
from ._bindings import BatchOp, MetricType, Status
from .errors import InvalidArgumentError, MetricTypeError
from ._child import _REVIVALS
from .metrics import Child, Metric

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


def _bucket_search(value: str, bounds: list[float], low: int, high: int, offset: int = 0) -> str:
    """An expression for offset + 3 + the first i in [low, high] with value <= bounds[i]
    (bounds[high] is +Inf or the answer lies in range): nested conditionals, log2(n)
    comparisons."""
    if low == high:
        return str(offset + 3 + low)
    middle = (low + high) // 2
    return (f"({_bucket_search(value, bounds, low, middle, offset)} if {value} <= {bounds[middle]!r} "
            f"else {_bucket_search(value, bounds, middle + 1, high, offset)})")


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

    __slots__ = ("_count", "_handles", "_ops", "_values", "_args", "_pack", "_targets", "_failed", "_verbs", "_views",
                 "_mark", "_is_dead", "apply")

    #: ``apply(values)``: apply one value per prepared update, in order. All are checked
    #: before any is applied; a bad one (a non-number, a negative increment, NaN observed)
    #: applies none. A removed child is re-created first. (An attribute, not a method: when
    #: every entry is a mapped cell it is a function made for this batch that stores the
    #: values, with no foreign call and no method call in between; otherwise the call.)
    apply: Callable[[list[float] | tuple[float, ...]], None]

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
        self._views: list[memoryview] = []
        #: ``mark(dead, seen)`` sets the made function's state: whether a removal sent the
        #: batch back to the call for good, and the removals count when its cells were last
        #: known live (see _cells.removals). ``is_dead()`` reads the first.
        self._mark: Callable[[bool, int], None] = lambda dead, seen: None
        self._is_dead: Callable[[], bool] = lambda: False
        self.apply = self._compile() or self._apply_by_call

    def __len__(self) -> int:
        return self._count

    @property
    def _stores(self) -> bool:
        """Whether apply stores into cells (no foreign call)."""
        return self.apply != self._apply_by_call and not self._is_dead()

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



    def _compile(self) -> Callable[[list[float] | tuple[float, ...]], None] | None:
        """When every entry can be mapped (gauge sets, counter increments, histogram
        observations of series that are not multiprocess, dropped or removed), a function
        made for this batch that applies the values as stores into the cells (see _cells),
        with no foreign call; None otherwise.

        Every value is checked first, so a bad one applies none: ``sum(values)`` must be a
        float (a str, a complex, ``10**400`` next to a float, a list of ints only go to the
        call path, which gives the error or applies what it alone takes), and the
        increments and observations are compared. (``sum`` runs in the interpreter's own
        code, warm in a real loop, where ``math.fsum`` cost ~6 us in a cold cache; what
        ``sum`` takes and a store does not is only an object that adds to a float without
        converting to one, or big ints that cancel: a store then raises mid-way.) After its stores the function reads the library's count of
        removals; changed, :meth:`_after_removals` makes again what reached a removed series."""
        names: dict[str, Any] = {"inf": float("inf"), "slow": self._apply_by_call, "after": self._after_removals}
        removals_at = _cells.removals_address()
        removals = _cells.removals()
        # Read before mapping: a removal from here on changes the count the apply checks.
        names["seen0"] = float(removals[0])
        views: list[memoryview] = []
        for verb, child in zip(self._verbs, self._targets):
            kind = child._metric._type_code
            if verb == "set" and kind == MetricType.GAUGE:
                if child._cell is None:
                    child._map_cell()
                view = child._cell
            elif (verb, kind) == ("inc", MetricType.COUNTER):
                if child._shard is None:
                    child._map_cell()
                view = child._shard
            elif (verb, kind) == ("observe", MetricType.HISTOGRAM):
                if child._histogram is None:
                    child._map_cell()
                view = child._histogram
            else:
                return None
            if view is None:
                return None
            views.append(view)
        if not views or any(view[1] for view in views):  # one of them removed already: calls
            return None
        # All the cells through one view of the memory they lie in (word i of an entry's
        # cell is H[offset + i]), when it spans at most 1 GiB: one object for the whole apply
        # to touch instead of one per entry, which is what an apply costs in a cold cache.
        # The library makes cells next to each other (CellSlab.swift), so the span is
        # usually a page or two and the offsets small ints (objects the interpreter keeps).
        # Only the cells' own words are ever read or written through it.
        # The removals count's double (the word after it, see _cells.removals_address) is
        # read through the same view when it lies in reach (the library keeps it in the page
        # of the first cells it makes): no other object, and the same code as the stores.
        addresses = [child._cell_address for child in self._targets]
        base = min(addresses)
        end = max(address + view.nbytes for address, view in zip(addresses, views))
        if max(end, removals_at + 16) - min(base, removals_at) <= 1 << 30:
            base, end = min(base, removals_at), max(end, removals_at + 16)
            removed = f"H[{(removals_at + 8 - base) // 8}]"
        else:
            names["removals"] = removals
            removed = "float(removals[0])"
        if end - base <= 1 << 30:
            names["H"] = memoryview((ctypes.c_double * ((end - base) // 8)).from_address(base)).cast("B").cast("d")
            offsets = [(address - base) // 8 for address in addresses]
            cells = ["H"] * len(views)
        else:  # the removals count is outside too: read through its own view (set above)
            names.update((f"S{i}", view) for i, view in enumerate(views))
            offsets = [0] * len(views)
            cells = [f"S{i}" for i in range(len(views))]
        checks: list[str] = []
        shards: list[tuple[int, str]] = []
        stores: list[tuple[int, str]] = []
        for i, (verb, cell, offset) in enumerate(zip(self._verbs, cells, offsets)):
            # Offsets folded into the constants; stores in address order (one pass over the lines).
            if verb == "set":
                stores.append((offset, f"        {cell}[{offset}] = v{i}"))
            elif verb == "inc":
                checks.append(f"        if (type(v{i}) is not float and type(v{i}) is not int) or not 0 <= v{i} < inf:")
                checks.append("            return slow(values)")
                shards.append((offset, f"        {cell}[{offset + 2}] += v{i}"))
            else:
                # The bucket by comparisons in the function itself, a binary search over the
                # bounds written out (bisect's module is one more piece of code to fetch in a
                # cold cache): the shard word of the first bound >= the value.
                bounds = self._targets[i]._bounds
                checks.append(f"        if (type(v{i}) is not float and type(v{i}) is not int) or v{i} != v{i}:")
                checks.append("            return slow(values)")
                checks.append(f"        b{i} = {_bucket_search(f'v{i}', bounds, 0, len(bounds) - 1, offset)}")
                shards.append((offset, f"        {cell}[{offset + 2}] += v{i}\n        {cell}[b{i}] += 1.0"))
        unpack = "".join(f"v{i}, " for i in range(len(views)))
        # The cells and helpers are the closure's (LOAD_DEREF), not globals (a dict lookup each);
        # so are the batch's state, `dead` and `seen` (no list to index), set through `mark`.
        source = "\n".join(
            [f"def make({', '.join(names)}):", "    dead = False", "    seen = seen0",
             "    def apply(values):",
             "        if dead:", "            return slow(values)",
             "        try:", f"            {unpack}= values", "            if type(sum(values)) is not float:",
             "                return slow(values)",
             "        except Exception:", "            return slow(values)", *checks]
            + [line for _, line in sorted(shards)]
            + [line for _, line in sorted(stores)]
            + [f"        if {removed} != seen:", "            after(values)",
               "    def mark(now_dead, now_seen):", "        nonlocal dead, seen",
               "        dead = now_dead", "        seen = now_seen",
               "    return apply, mark, lambda: dead"])
        namespace: dict[str, Any] = {}
        exec(compile(source, "<finmon prepared batch>", "exec"), namespace)  # noqa: S102  # our own text, as namedtuple does
        self._views = views
        apply, self._mark, self._is_dead = namespace["make"](*names.values())
        apply.__doc__ = "Apply one value per prepared update, in order (stores into the mapped cells)."
        return apply  # type: ignore[no-any-return]

    def _after_removals(self, values: list[float] | tuple[float, ...]) -> None:
        """The library removed series since the last apply: an entry that reached a removed
        one is made again by its child's call (which re-creates the series), and the batch
        makes calls from then on (its child's cell belongs to the removed series)."""
        seen = float(_cells.removals()[0])  # first: a removal after this is seen next time
        removed = False
        for i, view in enumerate(self._views):
            if view[1]:
                removed = True
                child = self._targets[i]
                child._cell = child._shard = child._histogram = None
                getattr(child, self._verbs[i])(values[i])
        self._mark(removed, seen)
