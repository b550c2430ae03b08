"""bench_spine (a): the cost of one loop iteration's metric updates from Python,
prometheus_client two ways against finmon six, and where finmon's time goes."""

from __future__ import annotations

import ctypes
import struct
from array import array
from ctypes import c_double, c_size_t, c_uint8, c_uint64
from dataclasses import dataclass, field
from typing import Any, Callable

from spine_common import CONTAINERS, EXECUTION_BUCKETS, GAUGES, Stat, container_id, interleaved, timed_loop


# ---- (a) one loop iteration ----------------------------------------------------------------


@dataclass
class Catalog:
    """The metric objects one iteration touches, from either library."""

    # Either library's objects: the two share the verbs, not a type.
    histogram: Any
    counter: Any
    gauges: list[Any]
    labeled: Any
    ids: list[str] = field(default_factory=lambda: [container_id(i) for i in range(CONTAINERS)])


def prometheus_catalog():
    import prometheus_client as p

    registry = p.CollectorRegistry()
    return registry, Catalog(
        histogram=p.Histogram("execution_time_seconds", "Loop iteration time.", buckets=EXECUTION_BUCKETS,
                              registry=registry),
        counter=p.Counter("strategy_success_total", "Successes.", registry=registry),
        gauges=[p.Gauge(name, name, registry=registry) for name in GAUGES],
        labeled=p.Gauge("container_memory_usage_bytes", "Container memory.", ["container_id"], registry=registry),
    )


def finmon_catalog():
    import finmon

    collector = finmon.MetricsCollector()
    return collector, Catalog(
        histogram=collector.execution_time,
        counter=collector.strategy_success,
        gauges=[getattr(collector, name) for name in GAUGES],
        labeled=collector.container_memory_usage,
    )


def idiomatic(cat: Catalog) -> Callable[[int], None]:
    """prometheus_client's documented shape: ``labels(...)`` at every update."""
    h, c, labeled, ids = cat.histogram, cat.counter, cat.labeled, cat.ids
    g0, g1, g2, g3, g4 = cat.gauges

    def run(n: int) -> None:
        for i in range(n):
            v = (i & 63) * 0.25
            h.observe(v)
            c.inc()
            g0.set(v)
            g1.set(v)
            g2.set(v)
            g3.set(v)
            g4.set(v)
            for cid in ids:
                labeled.labels(container_id=cid).set(v)

    return run


def prebound(cat: Catalog) -> Callable[[int], None]:
    """Children bound once, outside the loop."""
    h, c = cat.histogram, cat.counter
    g0, g1, g2, g3, g4 = cat.gauges
    children = [cat.labeled.labels(container_id=cid) for cid in cat.ids]

    def run(n: int) -> None:
        for i in range(n):
            v = (i & 63) * 0.25
            h.observe(v)
            c.inc()
            g0.set(v)
            g1.set(v)
            g2.set(v)
            g3.set(v)
            g4.set(v)
            for child in children:
                child.set(v)

    return run


def finmon_batched(collector, cat: Catalog) -> Callable[[int], None]:
    """finmon's documented cheapest form: ``with collector.batch()`` over bound children."""
    h, c = cat.histogram, cat.counter
    g0, g1, g2, g3, g4 = cat.gauges
    children = [cat.labeled.labels(container_id=cid) for cid in cat.ids]
    batch = collector.batch

    def run(n: int) -> None:
        for i in range(n):
            v = (i & 63) * 0.25
            with batch() as b:
                b.observe(h, v)
                b.inc(c)
                b.set(g0, v)
                b.set(g1, v)
                b.set(g2, v)
                b.set(g3, v)
                b.set(g4, v)
                for child in children:
                    b.set(child, v)

    return run


def finmon_batched_reused(cat: Catalog) -> Callable[[int], None]:
    """One Batch kept across iterations, every target a bound child (no ``_only()`` lookups)."""
    import finmon

    h, c = cat.histogram.labels(), cat.counter.labels()
    g0, g1, g2, g3, g4 = (g.labels() for g in cat.gauges)
    children = [cat.labeled.labels(container_id=cid) for cid in cat.ids]
    b = finmon.Batch()

    def run(n: int) -> None:
        for i in range(n):
            v = (i & 63) * 0.25
            b.observe(h, v)
            b.inc(c)
            b.set(g0, v)
            b.set(g1, v)
            b.set(g2, v)
            b.set(g3, v)
            b.set(g4, v)
            for child in children:
                b.set(child, v)
            b.apply()

    return run


