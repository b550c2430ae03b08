"""Worker pools in one exporter (finmon.multiprocess): updates made in forked and spawned
workers appear, exactly, in the parent's exposition; 10,000 worker restarts leave the
totals exact and the segment the size it had after 10; a worker killed with SIGKILL loses
nothing it wrote; gauges combine by their mode; histograms merge."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from cprogram import compile_c

import finmon
from finmon import multiprocess

RESTARTS = 10_000


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


def test_ten_thousand_forked_workers_leave_exact_totals_and_a_segment_of_the_same_size(
        parent: finmon.MetricsCollector) -> None:
    finmon_jobs[:] = [parent.counter("jobs_total", "Jobs done by workers.")]
    finmon_latency[:] = [parent.histogram("job_seconds", "Job time.", buckets=(0.1, 0.5, 1.0))]
    parent.counter("jobs_total", "Jobs done by workers.").inc(5)  # the parent's own

    sizes = {}
    for done in range(1, RESTARTS + 1):
        # Every third worker leaves without folding its slot (as a crash would): the
        # parent folds it once it sees the process gone.
        pid = fork_worker(2, detach=done % 3 != 0)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if done in (10, RESTARTS):
            assert value(parent, "jobs_total") == 5 + 2 * done
            sizes[done] = parent.multiprocess_info()
    assert value(parent, "job_seconds_count") == RESTARTS
    assert value(parent, "job_seconds_bucket", {"le": "0.5"}) == RESTARTS
    assert value(parent, "job_seconds_bucket", {"le": "0.1"}) == 0
    assert value(parent, "job_seconds_sum") == pytest.approx(0.3 * RESTARTS)
    first, last = sizes[10], sizes[RESTARTS]
    assert first["size_bytes"] == last["size_bytes"] and first["entries"] == last["entries"]
    assert last["live_slots"] == 1  # the parent's: every worker's slot was freed
    assert last["folded_workers"] >= RESTARTS and last["unmirrored_writes"] == 0
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


@pytest.mark.parametrize(("mode", "expected"), [("latest", 3.0), ("max", 5.0), ("min", 1.0), ("sum", 9.0)])
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
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context, initializer=finmon.attach,
                                                max_tasks_per_child=1) as executor:
        pids = set(executor.map(spawned_task, [3] * 12))
    assert len(pids) == 12
    assert value(parent, "pool_jobs_total", {"pool": "spawn"}) == 36
    assert value(parent, "worker_only_total") == 12  # registered in the parent from the segment


WORKER_C = textwrap.dedent("""
    #include <finmon.h>
    #include <stdio.h>
    #include <stdlib.h>
    /* A spawned worker as a C program: attach by path, count, detach unless told not to. */
    int main(int argc, char **argv) {
        finmon_collector *worker = NULL;
        finmon_metric *metric = NULL;
        finmon_series *series = NULL;
        if (finmon_worker_attach(argv[1], NULL, &worker) != 0 ||
            finmon_metric_register(worker, 0, "c_jobs_total", "Jobs.", NULL, 0, NULL, 0, &metric) != 0 ||
            finmon_metric_labels(metric, NULL, NULL, 0, &series) != 0) {
            fprintf(stderr, "%s\\n", finmon_last_error());
            return 1;
        }
        for (int i = 0; i < 3; i++) finmon_series_inc(series, 1);
        if (argc < 3) finmon_worker_detach();
        return 0;
    }
""")


def test_ten_thousand_exec_workers_attach_by_path(parent: finmon.MetricsCollector, tmp_path: Path) -> None:
    """Spawned (exec'd) workers, 10,000 of them, as a C program is the cheapest fresh process."""
    import subprocess

    binary, env = compile_c(tmp_path, WORKER_C, "worker")
    path = parent.multiprocess_info()["path"]
    script = tmp_path / "restart.sh"
    # One shell loop, so the test does not pay Python's process start per worker; every
    # fifth worker exits without detaching.
    script.write_text(f'for i in $(seq 1 {RESTARTS}); do\n'
                      f'  if [ $((i % 5)) -eq 0 ]; then "{binary}" "{path}" nodetach || exit 1\n'
                      f'  else "{binary}" "{path}" || exit 1; fi\n'
                      f'  if [ "$i" -eq 10 ]; then echo ten; read -r _; fi\n'
                      'done\n')
    runner = subprocess.Popen(["sh", str(script)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert runner.stdout is not None and runner.stdin is not None
    assert runner.stdout.readline() == "ten\n"
    assert value(parent, "c_jobs_total") == 30
    after_ten = parent.multiprocess_info()
    runner.stdin.write("\n")
    runner.stdin.flush()
    assert runner.wait(timeout=1200) == 0
    assert value(parent, "c_jobs_total") == 3 * RESTARTS
    after_all = parent.multiprocess_info()
    assert after_all["size_bytes"] == after_ten["size_bytes"] and after_all["entries"] == after_ten["entries"]
    assert after_all["live_slots"] == 1


def test_attach_needs_a_run_and_returns_one_collector_per_process(parent: finmon.MetricsCollector) -> None:
    path = os.environ.pop(multiprocess.ENVIRONMENT_VARIABLE)
    with pytest.raises(ValueError, match="no multiprocess run"):
        multiprocess.attach()
    os.environ[multiprocess.ENVIRONMENT_VARIABLE] = path
    with pytest.raises(ValueError, match="gauge mode"):
        parent.set_gauge_mode("x", "median")
    assert finmon.MetricsCollector().multiprocess_info() is None
