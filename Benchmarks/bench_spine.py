"""The spine's benchmarks (issue #2 item 9): finmon against prometheus_client, in one run.

    swift build -c release
    swift build -c release --package-path Benchmarks/swift --product RegistryBench   # for (d)
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_spine.py

(a) cost of one loop iteration's metric updates from Python (1 observe, 1 inc, 5 gauge sets,
    20 labeled gauge sets): prometheus_client two ways, finmon six (per call, Batch,
    record_iteration, PreparedBatch), plus a breakdown of where finmon's time goes;
(b) /metrics latency and server CPU per scrape at 100 / 1,000 / 10,000 series, each server
    in its own subprocess (CPU from psutil.Process(pid).cpu_times());
(c) RSS added by import + exporter + 10,000 labeled series, fresh subprocesses;
(d) creating and removing 10,000 labeled series: finmon and prometheus_client from Python,
    and FinMonCore's registry against swift-prometheus 2.4.1 in Swift (Benchmarks/swift).

The machine is shared (2 cores, other jobs running), so every figure is repeated and the
variants are interleaved round by round; the report gives medians with their interquartile
range, and minimums where a best case is the fairer reading. Results go to
Benchmarks/RESULTS-spine.md (see --output). ``--quick`` runs tiny counts to check the script.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import http.client
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import time
from array import array
from ctypes import c_double, c_size_t, c_uint8, c_uint64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SWIFT_PACKAGE = HERE / "swift"
SWIFT_BINARY = SWIFT_PACKAGE / ".build" / "release" / "RegistryBench"

# The loop's catalog update: which gauges, how many containers.
GAUGES = ["system_memory_usage", "system_cpu_usage", "population_diversity", "population_size",
          "champion_sharpe_ratio"]
CONTAINERS = 20
EXECUTION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]


def container_id(index: int) -> str:
    """A 12-hex-digit id like Docker's short ids, the same in every benchmark and process."""
    return f"{(index * 2654435761) & 0xFFFFFFFFFFFF:012x}"


# ---- statistics ----------------------------------------------------------------------------


