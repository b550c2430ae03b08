"""finmon's resource sampling against psutil, side by side in one run.

1. The cost of one sampling tick. finmon: ``finmon_resource_sample_now`` (the tick's work:
   /proc/stat, /proc/meminfo, statvfs, this process's stat/status/limits/fd, its cgroup)
   called through a GIL-releasing ctypes call without asking for the JSON. psutil, from a
   Python thread as a sampler thread would: ``cpu_percent(None)`` + ``virtual_memory()`` +
   ``disk_usage("/")``, and the same plus this process's figures (``Process.oneshot()``:
   memory_info, cpu_times, num_fds, create_time), which is what finmon's tick also reads.
   Hot: back to back. Cold: each call after sleeping 1 s, so caches and the branch
   predictor have moved on to other work, as they have between real ticks.
2. The slowdown of a pure-Python loop of 5 ms iterations while sampling every 0.1 s:
   (a) no sampler, (b) finmon's monitor (its own threads, no GIL), (c) a psutil sampler
   thread (takes the GIL for each sample). The loop runs in blocks of 20 iterations;
   the configurations take turns in rotating order over several rounds, and the median
   block is compared, because the machine is shared and bursts of other load would
   swamp a single long run. Also printed: the CPU the process spent outside the loop's
   thread (the sampler's own cost, whichever thread it runs on) per wall second.

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_resources.py

Not part of CI: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable

import psutil

import finmon
from finmon import _native


def finmon_tick(handle: int) -> Callable[[], None]:
    sample_now = _native.blocking.finmon_resource_sample_now

    def tick() -> None:
        if sample_now(handle, None) != 0:
            raise RuntimeError(_native.last_error())

    return tick


def psutil_tick() -> None:
    psutil.cpu_percent(None)
    psutil.virtual_memory()
    psutil.disk_usage("/")


_me = psutil.Process()


def psutil_tick_with_process() -> None:
    psutil_tick()
    with _me.oneshot():
        _me.memory_info()
        _me.cpu_times()
        _me.num_fds()
        _me.create_time()


def in_thread(function: Callable[[], float]) -> float:
    """Run ``function`` on a fresh Python thread and return its result."""
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def hot_seconds(tick: Callable[[], None], calls: int) -> float:
    def run() -> float:
        for _ in range(20):
            tick()
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(calls):
                tick()
            best = min(best, (time.perf_counter() - start) / calls)
        return best

    return in_thread(run)


def cold_seconds(tick: Callable[[], None], samples: int) -> float:
    def run() -> float:
        tick()
        timings = []
        for _ in range(samples):
            time.sleep(1.0)
            start = time.perf_counter()
            tick()
            timings.append(time.perf_counter() - start)
        return statistics.median(timings)

    return in_thread(run)


def calibrate(target_seconds: float) -> int:
    """Work units for one ~target_seconds iteration of the pure-Python loop (the fastest
    of a few timings: other load only ever makes an iteration slower)."""
    units = 1000
    while True:
        elapsed = min(timed(lambda: work(units)) for _ in range(5))
        if elapsed > 0.02:
            return max(1, int(units * target_seconds / elapsed))
        units *= 2


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def work(units: int) -> int:
    total = 0
    for i in range(units):
        total += i * i % 7
    return total


def run_blocks(units: int, blocks: int, per_block: int) -> tuple[list[float], float, float]:
    """Wall seconds of each block of ``per_block`` iterations, plus the process's CPU
    seconds outside this thread (the sampler's cost) and the wall seconds in all."""
    walls = []
    process_start, thread_start, wall_start = time.process_time(), time.thread_time(), time.perf_counter()
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(per_block):
            work(units)
        walls.append(time.perf_counter() - start)
    elapsed = time.perf_counter() - wall_start
    other_cpu = (time.process_time() - process_start) - (time.thread_time() - thread_start)
    return walls, other_cpu, elapsed


class PsutilSampler:
    """The usual Python resource monitor: a daemon thread sampling every interval."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            psutil_tick()

    def __enter__(self) -> PsutilSampler:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join()


def tick_costs(tick: Callable[[], None], calls: int, cold_samples: int) -> None:
    print("\n1. one sampling tick")
    variants: list[tuple[str, Callable[[], None]]] = [
        ("finmon sample_now (5 sources)", tick),
        ("psutil cpu+memory+disk", psutil_tick),
        ("psutil cpu+memory+disk+process", psutil_tick_with_process),
    ]
    hot = {name: hot_seconds(function, calls) for name, function in variants}
    cold = {name: cold_seconds(function, cold_samples) for name, function in variants}
    ours = variants[0][0]
    for name, _ in variants:
        print(f"  {name:<32} hot {hot[name] * 1e6:8.1f} us ({hot[name] / hot[ours]:5.2f}x)   "
              f"cold {cold[name] * 1e6:8.1f} us ({cold[name] / cold[ours]:5.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="hot calls per timing")
    parser.add_argument("--cold", type=int, default=8, help="cold samples per variant (1 s apart)")
    parser.add_argument("--blocks", type=int, default=10, help="blocks of 20 x 5 ms iterations per run")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--loop-only", action="store_true", help="skip part 1")
    args = parser.parse_args()

    collector = finmon.MetricsCollector()
    monitor = finmon.ResourceMonitor(collector)
    tick = finmon_tick(collector._live_handle())
    print(f"library {_native.library_path()}, psutil {psutil.__version__}, {psutil.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")

    if not args.loop_only:
        tick_costs(tick, args.calls, args.cold)

    print(f"\n2. a pure-Python loop of 5 ms iterations, sampling every {args.interval} s")
    units = calibrate(0.005)
    blocks: dict[str, list[float]] = {"none": [], "finmon": [], "psutil": []}
    other_cpu = {name: 0.0 for name in blocks}
    wall = {name: 0.0 for name in blocks}
    order = list(blocks)
    for round_index in range(args.rounds):
        # Rotate the order so no configuration always follows another.
        for name in order[round_index % 3:] + order[:round_index % 3]:
            sampler: PsutilSampler | None = None
            if name == "finmon":
                monitor.start_monitoring(args.interval)
            elif name == "psutil":
                sampler = PsutilSampler(args.interval).__enter__()
            walls, cpu, elapsed = run_blocks(units, args.blocks, 20)
            if name == "finmon":
                monitor.stop_monitoring()
            elif sampler is not None:
                sampler.__exit__()
            blocks[name] += walls
            other_cpu[name] += cpu
            wall[name] += elapsed
    base = statistics.median(blocks["none"])
    for name, values in blocks.items():
        median = statistics.median(values)
        q1, _, q3 = statistics.quantiles(values, n=4)
        print(f"  {name:<7} median block (20 iterations) {median * 1e3:7.2f} ms  ratio {median / base:6.4f}  "
              f"IQR {q1 * 1e3:6.2f}-{q3 * 1e3:6.2f} ms  other-thread CPU {other_cpu[name] / wall[name] * 100:5.2f}% "
              f"of wall ({len(values)} blocks)")
    collector.close()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
