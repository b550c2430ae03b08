"""finmon.bridge: what one endpoint for finmon and prometheus_client costs, both directions.

1. finmon in prometheus_client's registry (``REGISTRY.register(collector)``): the cost of
   one ``generate_latest(registry)`` with finmon's catalog plus N labelled finmon series,
   against the same N series held by prometheus_client itself, and where finmon's part of
   the time goes (the library's rendering, finmon.bridge's parse, prometheus_client's
   rendering of the parsed families; and prometheus_client's own parser on the same text,
   for comparison).
2. A prometheus_client registry on finmon's exporter (``RegistryMirror``): the slowdown of
   a pure-Python loop of 5 ms iterations while a separate process scrapes 10 times a
   second (a) finmon's exporter mirroring a registry of N series (rendered by a Python
   thread once a second) and (b) prometheus_client's own ``start_http_server`` serving the
   same registry; plus the CPU the loop's process spends outside the loop's thread, and one
   mirror refresh.

3. With ``--instructions``: part 1's two scrapes and one mirror refresh counted in CPU
   instructions under ``valgrind --tool=callgrind`` (stable where times are not on a
   shared machine): each variant runs in a fresh interpreter with K and with 0
   repetitions, and the difference over K is one operation.

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_bridge.py
    ... python3 Benchmarks/bench_bridge.py --only 3 --instructions
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import prometheus_client
from prometheus_client.parser import text_string_to_metric_families

import finmon
from finmon import _native
from finmon.bridge import RegistryMirror, families, parse
from instruction_count import count, per_operation

SCRAPER = """
import sys, time, urllib.request
url, rate = sys.argv[1], float(sys.argv[2])
while True:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    time.sleep(max(0.0, 1 / rate - (time.perf_counter() - start)))
"""


def best(function: Callable[[], object], repeat: int) -> float:
    """Median of ``repeat`` timings of ``function`` (seconds)."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def user_registry(series: int) -> prometheus_client.CollectorRegistry:
    """A loop's own prometheus_client metrics: a labelled gauge with ``series`` children."""
    registry = prometheus_client.CollectorRegistry()
    gauge = prometheus_client.Gauge("loop_worker_value", "A value per worker.", ["worker"], registry=registry)
    for index in range(series):
        gauge.labels(worker=f"w{index:05d}").set(index * 0.5)
    return registry


def finmon_registered(size: int) -> tuple[finmon.MetricsCollector, prometheus_client.CollectorRegistry]:
    """A finmon collector with ``size`` labelled series, registered in a new registry."""
    collector = finmon.MetricsCollector()
    gauge = collector.gauge("bench_worker_value", "A value per worker.", ["worker"])
    for index in range(size):
        gauge.labels(worker=f"w{index:05d}").set(index * 0.5)
    registry = prometheus_client.CollectorRegistry()
    registry.register(collector)
    return collector, registry


def part_one(sizes: list[int], repeat: int) -> None:
    print("1. generate_latest(registry) with finmon registered, N labelled series in finmon")
    print(f"   {'N':>6} {'finmon registered':>18} {'prometheus_client alone':>24} {'ratio':>6}   "
          f"{'render (lib)':>12} {'parse':>8} {'re-render':>10} {'their parser':>13}")
    for size in sizes:
        collector, with_finmon = finmon_registered(size)
        alone = user_registry(size)
        ours = best(lambda: prometheus_client.generate_latest(with_finmon), repeat)
        theirs = best(lambda: prometheus_client.generate_latest(alone), repeat)
        text = collector.generate_latest()
        render = best(collector.generate_latest, repeat)
        ours_parse = best(lambda: parse(text.decode()), repeat)
        their_parse = best(lambda: list(text_string_to_metric_families(text.decode())), repeat)
        parsed = families(collector)

        class Parsed:
            def collect(self) -> list[prometheus_client.Metric]:
                return parsed

        rerender = best(lambda: prometheus_client.generate_latest(Parsed()), repeat)  # type: ignore[arg-type]
        print(f"   {size:>6} {ours * 1e3:>15.2f} ms {theirs * 1e3:>21.2f} ms {ours / theirs:>6.2f}   "
              f"{render * 1e3:>9.2f} ms {ours_parse * 1e3:>5.2f} ms {rerender * 1e3:>7.2f} ms "
              f"{their_parse * 1e3:>10.2f} ms")
        collector.close()


def calibrate(target_seconds: float) -> int:
    units = 1000
    while True:
        start = time.perf_counter()
        work(units)
        elapsed = time.perf_counter() - start
        if elapsed > 0.02:
            return max(1, int(units * target_seconds / elapsed))
        units *= 2


def work(units: int) -> int:
    total = 0
    for i in range(units):
        total += i * i % 7
    return total