def finmon_record_iteration(collector, cat: Catalog) -> Callable[[int], None]:
    """``record_iteration`` for observe + inc (it also sets the success rate, the iteration
    number and the champion staleness), the 25 sets in one batch."""
    g0, g1, g2, g3, g4 = (g.labels() for g in cat.gauges)
    children = [cat.labeled.labels(container_id=cid) for cid in cat.ids]
    record = collector.record_iteration
    batch = collector.batch
    next_iteration = 0

    def run(n: int) -> None:
        # Iteration numbers must not go back: continue after the previous call's.
        nonlocal next_iteration
        start = next_iteration
        for i in range(start, start + n):
            v = (i & 63) * 0.25
            record(i, True, v)
            with batch() as b:
                b.set(g0, v)
                b.set(g1, v)
                b.set(g2, v)
                b.set(g3, v)
                b.set(g4, v)
                for child in children:
                    b.set(child, v)
        next_iteration = start + n

    return run


def finmon_prepared(collector, cat: Catalog) -> Callable[[int], None]:
    """``collector.prepare_batch``: targets and verbs bound once, then one ``apply(values)``
    per iteration (finmon packs the list and makes one native call)."""
    children = [cat.labeled.labels(container_id=cid) for cid in cat.ids]
    updates = ([("observe", cat.histogram), ("inc", cat.counter)]
               + [("set", g) for g in cat.gauges] + [("set", child) for child in children])
    apply = collector.prepare_batch(updates).apply
    containers = len(children)

    def run(n: int) -> None:
        for i in range(n):
            v = (i & 63) * 0.25
            memory = [v] * containers
            apply([v, 1.0, v, v, v, v, v, *memory])

    return run


def empty_loop(n: int) -> None:
    for i in range(n):
        v = (i & 63) * 0.25  # noqa: F841  (the same per-iteration work every variant does)


def bench_iteration(iterations: int, repeats: int) -> dict:
    prom_registry, prom = prometheus_catalog()
    collector, fin = finmon_catalog()
    variants = {
        "empty loop (harness)": timed_loop(empty_loop, iterations),
        "prometheus_client idiomatic": timed_loop(idiomatic(prom), iterations),
        "prometheus_client pre-bound": timed_loop(prebound(prom), iterations),
        "finmon idiomatic": timed_loop(idiomatic(fin), iterations),
        "finmon pre-bound": timed_loop(prebound(fin), iterations),
        "finmon batch (with collector.batch())": timed_loop(finmon_batched(collector, fin), iterations),
        "finmon batch (one Batch reused, all children bound)": timed_loop(finmon_batched_reused(fin), iterations),
        "finmon record_iteration + batch": timed_loop(finmon_record_iteration(collector, fin), iterations),
        "finmon PreparedBatch (collector.prepare_batch)": timed_loop(finmon_prepared(collector, fin), iterations),
    }
    stats = interleaved(variants, repeats)
    # The updates really happened, in both libraries.
    last = ((iterations - 1) & 63) * 0.25
    cid = prom.ids[-1]
    assert prom_registry.get_sample_value("container_memory_usage_bytes", {"container_id": cid}) == last
    # The last finmon variant wrote last; record_iteration's numbers its iterations on across rounds.
    last_recorded = ((iterations * repeats - 1) & 63) * 0.25
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": cid}) in (last, last_recorded)
    breakdown = iteration_breakdown(collector, fin, prom, iterations * 4, repeats)
    collector.close()
    return {"iterations": iterations, "repeats": repeats, "stats": stats, "breakdown": breakdown}