@dataclass
class Stat:
    """Median, quartiles and minimum of repeated measurements."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def minimum(self) -> float:
        return min(self.values)

    @property
    def q1(self) -> float:
        return _quantile(self.values, 0.25)

    @property
    def q3(self) -> float:
        return _quantile(self.values, 0.75)

    def iqr_text(self, scale: float = 1.0, digits: int = 1) -> str:
        return f"{self.q1 * scale:.{digits}f}-{self.q3 * scale:.{digits}f}"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def interleaved(variants: dict[str, Callable[[], float]], repeats: int) -> dict[str, Stat]:
    """Run every variant once per round, ``repeats`` rounds; each call returns one measurement."""
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            results[name].append(run())
    return {name: Stat(values) for name, values in results.items()}


def timed_loop(run: Callable[[int], None], iterations: int) -> Callable[[], float]:
    """One measurement: ns per iteration of ``run(iterations)``, with the GC off as timeit does."""

    def measure() -> float:
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter_ns()
            run(iterations)
            return (time.perf_counter_ns() - start) / iterations
        finally:
            gc.enable()

    return measure


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


# ---- (b) /metrics latency and server CPU -----------------------------------------------------


def serve(kind: str, series: int) -> None:
    """Child process: an exporter with ``series`` labeled series; prints its port, waits for EOF."""
    gauge: Any
    if kind == "finmon":
        import finmon

        collector = finmon.MetricsCollector()
        port = collector.start_http_server(port=0)
        gauge = collector.gauge("bench_series_bytes", "Benchmark series.", ["container_id"])
    else:
        import prometheus_client as p

        server, _thread = p.start_http_server(0, addr="127.0.0.1")
        port = server.server_port
        gauge = p.Gauge("bench_series_bytes", "Benchmark series.", ["container_id"])
    for i in range(series):
        gauge.labels(container_id=container_id(i)).set(i)
    print(json.dumps({"port": port, "pid": os.getpid()}), flush=True)
    sys.stdin.read()


class Server:
    """A ``serve`` child and a keep-alive client for it."""

    def __init__(self, kind: str, series: int) -> None:
        import psutil

        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", kind, "--series", str(series)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {kind} server did not start")
        info = json.loads(line)
        self.port = int(info["port"])
        self.ps = psutil.Process(self.process.pid)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def scrape(self, gzip: bool) -> tuple[float, bytes]:
        headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
        start = time.perf_counter()
        self.connection.request("GET", "/metrics", headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"{self.kind} answered {response.status}")
        if response.will_close:
            # prometheus_client's WSGI server closes after each response; reconnect next time.
            self.connection.close()
        return elapsed, body

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def close(self) -> None:
        self.connection.close()
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bench_scrapes(sizes: list[int], budget: float, rounds: int) -> list[dict]:
    """Per size and encoding, ``rounds`` rounds; in each, every server is scraped back to back
    for ``budget`` seconds of wall time. psutil's CPU times tick at 1/CLK_TCK s (10 ms here),
    so a round is long enough to hold many ticks even where a scrape takes far less."""
    import gzip as gz

    results = []
    for series in sizes:
        servers = {kind: Server(kind, series) for kind in ("finmon", "prometheus_client")}
        try:
            for server in servers.values():
                for compressed in (False, True):
                    _, body = server.scrape(compressed)
                    text = gz.decompress(body) if compressed else body
                    found = text.count(b"\nbench_series_bytes{")
                    assert found == series, f"{server.kind} served {found} series, expected {series}"
            for compressed in (False, True):
                latency: dict[str, list[float]] = {kind: [] for kind in servers}
                cpu: dict[str, list[float]] = {kind: [] for kind in servers}
                totals = {kind: [0.0, 0] for kind in servers}
                size: dict[str, int] = {}
                for _ in range(rounds):
                    for kind, server in servers.items():
                        count = 0
                        before = server.cpu_seconds()
                        deadline = time.perf_counter() + budget
                        while count < 3 or time.perf_counter() < deadline:
                            elapsed, body = server.scrape(compressed)
                            latency[kind].append(elapsed)
                            count += 1
                        spent = server.cpu_seconds() - before
                        cpu[kind].append(spent / count)
                        totals[kind][0] += spent
                        totals[kind][1] += count
                        size[kind] = len(body)
                results.append({
                    "series": series, "gzip": compressed,
                    "scrapes": {k: int(v[1]) for k, v in totals.items()},
                    "latency": {k: Stat(v) for k, v in latency.items()},
                    "cpu": {k: Stat(v) for k, v in cpu.items()},
                    "cpu_overall": {k: v[0] / v[1] for k, v in totals.items()},
                    "bytes": size,
                })
        finally:
            for server in servers.values():
                server.close()
    return results


# ---- (c) RSS --------------------------------------------------------------------------------

_HOLD = {
    "baseline": "import sys\nprint('ready', flush=True)\nsys.stdin.readline()\n",
    "finmon": (
        "import sys, finmon\n"
        "collector = finmon.MetricsCollector()\n"
        "port = collector.start_http_server(port=0)\n"
        "gauge = collector.gauge('bench_series_bytes', 'Benchmark series.', ['container_id'])\n"
        "for i in range({series}):\n"
        "    gauge.labels(container_id=f'{{(i * 2654435761) & 0xFFFFFFFFFFFF:012x}}').set(i)\n"
        "print(port, flush=True)\n"
        "sys.stdin.readline()\n"
    ),
    "prometheus_client": (
        "import sys, prometheus_client as p\n"
        "server, _ = p.start_http_server(0, addr='127.0.0.1')\n"
        "gauge = p.Gauge('bench_series_bytes', 'Benchmark series.', ['container_id'])\n"
        "for i in range({series}):\n"
        "    gauge.labels(container_id=f'{{(i * 2654435761) & 0xFFFFFFFFFFFF:012x}}').set(i)\n"
        "print(server.server_port, flush=True)\n"
        "sys.stdin.readline()\n"
    ),
}


def anonymous_bytes(pid: int) -> int:
    """The anonymous (heap, stacks, relocated data) part of a process's RSS; the rest is
    file-backed: code and read-only data of the interpreter and the libraries, clean
    page-cache pages shared with any other process mapping the same files."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) * 1024
    return 0


def hold_rss(kind: str, series: int) -> tuple[int, int, int | None]:
    """RSS and its anonymous part of a fresh interpreter once set up, and the RSS again
    after one /metrics scrape."""
    import psutil

    code = _HOLD[kind].format(series=series)
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdin is not None
        line = process.stdout.readline().strip()
        ps = psutil.Process(process.pid)
        ready = ps.memory_info().rss
        anonymous = anonymous_bytes(process.pid)
        after_scrape = None
        if kind != "baseline":
            connection = http.client.HTTPConnection("127.0.0.1", int(line), timeout=30)
            connection.request("GET", "/metrics")
            connection.getresponse().read()
            connection.close()
            after_scrape = ps.memory_info().rss
        process.stdin.write("\n")
        process.stdin.flush()
        process.wait(timeout=20)
        return ready, anonymous, after_scrape
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


