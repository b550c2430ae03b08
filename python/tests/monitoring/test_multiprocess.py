"""Worker pools in one exporter (finmon.multiprocess): updates made in forked and spawned
workers appear, exactly, in the parent's exposition; restarts leave the totals exact and
the segment the size it had after 10; a worker killed with SIGKILL loses nothing it wrote;
gauges combine by their mode; histograms merge. The 10,000-restart runs are in
test_worker_restarts.py."""

from __future__ import annotations

import concurrent.futures
import ctypes
import multiprocessing
import os
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import finmon
from finmon import _native, multiprocess
from finmon._bindings import Status

PYTHON_FORKS = 1_000
SPAWN_RESTARTS = 50


def exposition_series(collector: finmon.MetricsCollector) -> int:
    """How many samples the parent's exposition shows (it merges the run first)."""
    return sum(1 for line in collector.generate_latest().decode().splitlines() if line and not line.startswith("#"))


@pytest.fixture
def parent() -> Iterator[finmon.MetricsCollector]:
    collector = finmon.MetricsCollector(multiprocess=True, slots=64)
    info = collector.multiprocess_info()
    assert info is not None and os.environ[multiprocess.ENVIRONMENT_VARIABLE] == info["path"]
    try:
        yield collector
    finally:
        collector.close()
        os.environ.pop(multiprocess.ENVIRONMENT_VARIABLE, None)
    assert not Path(info["path"]).exists()  # the parent's close removes the segment


def value(collector: finmon.MetricsCollector, name: str, labels: dict[str, str] | None = None) -> float | None:
    """A sample as the exporter shows it (the exposition merges the run first)."""
    collector.generate_latest()
    return collector.get_sample_value(name, labels)


def fork_worker(work: int, detach: bool = True) -> int:
    """A forked worker doing ``work`` units; returns its pid (the caller waits for it)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            jobs = finmon_jobs[0]
            for _ in range(work):
                jobs.inc()
            finmon_latency[0].observe(0.3)
            if detach:
                multiprocess.detach()
            code = 0
        finally:
            os._exit(code)
    return pid


finmon_jobs: list[finmon.Counter] = []
finmon_latency: list[finmon.Histogram] = []


def test_python_forked_workers_leave_exact_totals_and_a_segment_of_the_same_size(
        parent: finmon.MetricsCollector) -> None:
    """os.fork() from Python (the at-fork hook claims the slot, detach folds it); the
    10,000-restart runs are test_worker_restarts.py's, cheaper per process."""
    finmon_jobs[:] = [parent.counter("jobs_total", "Jobs done by workers.")]
    finmon_latency[:] = [parent.histogram("job_seconds", "Job time.", buckets=(0.1, 0.5, 1.0))]
    parent.counter("jobs_total", "Jobs done by workers.").inc(5)  # the parent's own

    sizes = {}
    for done in range(1, PYTHON_FORKS + 1):
        # Every third worker leaves without folding its slot (as a crash would): the
        # parent folds it once it sees the process gone.
        pid = fork_worker(2, detach=done % 3 != 0)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if done in (10, PYTHON_FORKS):
            assert value(parent, "jobs_total") == 5 + 2 * done
            sizes[done] = (parent.multiprocess_info(), exposition_series(parent))
    assert value(parent, "job_seconds_count") == PYTHON_FORKS
    assert value(parent, "job_seconds_bucket", {"le": "0.5"}) == PYTHON_FORKS
    assert value(parent, "job_seconds_bucket", {"le": "0.1"}) == 0
    assert value(parent, "job_seconds_sum") == pytest.approx(0.3 * PYTHON_FORKS)
    (first, first_series), (last, last_series) = sizes[10], sizes[PYTHON_FORKS]
    assert first["size_bytes"] == last["size_bytes"] and first["entries"] == last["entries"]
    assert first_series == last_series
    assert last["live_slots"] == 1  # the parent's: every worker's slot was freed
    assert last["folded_workers"] >= PYTHON_FORKS and last["unmirrored_writes"] == 0
    assert Path(last["path"]).stat().st_size == last["size_bytes"]


