"""10,000 worker restarts of one multiprocess run, forked and exec'd (a fresh process that
attaches by path, as a spawned one does): the parent's totals are exact, and the segment
(its size, entries and slots), the files on disk and the exposition's series are what they
were after the first 10. The workers are a small C program over the same exports Python
calls (finmon_after_fork_child in a forked child, finmon_worker_attach, finmon_worker_detach):
a C process forks in about a millisecond where a Python one with the library loaded takes
several, so 10,000 restarts fit in a test. Python's own fork and spawn paths are
test_multiprocess.py's (1,000 os.fork() workers, pools with fork and spawn)."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cprogram import compile_c

import finmon
from finmon import multiprocess

RESTARTS = 10_000
FORKERS = 5
#: Fresh processes (fork + exec of the C worker) at about 7 ms each: some 70 s for 10,000.
EXEC_RESTARTS = 10_000

WORKER_C = textwrap.dedent("""
    #define _POSIX_C_SOURCE 200809L
    #include <finmon.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/wait.h>
    #include <unistd.h>

    /* argv: segment path, "fork" or "exec", restarts. "fork": this process attaches, then
       forks `restarts` workers one after another, each counting 2 jobs and observing 0.3 s;
       every third leaves without detaching (as a crash would). "exec": this process is the
       worker, counting 3 jobs; "nodetach" as argv[3] skips the detach. */
    static int fail(void) { fprintf(stderr, "%s\\n", finmon_last_error()); return 1; }

    int main(int argc, char **argv) {
        if (argc < 3) return 2;
        finmon_collector *worker = NULL;
        finmon_metric *jobs = NULL, *seconds = NULL;
        finmon_series *count = NULL, *latency = NULL;
        const double bounds[] = {0.1, 0.5, 1.0};
        if (finmon_worker_attach(argv[1], &worker) != FINMON_OK ||
            finmon_metric_register(worker, FINMON_COUNTER, "c_jobs_total", "Jobs.", NULL, 0, NULL, 0, &jobs) != FINMON_OK ||
            finmon_metric_labels(jobs, NULL, NULL, 0, &count) != FINMON_OK ||
            finmon_metric_register(worker, FINMON_HISTOGRAM, "c_job_seconds", "Job time.", NULL, 0, bounds, 3,
                                   &seconds) != FINMON_OK ||
            finmon_metric_labels(seconds, NULL, NULL, 0, &latency) != FINMON_OK) return fail();
        if (strcmp(argv[2], "exec") == 0) {
            for (int i = 0; i < 3; i++) if (finmon_series_inc(count, 1) != FINMON_OK) return fail();
            if (argc < 4) finmon_worker_detach();
            return 0;
        }
        int restarts = argc > 3 ? atoi(argv[3]) : 0;
        for (int i = 1; i <= restarts; i++) {
            pid_t pid = fork();
            if (pid < 0) return 3;
            if (pid == 0) {
                finmon_after_fork_child();  /* what Python's os.register_at_fork hook calls */
                int bad = finmon_series_inc(count, 2) != FINMON_OK || finmon_series_observe(latency, 0.3) != FINMON_OK;
                if (i % 3 != 0) finmon_worker_detach();
                _exit(bad);
            }
            int status = 0;
            if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 4;
        }
        finmon_worker_detach();
        return 0;
    }
""")


@pytest.fixture
def parent() -> Iterator[finmon.MetricsCollector]:
    collector = finmon.MetricsCollector(multiprocess=True, slots=64)
    info = collector.multiprocess_info()
    assert info is not None
    try:
        yield collector
    finally:
        collector.close()
        os.environ.pop(multiprocess.ENVIRONMENT_VARIABLE, None)
    assert not Path(info["path"]).exists()


def snapshot(collector: finmon.MetricsCollector) -> tuple[dict[str, Any], int, list[str]]:
    """The segment's counts, the exposition's sample count, and this run's files in /dev/shm."""
    body = collector.generate_latest().decode()
    samples = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
    info = collector.multiprocess_info()
    assert info is not None
    files = sorted(name for name in os.listdir("/dev/shm") if name.startswith(f"finmon-{os.getpid()}-"))
    return info, samples, files