def loop_blocks(units: int, blocks: int) -> tuple[list[float], float]:
    """Wall seconds per block of 20 iterations, and the process's CPU outside this thread
    as a fraction of the wall time."""
    walls = []
    process, thread, wall = time.process_time(), time.thread_time(), time.perf_counter()
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(20):
            work(units)
        walls.append(time.perf_counter() - start)
    other = (time.process_time() - process) - (time.thread_time() - thread)
    return walls, other / (time.perf_counter() - wall)


def part_two(series: int, rate: float, blocks: int, rounds: int) -> None:
    print(f"\n2. a pure-Python loop of 5 ms iterations; a registry of {series} series scraped {rate:g}/s "
          "by another process")
    registry = user_registry(series)
    collector = finmon.MetricsCollector()
    mirror = RegistryMirror(collector, registry, interval=1.0)
    finmon_port = collector.start_http_server(port=0)
    server, server_thread = prometheus_client.start_http_server(0, addr="127.0.0.1", registry=registry)
    client_port = server.server_address[1]
    refresh = best(mirror.refresh, 20)
    print(f"   one mirror refresh (render text + OpenMetrics, attach): {refresh * 1e3:.2f} ms, once a second")

    units = calibrate(0.005)
    results: dict[str, list[float]] = {"none": [], "finmon mirror": [], "prometheus_client": []}
    other: dict[str, list[float]] = {name: [] for name in results}
    urls = {"finmon mirror": f"http://127.0.0.1:{finmon_port}/metrics",
            "prometheus_client": f"http://127.0.0.1:{client_port}/metrics"}
    names = list(results)
    for round_index in range(rounds):
        for name in names[round_index % 3:] + names[:round_index % 3]:
            scraper = None
            if name in urls:
                scraper = subprocess.Popen([sys.executable, "-c", SCRAPER, urls[name], str(rate)])
                time.sleep(0.5)
            walls, fraction = loop_blocks(units, blocks)
            if scraper is not None:
                scraper.terminate()
                scraper.wait()
            results[name] += walls
            other[name].append(fraction)
    base = statistics.median(results["none"])
    for name, walls in results.items():
        median = statistics.median(walls)
        q1, _, q3 = statistics.quantiles(walls, n=4)
        print(f"   {name:<18} median block {median * 1e3:7.2f} ms  ratio {median / base:6.3f}  "
              f"IQR {q1 * 1e3:6.2f}-{q3 * 1e3:6.2f} ms  other-thread CPU {statistics.median(other[name]) * 100:5.2f}%")
    mirror.stop()
    server.shutdown()
    server_thread.join()
    collector.close()


def operation(kind: str, size: int) -> Callable[[], object]:
    """One operation of part 3, set up (outside what is counted twice)."""
    if kind == "finmon-registered":
        _, registry = finmon_registered(size)
        return lambda: prometheus_client.generate_latest(registry)
    if kind == "prometheus_client-alone":
        alone = user_registry(size)
        return lambda: prometheus_client.generate_latest(alone)
    if kind == "mirror-refresh":
        mirror = RegistryMirror(finmon.MetricsCollector(), user_registry(size), interval=3600)
        return mirror.refresh
    raise ValueError(kind)


def instructions(kind: str, size: int, repetitions: int) -> int:
    """Instructions (callgrind Ir) of one run of this script doing ``repetitions`` operations."""
    return count([sys.executable, __file__, "--op", kind, "--size", str(size), "--count", str(repetitions)])


def part_three(sizes: list[int], count: int) -> None:
    print(f"\n3. instructions per operation (callgrind, ({count} - 0 repetitions) / {count})")
    for size in sizes:
        per = {kind: per_operation(lambda k, kind=kind: instructions(kind, size, k), count)
               for kind in ("finmon-registered", "prometheus_client-alone", "mirror-refresh")}
        print(f"   N={size:>6}: generate_latest with finmon registered {per['finmon-registered'] / 1e6:8.2f} M, "
              f"prometheus_client alone {per['prometheus_client-alone'] / 1e6:8.2f} M "
              f"(ratio {per['finmon-registered'] / per['prometheus_client-alone']:.2f}); "
              f"one mirror refresh of N prometheus_client series {per['mirror-refresh'] / 1e6:8.2f} M")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="finmon series counts for part 1")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--series", type=int, default=1000, help="prometheus_client series for part 2")
    parser.add_argument("--rate", type=float, default=10.0, help="scrapes per second in part 2")
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", default="12")
    parser.add_argument("--instructions", action="store_true", help="part 3 (needs valgrind)")
    parser.add_argument("--count", type=int, default=5, help="repetitions counted in part 3")
    parser.add_argument("--op", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.op:  # one measured process of part 3
        run = operation(args.op, args.size)
        for _ in range(args.count):
            run()
        return
    print(f"library {_native.library_path()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if "1" in args.only:
        part_one([int(size) for size in args.sizes.split(",")], args.repeat)
    if "2" in args.only:
        part_two(args.series, args.rate, args.blocks, args.rounds)
    if "3" in args.only and args.instructions:
        part_three([int(size) for size in args.sizes.split(",")], args.count)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    threading.current_thread().name = "loop"
    main()