def test_a_worker_killed_with_sigkill_loses_nothing_it_wrote(parent: finmon.MetricsCollector) -> None:
    jobs = parent.counter("killed_jobs_total", "Jobs.")
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            for _ in range(1000):
                jobs.inc()
            os.write(ready_write, b"x")
            signal.pause()
        finally:
            os._exit(1)
    os.close(ready_write)
    assert os.read(ready_read, 1) == b"x"
    os.close(ready_read)
    assert value(parent, "killed_jobs_total") == 1000  # live: its slot
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert value(parent, "killed_jobs_total") == 1000  # folded from the dead worker's slot
    assert parent.multiprocess_info()["live_slots"] == 1


@pytest.mark.parametrize(("mode", "expected"), [("latest", 3.0), ("max", 5.0), ("min", 1.0), ("sum", 9.0),
                                              (multiprocess.GaugeMode.SUM, 9.0)])
def test_gauges_combine_by_their_mode_over_live_processes(
        parent: finmon.MetricsCollector, mode: str, expected: float) -> None:
    gauge = parent.gauge("queue_depth", "Queue depth.")
    parent.set_gauge_mode("queue_depth", mode)
    children = []
    for reading in (1.0, 5.0, 3.0):  # set in this order: 3 is the latest
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                gauge.set(reading)
                os.write(go_write, b"x")
                signal.pause()
            finally:
                os._exit(1)
        os.close(go_write)
        assert os.read(go_read, 1) == b"x"
        os.close(go_read)
        children.append(pid)
    try:
        assert value(parent, "queue_depth") == expected
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    # The readers are gone: the gauge is the parent's own again (never set: 0).
    assert value(parent, "queue_depth") == 0


def test_repeated_sets_in_a_worker_reach_the_parent(parent: finmon.MetricsCollector) -> None:
    """A gauge set many times maps its value cell in a plain collector (a store, no call);
    in a multiprocess run the library refuses the cell, so every set still reaches the
    worker's slot: the parent sees each gauge's last value, labelled or not."""
    plain = parent.gauge("progress", "Progress.")
    labelled = parent.gauge("progress_by_queue", "Progress by queue.", ["queue"])
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            child = labelled.labels("q")
            for reading in range(1, 51):
                plain.set(reading)
                child.set(reading * 2)
            os.write(go_write, b"x")
            signal.pause()
        finally:
            os._exit(1)
    os.close(go_write)
    try:
        assert os.read(go_read, 1) == b"x"
        assert value(parent, "progress") == 50
        assert value(parent, "progress_by_queue", {"queue": "q"}) == 100
    finally:
        os.close(go_read)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    # The library refuses a multiprocess series' cell, naming what to call instead.
    out = ctypes.c_void_p()
    assert _native.hot.finmon_series_cell(labelled.labels("q")._handle, ctypes.byref(out)) == Status.STATE
    assert "finmon_series_set" in _native.last_error() and not out.value


def test_repeated_increments_and_observations_in_a_worker_reach_the_parent(parent: finmon.MetricsCollector) -> None:
    """A counter or histogram updated many times maps its shard in a plain collector; in a
    multiprocess run the library refuses it, so every update still reaches the worker's slot."""
    jobs = parent.counter("jobs_done", "Jobs.", ["queue"])
    latency = parent.histogram("job_seconds", "Job time.", buckets=[1])
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            child = jobs.labels("q")
            for _ in range(50):
                child.inc()
                latency.observe(0.5)
            os.write(go_write, b"x" if child._shard is None and latency.labels()._histogram is None else b"m")
            signal.pause()
        finally:
            os._exit(1)
    os.close(go_write)
    try:
        assert os.read(go_read, 1) == b"x"  # nothing mapped in the worker
        assert value(parent, "jobs_done_total", {"queue": "q"}) == 50
        assert value(parent, "job_seconds_count") == 50
        assert value(parent, "job_seconds_bucket", {"le": "1.0"}) == 50
    finally:
        os.close(go_read)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    out = ctypes.c_void_p()
    assert _native.hot.finmon_series_shard(jobs.labels("q")._handle, ctypes.byref(out), None) == Status.STATE
    assert not out.value


