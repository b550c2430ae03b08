"""Worker churn: finmon's multiprocess mode beside prometheus_client's, in one run.

For each library a parent process defines a counter, a gauge and a histogram, then forks
worker after worker (each does 10 increments, sets the gauge, observes 5 samples and
exits the way its library expects: finmon's worker folds its slot; prometheus_client's
calls ``mark_process_dead`` for the gauge as its docs say). After 10, 100, 1,000 and 10,000
worker restarts it measures, in the parent:

- files and bytes on disk (prometheus_client: the ``PROMETHEUS_MULTIPROC_DIR`` folder;
  finmon: its one segment in /dev/shm, by allocated blocks, since the file is sparse),
- scrape time: median of 21 renderings of the exposition (prometheus_client:
  ``generate_latest`` over a ``MultiProcessCollector`` registry; finmon:
  ``collector.generate_latest()``, which merges the segment first),
- the parent's RSS (/proc/self/status VmRSS),
- finmon's scrape in instructions (callgrind), after 10 and after 10,000 restarts: the
  parent runs under valgrind and its workers come from ``mp_forker.c`` (exec'd, so not
  traced); (instructions with K scrapes - with 0) / K is one scrape's merge and render.
  Times on a shared 2-core machine move by more than 10%; instruction counts do not.

Run (about 5 minutes on 2 cores; ``--quick`` stops at 1,000 and skips callgrind)::

    swift build -c release
    FINMON_LIB=$PWD/.build/release/libfinmon.so PYTHONPATH=python python3 Benchmarks/bench_multiprocess.py

Prints a Markdown table (``--output`` writes it too, e.g. ``Benchmarks/RESULTS-multiprocess.md``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from instruction_count import count, per_operation

CHECKPOINTS = (10, 100, 1_000, 10_000)
HERE = Path(__file__).resolve().parent

# Each library runs in a subprocess of its own (prometheus_client reads its environment at
# import), which prints one line per checkpoint: restarts files bytes scrape_us rss_kb.
PROMETHEUS_CLIENT = textwrap.dedent("""
    import os, sys, time, statistics
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
    jobs = Counter("jobs", "Jobs.")
    depth = Gauge("depth", "Depth.", multiprocess_mode="livesum")
    seconds = Histogram("job_seconds", "Job time.")
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    def scrape():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    done = 0
    for checkpoint in map(int, sys.argv[1:]):
        while done < checkpoint:
            pid = os.fork()
            if pid == 0:
                for _ in range(10): jobs.inc()
                depth.set(3)
                for i in range(5): seconds.observe(0.01 * i)
                os._exit(0)
            os.waitpid(pid, 0)
            multiprocess.mark_process_dead(pid)
            done += 1
        files = os.listdir(folder)
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in files)
        times = []
        for _ in range(21):
            start = time.perf_counter(); body = scrape(); times.append(time.perf_counter() - start)
        assert b"jobs_total " + str(float(10 * done)).encode() in body, body[:300]
        rss = int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1])
        print(done, len(files), size, round(statistics.median(times) * 1e6), rss, flush=True)
""")

FINMON = textwrap.dedent("""
    import os, sys, time, statistics
    import finmon
    from finmon import multiprocess
    collector = finmon.MetricsCollector(multiprocess=True)
    jobs = collector.counter("jobs", "Jobs.")
    depth = collector.gauge("depth", "Depth.")
    collector.set_gauge_mode("depth", "sum")
    seconds = collector.histogram("job_seconds", "Job time.")
    path = collector.multiprocess_info()["path"]
    done = 0
    for checkpoint in map(int, sys.argv[1:]):
        while done < checkpoint:
            pid = os.fork()
            if pid == 0:
                for _ in range(10): jobs.inc()
                depth.set(3)
                for i in range(5): seconds.observe(0.01 * i)
                multiprocess.detach()
                os._exit(0)
            os.waitpid(pid, 0)
            done += 1
        times = []
        for _ in range(201):
            start = time.perf_counter(); body = collector.generate_latest(); times.append(time.perf_counter() - start)
        assert b"jobs_total " + str(float(10 * done)).encode() in body, body[:300]
        size = os.stat(path).st_blocks * 512
        rss = int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1])
        print(done, 1, size, round(statistics.median(times) * 1e6), rss, flush=True)