_STAGES = {
    "finmon": (
        "import sys, os, json, ctypes\n"
        "def rss():\n"
        "    fields = {{}}\n"
        "    with open('/proc/self/smaps_rollup') as f:\n"
        "        for line in f:\n"
        "            key, _, value = line.partition(':')\n"
        "            fields[key] = value\n"
        "    return [int(fields[k].split()[0]) * 1024 for k in ('Rss', 'Anonymous')]\n"
        "out = [['python3 -c (+ sys, os, json, ctypes)', rss()]]\n"
        "ctypes.PyDLL(os.environ['FINMON_LIB']); out.append(['dlopen libfinmon.so', rss()])\n"
        "import finmon; out.append(['import finmon', rss()])\n"
        "collector = finmon.MetricsCollector(); out.append(['MetricsCollector()', rss()])\n"
        "collector.start_http_server(port=0); out.append(['start_http_server', rss()])\n"
        "gauge = collector.gauge('bench_series_bytes', 'Benchmark series.', ['container_id'])\n"
        "for i in range({series}):\n"
        "    gauge.labels(container_id=f'{{(i * 2654435761) & 0xFFFFFFFFFFFF:012x}}').set(i)\n"
        "out.append(['{series:,} series', rss()])\n"
        "import gc; gauge._children.clear(); gc.collect(); out.append(['Python Child cache dropped', rss()])\n"
        "print(json.dumps(out))\n"
    ),
    "prometheus_client": (
        "import sys, os, json, ctypes\n"
        "def rss():\n"
        "    fields = {{}}\n"
        "    with open('/proc/self/smaps_rollup') as f:\n"
        "        for line in f:\n"
        "            key, _, value = line.partition(':')\n"
        "            fields[key] = value\n"
        "    return [int(fields[k].split()[0]) * 1024 for k in ('Rss', 'Anonymous')]\n"
        "out = [['python3 -c (+ sys, os, json, ctypes)', rss()]]\n"
        "import prometheus_client as p; out.append(['import prometheus_client', rss()])\n"
        "server, _ = p.start_http_server(0, addr='127.0.0.1'); out.append(['start_http_server', rss()])\n"
        "gauge = p.Gauge('bench_series_bytes', 'Benchmark series.', ['container_id'])\n"
        "for i in range({series}):\n"
        "    gauge.labels(container_id=f'{{(i * 2654435761) & 0xFFFFFFFFFFFF:012x}}').set(i)\n"
        "out.append(['{series:,} series', rss()])\n"
        "print(json.dumps(out))\n"
    ),
}


def rss_stages(series: int, repeats: int) -> dict[str, list[tuple[str, Stat, Stat]]]:
    """RSS after each set-up step, in fresh interpreters (read in-process from smaps_rollup)."""
    from finmon import _native

    env = dict(os.environ, FINMON_LIB=str(_native.library_path()))
    stages: dict[str, list[tuple[str, Stat, Stat]]] = {}
    for kind, code in _STAGES.items():
        runs = [json.loads(subprocess.run([sys.executable, "-c", code.format(series=series)], env=env,
                                          capture_output=True, text=True, check=True, timeout=120).stdout)
                for _ in range(repeats)]
        names = [name for name, _ in runs[0]]
        stages[kind] = [(name, Stat([float(run[i][1][0]) for run in runs]), Stat([float(run[i][1][1]) for run in runs]))
                        for i, name in enumerate(names)]
    return stages


def bench_rss(series: int, repeats: int) -> dict:
    kinds = ["baseline", "finmon", "prometheus_client"]
    ready: dict[str, list[float]] = {k: [] for k in kinds}
    anonymous: dict[str, list[float]] = {k: [] for k in kinds}
    scraped: dict[str, list[float]] = {k: [] for k in kinds[1:]}
    for _ in range(repeats):
        for kind in kinds:
            rss, anon, after = hold_rss(kind, series)
            ready[kind].append(rss)
            anonymous[kind].append(anon)
            if after is not None:
                scraped[kind].append(after)
    return {"series": series, "ready": {k: Stat(v) for k, v in ready.items()},
            "anonymous": {k: Stat(v) for k, v in anonymous.items()},
            "scraped": {k: Stat(v) for k, v in scraped.items()}, "stages": rss_stages(series, min(repeats, 3))}


# ---- (d) creating and removing series -------------------------------------------------------