def test_worker_mode_labels_each_live_process_by_its_slot(parent: finmon.MetricsCollector) -> None:
    gauge = parent.gauge("worker_depth", "Queue depth per worker.", ["queue"])
    parent.set_gauge_mode("worker_depth", "worker")
    gauge.labels("q").set(1)
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            gauge.labels("q").set(8)
            os.write(go_write, str(parent.multiprocess_info()["slot"]).encode())
            signal.pause()
        finally:
            os._exit(1)
    os.close(go_write)
    slot = os.read(go_read, 16).decode()
    os.close(go_read)
    own = str(parent.multiprocess_info()["slot"])
    try:
        text = parent.generate_latest().decode()
        assert f'worker_depth{{queue="q",worker="{own}"}} 1.0\n' in text
        assert f'worker_depth{{queue="q",worker="{slot}"}} 8.0\n' in text
        assert parent.get_sample_value("worker_depth", {"queue": "q", "worker": slot}) == 8
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    text = parent.generate_latest().decode()
    assert f'worker="{slot}"' not in text and f'worker_depth{{queue="q",worker="{own}"}} 1.0\n' in text


def pool_task(n: int) -> int:
    finmon_jobs[0].inc(n)
    return os.getpid()


def spawned_task(n: int) -> int:
    worker = finmon.attach()
    worker.counter("pool_jobs_total", "Jobs.", ["pool"]).labels("spawn").inc(n)
    worker.counter("worker_only_total", "Defined in the workers only.").inc()
    return os.getpid()


def test_multiprocessing_pool_and_process_pool_executor_with_fork(parent: finmon.MetricsCollector) -> None:
    finmon_jobs[:] = [parent.counter("fork_jobs_total", "Jobs.")]
    context = multiprocessing.get_context("fork")
    with context.Pool(3, maxtasksperchild=1) as pool:
        pids = set(pool.map(pool_task, [1] * 60, chunksize=1))
    assert len(pids) == 60  # a new process per task
    # (max_tasks_per_child needs spawn: these two workers live through the 40 tasks.)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        pids |= set(executor.map(pool_task, [2] * 40))
    assert value(parent, "fork_jobs_total") == 60 + 80


def test_spawned_workers_join_with_attach(parent: finmon.MetricsCollector) -> None:
    parent.counter("pool_jobs_total", "Jobs.", ["pool"])
    context = multiprocessing.get_context("spawn")
    # SPAWN_RESTARTS fresh interpreters (each costs one Python start-up; the benchmark and
    # test_worker_restarts.py's exec'd workers do the 10,000).
    with concurrent.futures.ProcessPoolExecutor(3, mp_context=context, initializer=finmon.attach,
                                                max_tasks_per_child=1) as executor:
        pids = set(executor.map(spawned_task, [3] * SPAWN_RESTARTS))
    assert len(pids) == SPAWN_RESTARTS
    assert value(parent, "pool_jobs_total", {"pool": "spawn"}) == 3 * SPAWN_RESTARTS
    assert value(parent, "worker_only_total") == SPAWN_RESTARTS  # registered in the parent from the segment
    assert parent.multiprocess_info()["live_slots"] == 1


def test_attach_needs_a_run_and_returns_one_collector_per_process(parent: finmon.MetricsCollector) -> None:
    path = os.environ.pop(multiprocess.ENVIRONMENT_VARIABLE)
    with pytest.raises(ValueError, match="no multiprocess run"):
        multiprocess.attach()
    os.environ[multiprocess.ENVIRONMENT_VARIABLE] = path
    with pytest.raises(ValueError, match="mode must be a finmon.multiprocess.GaugeMode"):
        parent.set_gauge_mode("x", "median")
    with pytest.raises(ValueError, match="slots must be in 0...65536"):
        finmon.MetricsCollector(multiprocess=True, slots=70000)
    with pytest.raises(finmon.FinmonIOError, match="not-a-segment"):
        multiprocess.attach("/nonexistent/not-a-segment")
    plain = finmon.MetricsCollector()
    assert plain.multiprocess_info() is None
    with pytest.raises(finmon.StateError, match="not the parent of a multiprocess run"):
        plain.set_gauge_mode("x", "sum")
    plain.close()