""")


def run(name: str, code: str, checkpoints: tuple[int, ...], env: dict[str, str]) -> dict[int, list[int]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *map(str, checkpoints)], env=env, capture_output=True,
                          text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return {int(line.split()[0]): [int(x) for x in line.split()[1:]] for line in done.stdout.splitlines()}


# The parent under valgrind: workers by mp_forker (argv: forker, restarts, scrapes).
CALLGRIND_PARENT = textwrap.dedent("""
    import subprocess, sys
    import finmon
    collector = finmon.MetricsCollector(multiprocess=True)
    collector.counter("jobs", "Jobs.")
    collector.gauge("depth", "Depth.")
    collector.set_gauge_mode("depth", "sum")
    collector.histogram("job_seconds", "Job time.")
    forker, restarts, scrapes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    subprocess.run([forker, collector.multiprocess_info()["path"], restarts], check=True)
    body = collector.generate_latest()  # the first scrape registers and caches: not counted
    assert b"jobs_total " + str(float(10 * int(restarts))).encode() in body, body[:300]
    for _ in range(scrapes):
        collector.generate_latest()
    collector.close()
""")


def build_forker(folder: Path) -> tuple[Path, dict[str, str]]:
    """mp_forker.c against this library (found by its SONAME through a link in folder)."""
    from finmon import _native

    for link in ("libfinmon.so", f"libfinmon.so.{_native.ABI_MAJOR}"):
        (folder / link).symlink_to(_native.library_path())
    binary = folder / "mp_forker"
    subprocess.run(["cc", "-std=c11", "-O2", f"-I{HERE.parent / 'include'}", str(HERE / "mp_forker.c"), f"-L{folder}",
                    "-lfinmon", "-o", str(binary)], check=True)
    return binary, {**os.environ, "LD_LIBRARY_PATH": str(folder)}


def instructions(folder: Path, forker: Path, env: dict[str, str], restarts: int, scrapes: int) -> int:
    """Instructions of one parent run."""
    return count([sys.executable, "-c", CALLGRIND_PARENT, str(forker), str(restarts), str(scrapes)],
                 env=env, folder=folder, timeout=3600)


def scrape_instructions(scrapes: int = 200) -> dict[int, float]:
    """One scrape's instructions after 10 and after 10,000 restarts."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        forker, env = build_forker(folder)
        per = {}
        for restarts in (10, 10_000):
            per[restarts] = per_operation(lambda k, r=restarts: instructions(folder, forker, env, r, k), scrapes)
        return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at 1,000 restarts")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    checkpoints = CHECKPOINTS[:3] if args.quick else CHECKPOINTS
    folder = Path(tempfile.mkdtemp(prefix="prom-multiproc-"))
    try:
        client = run("prometheus_client", PROMETHEUS_CLIENT, checkpoints,
                     {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours = run("finmon", FINMON, checkpoints, dict(os.environ))
    lines = [
        "| restarts | files: p_c / finmon | bytes on disk: p_c / finmon | scrape (us): p_c / finmon | ratio | "
        "parent RSS (KiB): p_c / finmon |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for restarts in checkpoints:
        p_files, p_bytes, p_us, p_rss = client[restarts]
        f_files, f_bytes, f_us, f_rss = ours[restarts]
        lines.append(f"| {restarts:,} | {p_files:,} / {f_files} | {p_bytes:,} / {f_bytes:,} | {p_us:,} / {f_us:,} | "
                     f"{p_us / max(f_us, 1):.1f}x | {p_rss:,} / {f_rss:,} |")
    first, last = ours[checkpoints[0]], ours[checkpoints[-1]]
    lines.append("")
    lines.append(f"finmon, after {checkpoints[-1]:,} restarts vs after {checkpoints[0]:,}: scrape time "
                 f"{last[2] / max(first[2], 1):.2f}x; bytes on disk {last[1] / max(first[1], 1):.2f}x; "
                 f"RSS {last[3] / max(first[3], 1):.2f}x")
    if not args.quick:
        per = scrape_instructions()
        lines.append(f"finmon, one scrape (merge and render) in instructions (callgrind): {per[10]:,.0f} after 10 "
                     f"restarts, {per[10_000]:,.0f} after 10,000: {per[10_000] / per[10]:.3f}x")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