def bench_churn(series: int, repeats: int) -> dict:
    import finmon
    import prometheus_client as p

    ids = [container_id(i) for i in range(series)]
    collector = finmon.MetricsCollector()

    def finmon_round() -> tuple[float, float]:
        gauge = collector.gauge("bench_churn_bytes", "Churn.", ["container_id"])
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for i, cid in enumerate(ids):
                gauge.labels(container_id=cid).set(i)
            created = time.perf_counter() - start
            assert gauge.series_count() == series
            start = time.perf_counter()
            for cid in ids:
                gauge.remove(cid)
            removed = time.perf_counter() - start
        finally:
            gc.enable()
        assert gauge.series_count() == 0
        return created, removed

    def prometheus_round() -> tuple[float, float]:
        registry = p.CollectorRegistry()
        gauge = p.Gauge("bench_churn_bytes", "Churn.", ["container_id"], registry=registry)
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for i, cid in enumerate(ids):
                gauge.labels(container_id=cid).set(i)
            created = time.perf_counter() - start
            start = time.perf_counter()
            for cid in ids:
                gauge.remove(cid)
            removed = time.perf_counter() - start
        finally:
            gc.enable()
        return created, removed

    breakdown = churn_breakdown(collector, repeats)
    rounds = {"finmon": finmon_round, "prometheus_client": prometheus_round}
    create: dict[str, list[float]] = {k: [] for k in rounds}
    remove: dict[str, list[float]] = {k: [] for k in rounds}
    for _ in range(repeats):
        for name, run in rounds.items():
            c, r = run()
            create[name].append(c)
            remove[name].append(r)
    collector.close()
    result: dict = {"series": series, "python": {
        "create": {k: Stat(v) for k, v in create.items()},
        "remove": {k: Stat(v) for k, v in remove.items()},
    }, "breakdown": breakdown}
    if SWIFT_BINARY.exists():
        output = subprocess.run([str(SWIFT_BINARY), str(series), str(repeats)], capture_output=True, text=True,
                                check=True, timeout=600)
        raw = json.loads(output.stdout)
        result["swift"] = {
            lib: {what: Stat([ms / 1e3 for ms in raw[lib][f"{what}_ms"]]) for what in ("create", "emit", "emit_again", "remove")}
            for lib in ("finmon_core", "swift_prometheus")
        }
        result["swift_bytes"] = {lib: raw[lib]["emitted_bytes"] for lib in ("finmon_core", "swift_prometheus")}
    return result


def churn_breakdown(collector, repeats: int) -> dict[str, Stat]:
    """The pieces of finmon's Python create and remove paths, per call."""
    from finmon import _native
    from finmon.metrics import Child

    gauge = collector.gauge("bench_parts_bytes", "Parts.", ["container_id"])
    existing = gauge.labels(container_id="present")
    values = _native.string_array([b"present"])
    absent = _native.string_array([b"absent"])
    out = ctypes.c_void_p()
    out_ref = ctypes.byref(out)
    removed = ctypes.c_int()
    removed_ref = ctypes.byref(removed)
    labels_native, remove_native = _native.hot.finmon_metric_labels, _native.hot.finmon_metric_remove
    handle = gauge._handle
    encode = _native.encode
    string_array = _native.string_array

    def loop(body: Callable[[], object]) -> Callable[[int], None]:
        def run(n: int) -> None:
            for _ in range(n):
                body()
        return run

    parts = {
        "finmon _native.encode(label value)": loop(lambda: encode("0123456789ab", "a label value")),
        "str.encode('utf-8') alone": loop(lambda: "0123456789ab".encode("utf-8")),
        "_native.string_array([value])": loop(lambda: string_array([b"0123456789ab"])),
        "native finmon_metric_labels (existing series)": loop(lambda: labels_native(handle, None, values, 1, out_ref)),
        "native finmon_metric_remove (absent series)": loop(lambda: remove_native(handle, None, absent, 1, removed_ref)),
        "Child(...) constructor": loop(lambda: Child(1, gauge, ("x",), False)),
        "Gauge.remove(value) of an absent series (whole Python path)": loop(lambda: gauge.remove("absent")),
    }
    del existing
    return interleaved({name: timed_loop(run, 20_000) for name, run in parts.items()}, repeats)


# ---- report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    import finmon
    import prometheus_client
    import psutil

    try:
        from importlib.metadata import version as dist_version
        prom_version = dist_version("prometheus_client")
    except Exception:
        prom_version = getattr(prometheus_client, "__version__", "?")
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": f"{model}, {os.cpu_count()} logical CPUs",
        "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "prometheus_client": prom_version,
        "finmon": finmon.__version__,
    }