def test_start_with_multiprocess_in_the_config_serves_the_workers_updates(tmp_path: Path) -> None:
    config = tmp_path / "monitoring_config.yaml"
    config.write_text("monitoring:\n  multiprocess: true\n  multiprocess_gauge_mode: max\n")
    with finmon.start(config, port=0, final_export=False, enable_containers=False) as runtime:
        collector = runtime.collector
        info = collector.multiprocess_info()
        assert info is not None and os.environ[multiprocess.ENVIRONMENT_VARIABLE] == info["path"]
        collector.population_diversity.set(0.2)
        for reading in (0.7, 0.4):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    collector.strategy_success.inc()
                    collector.population_diversity.set(reading)
                    code = 0
                finally:
                    os._exit(code)  # no detach: the parent folds the slot of a worker gone
            assert os.waitpid(pid, 0)[1] == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{runtime.port}/metrics", timeout=10) as response:
            body = response.read().decode()
        assert "strategy_success_total 2.0\n" in body
        assert "population_diversity 0.2\n" in body  # max over live processes: the parent only now
        assert collector.multiprocess_info()["folded_workers"] == 2
    assert not Path(info["path"]).exists()


def test_the_c_exports_refuse_misuse_with_a_status_naming_the_argument(parent: finmon.MetricsCollector) -> None:
    out = ctypes.c_void_p()
    text = ctypes.c_void_p()
    assert _native.hot.finmon_collector_new_multiprocess(0, 99, ctypes.byref(out)) == Status.INVALID_ARGUMENT
    assert "gauge_mode must be a finmon_gauge_mode" in _native.last_error()
    assert _native.hot.finmon_collector_new_multiprocess(70000, 0, ctypes.byref(out)) == Status.INVALID_ARGUMENT
    assert "slots" in _native.last_error()
    assert _native.hot.finmon_collector_new_multiprocess(0, 0, None) == Status.NULL_POINTER
    assert _native.hot.finmon_worker_attach(None, ctypes.byref(out)) == Status.NULL_POINTER
    assert "path" in _native.last_error()
    assert _native.hot.finmon_worker_attach(b"/nonexistent/segment", ctypes.byref(out)) == Status.IO
    assert out.value is None  # untouched on failure
    assert _native.hot.finmon_collector_set_gauge_mode(parent._live_handle(), b"x", 7) == Status.INVALID_ARGUMENT
    assert "mode must be" in _native.last_error()
    # A family with its own `worker` label would expose it twice in the worker mode.
    parent.gauge("depth_by_worker", "Depth.", ["worker"])
    with pytest.raises(ValueError, match="label named worker already"):
        parent.set_gauge_mode("depth_by_worker", "worker")
    parent.set_gauge_mode("depth_by_worker", "max")  # any other mode is fine
    metric = parent.counter("misuse_total", "A metric, not a collector.")
    assert _native.hot.finmon_collector_multiprocess_info(metric._handle, ctypes.byref(text)) == Status.INVALID_HANDLE
    assert "finmon_metric handle, not a finmon_collector" in _native.last_error()
    # Every slot taken by a live process: the next worker is refused, not silently dropped.
    small = finmon.MetricsCollector(multiprocess=True, slots=1)
    try:
        assert _native.hot.finmon_worker_attach(small.multiprocess_info()["path"].encode(),
                                                ctypes.byref(out)) == Status.STATE
        assert "all 1 worker slots belong to live processes" in _native.last_error()
    finally:
        small.close()
