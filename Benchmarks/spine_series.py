"""bench_spine (c) and (d): RSS added by import, exporter and labeled series in fresh
subprocesses; creating and removing series from Python and (through ``swift/``) in Swift."""

from __future__ import annotations

import ctypes
import gc
import http.client
import json
import os
import subprocess
import sys
import time
from typing import Callable

from spine_common import SWIFT_BINARY, Stat, container_id, interleaved, timed_loop


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


def installed_finmon_env() -> dict[str, str]:
    """The environment for a finmon child: the package as ``pip install`` leaves it, with
    its modules compiled to bytecode, in a temporary directory (removed at exit).

    prometheus_client runs from site-packages with its ``__pycache__``. finmon would run from
    the source tree, and where ``PYTHONDONTWRITEBYTECODE`` is set (this machine sets it) no
    bytecode is ever written there, so each child would compile every finmon module at import:
    1.3 MiB of the compiler's freed heap stays in the child's RSS and would be counted
    against finmon.
    """
    import atexit
    import compileall
    import shutil
    import tempfile

    import finmon
    from finmon import _native

    folder = tempfile.mkdtemp(prefix="finmon-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    source = os.path.dirname(finmon.__file__)
    package = os.path.join(folder, "finmon")
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    if not compileall.compile_dir(package, quiet=1):
        raise RuntimeError(f"compiling {package} failed")
    path = [folder] + [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(path), FINMON_LIB=str(_native.library_path()))


def anonymous_bytes(pid: int) -> int:
    """The anonymous (heap, stacks, relocated data) part of a process's RSS; the rest is
    file-backed: code and read-only data of the interpreter and the libraries, clean
    page-cache pages shared with any other process mapping the same files."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) * 1024
    return 0


def hold_rss(kind: str, series: int, finmon_env: dict[str, str]) -> tuple[int, int, int | None]:
    """RSS and its anonymous part of a fresh interpreter once set up, and the RSS again
    after one /metrics scrape."""
    import psutil

    code = _HOLD[kind].format(series=series)
    env = finmon_env if kind == "finmon" else None
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env=env)
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


def rss_stages(series: int, repeats: int, finmon_env: dict[str, str]) -> dict[str, list[tuple[str, Stat, Stat]]]:
    """RSS after each set-up step, in fresh interpreters (read in-process from smaps_rollup)."""
    stages: dict[str, list[tuple[str, Stat, Stat]]] = {}
    for kind, code in _STAGES.items():
        env = finmon_env if kind == "finmon" else None
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
    finmon_env = installed_finmon_env()
    for _ in range(repeats):
        for kind in kinds:
            rss, anon, after = hold_rss(kind, series, finmon_env)
            ready[kind].append(rss)
            anonymous[kind].append(anon)
            if after is not None:
                scraped[kind].append(after)
    return {"series": series, "ready": {k: Stat(v) for k, v in ready.items()},
            "anonymous": {k: Stat(v) for k, v in anonymous.items()},
            "scraped": {k: Stat(v) for k, v in scraped.items()},
            "stages": rss_stages(series, min(repeats, 3), finmon_env)}


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
    pack = _native.pack_labels
    labels_packed = _native.hot.finmon_metric_labels_packed
    remove_packed = _native.hot.finmon_metric_remove_packed
    remove_series = _native.hot.finmon_metric_remove_series

    def create_and_remove_natively() -> None:
        fresh = ctypes.c_void_p()
        labels_packed(handle, b"churned", 7, ctypes.byref(fresh))
        remove_series(handle, fresh.value, None)

    def new_child() -> Child:
        # A child made as Metric._bind makes it (it has no __init__: object.__new__ and its slots).
        child = object.__new__(Child)
        child._handle, child._metric, child._key = 1, gauge, "x"
        child._cell = child._shard = child._histogram = None
        child._sets = 0
        return child

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
        "_native.pack_labels((value,)) (the packed path's encoding)": loop(lambda: pack(("0123456789ab",))),
        "native finmon_metric_labels_packed (existing series)": loop(lambda: labels_packed(handle, b"present", 7, out_ref)),
        "native finmon_metric_remove_packed (absent series)": loop(lambda: remove_packed(handle, b"absent", 6, None)),
        "native labels_packed + remove_series: one series created and removed": loop(create_and_remove_natively),
        "a new Child (object.__new__ and its slots, as labels() makes it)": loop(new_child),
        "Gauge.remove(value) of an absent series (whole Python path)": loop(lambda: gauge.remove("absent")),
    }
    del existing
    return interleaved({name: timed_loop(run, 20_000) for name, run in parts.items()}, repeats)