def ratio(numerator: float, denominator: float) -> str:
    if denominator <= 0:
        return "-"
    return f"{numerator / denominator:.1f}x"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def render(report: dict) -> str:
    out: list[str] = []
    w = out.append
    info = report["machine"]
    w("# Spine benchmarks: finmon vs prometheus_client (and swift-prometheus)\n")
    w(f"Generated by `Benchmarks/bench_spine.py` on {report['date']} in one run "
      f"({report['seconds']:.0f} s). Library built with `swift build -c release`.\n")
    w("**Machine:** " + "; ".join(f"{k} {v}" for k, v in info.items())
      + f". Load average at start {report['load'][0]}, at end {report['load'][1]}. "
      "The machine is **shared and noisy** (2 cores; other builds and test suites run on it at the "
      "same time), so every measurement is repeated with the variants interleaved round by round; "
      "tables give the **median** with its **interquartile range (IQR)** and the **minimum** "
      "(min-of-N, the least disturbed run). Each section says how its ratios are taken.\n")

    targets: list[str] = []

    if "iteration" in report:
        a = report["iteration"]
        s: dict[str, Stat] = a["stats"]
        base_id = s["prometheus_client idiomatic"]
        base_pb = s["prometheus_client pre-bound"]
        w(f"## (a) One loop iteration's metric updates from Python\n")
        w(f"One iteration = 1 histogram observe + 1 counter inc + 5 gauge sets + 20 labeled gauge sets "
          f"(20 container ids). {a['iterations']:,} iterations per measurement, {a['repeats']} rounds; each round "
          "measures every variant once, one after the other; GC off while timing (as timeit). The empty-loop "
          "row is the harness cost and is included in every other row. Ratios are taken within each round "
          "(variant vs baseline measured seconds apart), then their median: the steadiest figure on a "
          "loaded machine; ratios of the minimums are given as a cross-check.\n")
        def per_round(base: Stat, st: Stat) -> Stat:
            # Round k of every variant ran within the same second or two: the ratio of the
            # two cancels most of whatever load the machine had then.
            return Stat([x / y for x, y in zip(base.values, st.values)])

        w("| variant | median ns/iter | IQR | min | vs prom idiomatic: per-round ratio median (IQR) | "
          "same, from minimums | vs prom pre-bound: per-round ratio median (IQR) | same, from minimums |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, st in s.items():
            ri, rp = per_round(base_id, st), per_round(base_pb, st)
            if name.startswith("empty loop"):
                w(f"| {name} | {st.median:,.0f} | {st.iqr_text(digits=0)} | {st.minimum:,.0f} | - | - | - | - |")
                continue
            w(f"| {name} | {st.median:,.0f} | {st.iqr_text(digits=0)} | {st.minimum:,.0f} | "
              f"{ri.median:.1f}x ({ri.iqr_text()}) | {ratio(base_id.minimum, st.minimum)} | "
              f"{rp.median:.1f}x ({rp.iqr_text()}) | {ratio(base_pb.minimum, st.minimum)} |")
        best_name = min((n for n in s if n.startswith("finmon")), key=lambda n: s[n].median)
        best = s[best_name]
        best_id, best_pb = per_round(base_id, best).median, per_round(base_pb, best).median
        ten_x = best_id >= 10
        ahead = best_pb > 1
        w("")
        w(f"Ratios above 1x mean cheaper than prometheus_client. Best finmon public API: **{best_name}**, "
          f"{best.median:,.0f} ns/iteration (median; min {best.minimum:,.0f}): {best_id:.1f}x cheaper than "
          f"prometheus_client idiomatic (per-round median; {ratio(base_id.minimum, best.minimum)} from minimums; "
          f"target >= 10x: {verdict(ten_x)}), {best_pb:.1f}x vs its pre-bound children "
          f"({ratio(base_pb.minimum, best.minimum)} from minimums; target: ahead: {verdict(ahead)}).\n")
        targets.append(f"(a) finmon best >= 10x cheaper than prometheus_client idiomatic: {verdict(ten_x)} "
                       f"({best_id:.1f}x per-round median, {ratio(base_id.minimum, best.minimum)} from minimums)")
        targets.append(f"(a) finmon best ahead of prometheus_client pre-bound: {verdict(ahead)} "
                       f"({best_pb:.1f}x per-round median, {ratio(base_pb.minimum, best.minimum)} from minimums)")
        w("### Where the time goes (per call / per iteration, ns)\n")
        w("| measurement | median ns | IQR | min |")
        w("|---|---:|---:|---:|")
        for name, st in a["breakdown"].items():
            w(f"| {name} | {st.median:,.0f} | {st.iqr_text(digits=0)} | {st.minimum:,.0f} |")
        w("")

    if "scrapes" in report:
        w("## (b) /metrics latency and server CPU\n")
        w("Each exporter runs in its own subprocess with N labeled series in one gauge family "
          "(plus its default families: finmon's catalog, prometheus_client's process/platform/gc "
          "collectors). The client is this driver (`http.client`, keep-alive; prometheus_client's "
          "WSGI server closes every connection, so its latency includes a new TCP connection). "
          "Server CPU = psutil `cpu_times()` user+system of the server process over one round (the "
          "server scraped back to back for 1 s of wall time; 7 rounds, the two servers alternating), "
          "divided by the round's scrapes: one value per round. psutil's CPU times tick every 10 ms, "
          "hence long rounds and the all-rounds column (total CPU / total scrapes). CPU time is the "
          "steadier figure here: latency also counts the time the server waits for a core on this "
          "loaded machine. Latency = request sent to last byte read, every scrape. Ratios: "
          "prometheus_client / finmon, from medians.\n")
        w("| series | gzip | scrapes finmon / prom | finmon latency median (IQR) ms | prom latency median (IQR) ms | "
          "latency ratio | finmon CPU ms/scrape median (IQR) | prom CPU ms/scrape median (IQR) | CPU ratio | "
          "CPU ms/scrape over all rounds finmon / prom | body bytes finmon / prom |")
        w("|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        target_row = None
        for row in report["scrapes"]:
            lf, lp = row["latency"]["finmon"], row["latency"]["prometheus_client"]
            cf, cp = row["cpu"]["finmon"], row["cpu"]["prometheus_client"]
            of, op = row["cpu_overall"]["finmon"], row["cpu_overall"]["prometheus_client"]
            w(f"| {row['series']:,} | {'yes' if row['gzip'] else 'no'} | "
              f"{row['scrapes']['finmon']:,} / {row['scrapes']['prometheus_client']:,} | "
              f"{lf.median * 1e3:.3f} ({lf.iqr_text(1e3, 3)}) | {lp.median * 1e3:.3f} ({lp.iqr_text(1e3, 3)}) | "
              f"{ratio(lp.median, lf.median)} | {cf.median * 1e3:.3f} ({cf.iqr_text(1e3, 3)}) | "
              f"{cp.median * 1e3:.3f} ({cp.iqr_text(1e3, 3)}) | {ratio(cp.median, cf.median)} | "
              f"{of * 1e3:.3f} / {op * 1e3:.3f} | "
              f"{row['bytes']['finmon']:,} / {row['bytes']['prometheus_client']:,} |")
            if row["series"] == 10_000 and not row["gzip"]:
                target_row = row
        w("")
        if target_row is not None:
            cf = target_row["cpu"]["finmon"].median * 1e3
            of = target_row["cpu_overall"]["finmon"] * 1e3
            lf = target_row["latency"]["finmon"].median * 1e3
            gz_row = next((r for r in report["scrapes"] if r["series"] == 10_000 and r["gzip"]), None)
            ok = max(cf, of) < 5
            w(f"finmon at 10,000 series, plain text: {cf:.2f} ms server CPU per scrape (median of rounds; "
              f"{of:.2f} over all rounds), {lf:.2f} ms latency (target < 5 ms server time: {verdict(ok)}).")
            if gz_row is not None:
                gcf = gz_row["cpu"]["finmon"].median * 1e3
                glf = gz_row["latency"]["finmon"].median * 1e3
                w(f" With gzip, which Prometheus asks for by default: {gcf:.2f} ms CPU, {glf:.2f} ms latency.")
            w("")
            targets.append(f"(b) finmon 10,000 series served in < 5 ms server time: {verdict(ok)} "
                           f"({cf:.2f} ms CPU median, {of:.2f} ms over all rounds, {lf:.2f} ms latency; plain text)")

    if "rss" in report:
        r = report["rss"]
        base = r["ready"]["baseline"].median
        w("## (c) Resident memory added by import + exporter + 10,000 series\n")
        w(f"Fresh `python3 -c` subprocesses, {len(r['ready']['baseline'].values)} of each, interleaved; RSS read "
          "by the driver with psutil once the child is set up (it then waits on stdin), and again after one "
          "/metrics scrape; the anonymous part from /proc/PID/smaps_rollup. Delta = child - median of a "
          "`python3 -c` that imports nothing.\n")
        w("| process | RSS median MiB (IQR) | RSS delta MiB | anonymous part MiB | anonymous delta MiB | "
          "file-backed delta MiB | RSS after one scrape MiB | its delta MiB |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        mib = 2**20
        anon_base = r["anonymous"]["baseline"].median
        for kind, st in r["ready"].items():
            after = r["scraped"].get(kind)
            after_text = f"{after.median / mib:.1f} | {(after.median - base) / mib:.1f}" if after else "- | -"
            an = r["anonymous"][kind].median
            rss_delta, anon_delta = st.median - base, an - anon_base
            w(f"| {kind} | {st.median / mib:.1f} ({st.iqr_text(1 / mib, 1)}) | {rss_delta / mib:.1f} | "
              f"{an / mib:.1f} | {anon_delta / mib:.1f} | {(rss_delta - anon_delta) / mib:.1f} | {after_text} |")
        df = r["ready"]["finmon"].median - base
        dp = r["ready"]["prometheus_client"].median - base
        sf = r["scraped"]["finmon"].median - base
        sp = r["scraped"]["prometheus_client"].median - base
        af = r["anonymous"]["finmon"].median - anon_base
        ap = r["anonymous"]["prometheus_client"].median - anon_base
        ok = df <= dp / 2
        w("")
        w(f"finmon adds {df / mib:.1f} MiB, prometheus_client {dp / mib:.1f} MiB: ratio {df / dp:.2f} "
          f"(after a scrape {sf / mib:.1f} vs {sp / mib:.1f} MiB, {sf / sp:.2f}); "
          f"target at most half: {verdict(ok)}. Counting anonymous memory only (what the process "
          f"allocates, without the clean, shared code pages of the libraries): {af / mib:.1f} vs {ap / mib:.1f} MiB, "
          f"ratio {af / ap:.2f}.\n")
        w("Where it goes (RSS after each step, read in-process from /proc/self/smaps_rollup, median of 3 "
          "fresh interpreters; step = increase over the previous row):\n")
        for kind, rows in r["stages"].items():
            w(f"| {kind} step | RSS MiB | step MiB | of which anonymous | of which file-backed | total over first row MiB |")
            w("|---|---:|---:|---:|---:|---:|")
            first = rows[0][1].median
            previous, previous_anon = first, rows[0][2].median
            for name, st, anon in rows:
                step, anon_step = st.median - previous, anon.median - previous_anon
                w(f"| {name} | {st.median / mib:.1f} | {step / mib:+.1f} | {anon_step / mib:+.1f} | "
                  f"{(step - anon_step) / mib:+.1f} | {(st.median - first) / mib:.1f} |")
                previous, previous_anon = st.median, anon.median
            w("")
        targets.append(f"(c) finmon RSS delta at most half of prometheus_client's: {verdict(ok)} "
                       f"({df / mib:.1f} vs {dp / mib:.1f} MiB, ratio {df / dp:.2f})")

    if "churn" in report:
        d = report["churn"]
        w("## (d) Creating and removing 10,000 labeled series\n")
        w(f"{d['series']:,} series in one gauge family: create = `labels(container_id=x).set(v)` for each new id, "
          "remove = `remove(x)` for each. Each round starts empty; rounds interleaved.\n")
        w("| where | library | create median ms (IQR) | create min ms | remove median ms (IQR) | remove min ms | "
          "per series create / remove (median, us) |")
        w("|---|---|---:|---:|---:|---:|---:|")
        n = d["series"]
        for lib in ("finmon", "prometheus_client"):
            c, r_ = d["python"]["create"][lib], d["python"]["remove"][lib]
            w(f"| Python | {lib} | {c.median * 1e3:.1f} ({c.iqr_text(1e3)}) | {c.minimum * 1e3:.1f} | "
              f"{r_.median * 1e3:.1f} ({r_.iqr_text(1e3)}) | {r_.minimum * 1e3:.1f} | "
              f"{c.median / n * 1e6:.2f} / {r_.median / n * 1e6:.2f} |")
        if "swift" in d:
            for lib, label in (("finmon_core", "FinMonCore MetricsRegistry"), ("swift_prometheus", "swift-prometheus 2.4.1")):
                c, r_ = d["swift"][lib]["create"], d["swift"][lib]["remove"]
                w(f"| Swift | {label} | {c.median * 1e3:.1f} ({c.iqr_text(1e3)}) | {c.minimum * 1e3:.1f} | "
                  f"{r_.median * 1e3:.1f} ({r_.iqr_text(1e3)}) | {r_.minimum * 1e3:.1f} | "
                  f"{c.median / n * 1e6:.2f} / {r_.median / n * 1e6:.2f} |")
        w("")
        def round_ratio(theirs: Stat, ours: Stat) -> str:
            # Both were measured in the same round, moments apart: see (a).
            st = Stat([x / y for x, y in zip(theirs.values, ours.values)])
            return f"{st.median:.1f}x ({st.iqr_text()})"

        pc, pr = d["python"]["create"], d["python"]["remove"]
        w("Ratios: the other library's time / finmon's, per round, median (IQR); above 1x finmon is faster.\n")
        w(f"- Python: finmon creates {round_ratio(pc['prometheus_client'], pc['finmon'])} and removes "
          f"{round_ratio(pr['prometheus_client'], pr['finmon'])} as fast as prometheus_client.")
        if "swift" in d:
            sw = d["swift"]
            w(f"- Swift: FinMonCore creates {round_ratio(sw['swift_prometheus']['create'], sw['finmon_core']['create'])}"
              f" and removes {round_ratio(sw['swift_prometheus']['remove'], sw['finmon_core']['remove'])} "
              "as fast as swift-prometheus 2.4.1.")
        else:
            w("- Swift: not run (build Benchmarks/swift first, see the README).")
        w("")
        w("finmon's Python create/remove path, piece by piece (ns per call):\n")
        w("| piece | median ns | IQR | min |")
        w("|---|---:|---:|---:|")
        for name, st in d["breakdown"].items():
            w(f"| {name} | {st.median:,.0f} | {st.iqr_text(digits=0)} | {st.minimum:,.0f} |")
        w("")
        if "swift" in d:
            sw = d["swift"]
            e1, e2 = sw["finmon_core"]["emit"], sw["swift_prometheus"]["emit"]
            a1, a2 = sw["finmon_core"]["emit_again"], sw["swift_prometheus"]["emit_again"]
            w(f"Rendering the 10,000 series in Swift ({d['swift_bytes']['finmon_core']:,} vs "
              f"{d['swift_bytes']['swift_prometheus']:,} bytes of text), median (min) ms:\n")
            w("| render | FinMonCore | swift-prometheus 2.4.1 | swift-prometheus / FinMonCore, per round | from minimums |")
            w("|---|---:|---:|---:|---:|")
            w(f"| first, right after the series were created (finmon sorts them here) | {e1.median * 1e3:.2f} "
              f"({e1.minimum * 1e3:.2f}) | {e2.median * 1e3:.2f} ({e2.minimum * 1e3:.2f}) | "
              f"{round_ratio(e2, e1)} | {ratio(e2.minimum, e1.minimum)} |")
            w(f"| again, nothing changed (a steady-state scrape) | {a1.median * 1e3:.2f} ({a1.minimum * 1e3:.2f}) | "
              f"{a2.median * 1e3:.2f} ({a2.minimum * 1e3:.2f}) | {round_ratio(a2, a1)} | {ratio(a2.minimum, a1.minimum)} |")
            w("")

    if targets:
        w("## Targets\n")
        for line in targets:
            w(f"- {line}")
        w("")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts: check that the script runs")
    parser.add_argument("--only", default="abcd", help="which sections to run, e.g. 'ab'")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS-spine.md")
    parser.add_argument("--serve", choices=["finmon", "prometheus_client"], help=argparse.SUPPRESS)
    parser.add_argument("--series", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.series)
        return

    started = time.time()
    report: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                    "load": [", ".join(f"{x:.1f}" for x in os.getloadavg())]}
    quick = args.quick
    if "a" in args.only:
        print("(a) loop iteration ...", flush=True)
        # Many short measurements rather than a few long ones: on a shared machine a burst of
        # load then spoils a few measurements instead of shifting them all.
        report["iteration"] = bench_iteration(iterations=500 if quick else 5_000, repeats=3 if quick else 21)
    if "b" in args.only:
        print("(b) scrapes ...", flush=True)
        sizes = [100, 1_000, 10_000]
        report["scrapes"] = bench_scrapes(sizes, budget=0.05 if quick else 1.0, rounds=2 if quick else 7)
    if "c" in args.only:
        print("(c) RSS ...", flush=True)
        report["rss"] = bench_rss(series=10_000, repeats=2 if quick else 7)
    if "d" in args.only:
        print("(d) series churn ...", flush=True)
        report["churn"] = bench_churn(series=10_000, repeats=2 if quick else 7)
    report["load"].append(", ".join(f"{x:.1f}" for x in os.getloadavg()))
    report["seconds"] = time.time() - started
    text = render(report)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