def same_shape(after_ten: tuple[dict[str, Any], int, list[str]], after_all: tuple[dict[str, Any], int, list[str]]) -> None:
    (first, first_samples, first_files), (last, last_samples, last_files) = after_ten, after_all
    for key in ("size_bytes", "slots", "entries"):
        assert first[key] == last[key], key
    assert first_samples == last_samples
    assert first_files == last_files == [Path(first["path"]).name]
    assert Path(last["path"]).stat().st_size == last["size_bytes"]
    assert last["live_slots"] == 1  # the parent's own: every worker's slot was folded and freed
    assert last["unmirrored_writes"] == 0 and last["dropped_entries"] == 0


def test_ten_thousand_forked_workers(parent: finmon.MetricsCollector, tmp_path: Path) -> None:
    """10 restarts, then 9,990 more by FORKERS processes at once (each forks its workers
    one after another), as a pool replaces its workers."""
    parent.counter("c_jobs_total", "Jobs.").inc(5)  # the parent's own
    binary, env = compile_c(tmp_path, WORKER_C, "worker")
    path = parent.multiprocess_info()["path"]
    subprocess.run([str(binary), path, "fork", "10"], env=env, check=True, timeout=300)
    after_ten = snapshot(parent)
    assert parent.get_sample_value("c_jobs_total") == 5 + 2 * 10
    each = (RESTARTS - 10) // FORKERS
    forkers = [subprocess.Popen([str(binary), path, "fork", str(each)], env=env) for _ in range(FORKERS)]
    assert [forker.wait(timeout=900) for forker in forkers] == [0] * FORKERS
    after_all = snapshot(parent)
    assert parent.get_sample_value("c_jobs_total") == 5 + 2 * RESTARTS
    assert parent.get_sample_value("c_job_seconds_count") == RESTARTS
    assert parent.get_sample_value("c_job_seconds_bucket", {"le": "0.5"}) == RESTARTS
    assert parent.get_sample_value("c_job_seconds_bucket", {"le": "0.1"}) == 0
    assert parent.get_sample_value("c_job_seconds_sum") == pytest.approx(0.3 * RESTARTS)
    same_shape(after_ten, after_all)
    # Every worker and forker claimed a slot once and was folded once.
    assert after_all[0]["claims"] - after_ten[0]["claims"] == RESTARTS - 10 + FORKERS
    assert after_all[0]["folded_workers"] == RESTARTS + 1 + FORKERS


def test_ten_thousand_exec_workers_attach_by_path(parent: finmon.MetricsCollector, tmp_path: Path) -> None:
    """Fresh processes joining by the segment's path (what finmon.attach() does in a spawned
    worker); every fifth exits without detaching."""
    binary, env = compile_c(tmp_path, WORKER_C, "worker")
    path = parent.multiprocess_info()["path"]
    script = tmp_path / "restart.sh"
    # One shell loop, so the test does not pay Python's process start per worker.
    script.write_text(f'for i in $(seq 1 {EXEC_RESTARTS}); do\n'
                      f'  if [ $((i % 5)) -eq 0 ]; then "{binary}" "{path}" exec nodetach || exit 1\n'
                      f'  else "{binary}" "{path}" exec || exit 1; fi\n'
                      f'  if [ "$i" -eq 10 ]; then echo ten; read -r _; fi\n'
                      'done\n')
    runner = subprocess.Popen(["sh", str(script)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert runner.stdout is not None and runner.stdin is not None
    assert runner.stdout.readline() == "ten\n"
    after_ten = snapshot(parent)
    assert parent.get_sample_value("c_jobs_total") == 30
    runner.stdin.write("\n")
    runner.stdin.flush()
    assert runner.wait(timeout=900) == 0
    after_all = snapshot(parent)
    assert parent.get_sample_value("c_jobs_total") == 3 * EXEC_RESTARTS
    same_shape(after_ten, after_all)