def iteration_breakdown(collector, fin: Catalog, prom: Catalog, iterations: int, repeats: int) -> dict[str, Stat]:
    """Where finmon's per-iteration time goes: single calls, a Batch's queueing and array
    building, the native batch call, and the pieces of a PreparedBatch's apply."""
    import finmon
    from finmon import _native

    apply_native = _native.hot.finmon_batch_apply
    set_native = _native.hot.finmon_series_set
    fin_child = fin.labeled.labels(container_id=fin.ids[0])
    prom_child = prom.labeled.labels(container_id=prom.ids[0])
    fin_labeled, prom_labeled, cid = fin.labeled, prom.labeled, fin.ids[0]
    targets = ([fin.histogram.labels(), fin.counter.labels()] + [g.labels() for g in fin.gauges]
               + [fin.labeled.labels(container_id=c) for c in fin.ids])
    count = len(targets)
    handles_list = [t._handle for t in targets]
    ops_list = [3, 1] + [0] * (count - 2)
    handle = fin_child._handle

    def per_call(body: Callable[[int], None]) -> Callable[[], float]:
        return timed_loop(body, iterations)

    def prom_set(n: int) -> None:
        for i in range(n):
            prom_child.set(i * 0.5)

    def fin_set(n: int) -> None:
        for i in range(n):
            fin_child.set(i * 0.5)

    def raw_set(n: int) -> None:
        for i in range(n):
            set_native(handle, i * 0.5)

    def prom_labels(n: int) -> None:
        for _ in range(n):
            prom_labeled.labels(container_id=cid)

    def fin_labels(n: int) -> None:
        for _ in range(n):
            fin_labeled.labels(container_id=cid)

    queued = finmon.Batch()

    def queue_only(n: int) -> None:
        b = queued
        h, c, rest = targets[0], targets[1], targets[2:]
        for i in range(n):
            v = (i & 63) * 0.25
            b.observe(h, v)
            b.inc(c)
            for t in rest:
                b.set(t, v)
            b.clear()

    def arrays_only(n: int) -> None:
        values = [0.5] * count
        for _ in range(n):
            array("d", values)
            array("Q", handles_list)
            array("B", ops_list)

    # The native call as finmon makes it (pointers declared c_void_p, passed as addresses),
    # over arrays built once: what a PreparedBatch's apply sends.
    handles_c = (c_uint64 * count)(*handles_list)
    ops_c = (c_uint8 * count)(*ops_list)
    values_c = (c_double * count)(*([0.5] * count))
    addresses = (ctypes.addressof(handles_c), ctypes.addressof(ops_c), ctypes.addressof(values_c))
    one_h, one_o, one_v = (c_uint64 * 1)(handle), (c_uint8 * 1)(0), (c_double * 1)(1.0)
    one = (ctypes.addressof(one_h), ctypes.addressof(one_o), ctypes.addressof(one_v))

    def apply_one(n: int) -> None:
        h, o, v = one
        for _ in range(n):
            apply_native(h, o, v, 1, None)

    def apply_all(n: int) -> None:
        h, o, v = addresses
        for _ in range(n):
            apply_native(h, o, v, count, None)

    # The same function with no argtypes at all: the floor of ctypes' argument handling.
    undeclared = ctypes.PyDLL(str(_native.library_path())).finmon_batch_apply
    undeclared.restype = ctypes.c_int
    count_c = c_size_t(count)

    def apply_undeclared(n: int) -> None:
        for _ in range(n):
            undeclared(handles_c, ops_c, values_c, count_c, None)

    pack = struct.Struct(f"={count}d").pack_into

    def pack_only(n: int) -> None:
        values = [0.5] * count
        for _ in range(n):
            pack(values_c, 0, *values)

    prepared = collector.prepare_batch([("observe", targets[0]), ("inc", targets[1])]
                                       + [("set", t) for t in targets[2:]])

    def prepared_apply(n: int) -> None:
        apply = prepared.apply
        values = [0.5] * count
        for _ in range(n):
            apply(values)

    containers = len(fin.ids)

    def values_list(n: int) -> None:
        for i in range(n):
            v = (i & 63) * 0.25
            memory = [v] * containers
            [v, 1.0, v, v, v, v, v, *memory]  # noqa: B018  (the list the (a) row builds per iteration)

    variants = {
        "prometheus_client child.set(v)": per_call(prom_set),
        "finmon Child.set(v)": per_call(fin_set),
        "finmon raw ctypes finmon_series_set(h, v)": per_call(raw_set),
        "prometheus_client labels(container_id=x) lookup": per_call(prom_labels),
        "finmon labels(container_id=x) lookup": per_call(fin_labels),
        f"finmon Batch: queue {count} entries, no apply": per_call(queue_only),
        f"building the 3 arrays of {count} entries (Batch.apply does this)": per_call(arrays_only),
        "finmon_batch_apply, 1 entry, addresses prebuilt": per_call(apply_one),
        f"finmon_batch_apply, {count} entries, addresses prebuilt (PreparedBatch's call)": per_call(apply_all),
        f"finmon_batch_apply, {count} entries, no argtypes declared": per_call(apply_undeclared),
        f"struct.pack_into {count} values (PreparedBatch.apply does this)": per_call(pack_only),
        f"PreparedBatch.apply(list of {count}), list prebuilt": per_call(prepared_apply),
        f"building the {count}-value list (the (a) row does this per iteration)": per_call(values_list),
    }
    return interleaved(variants, repeats)
