"""Cost of finmon's container hooks from Python, with 0 and with 100 tracked containers.

Side by side in one run, against what a pure-Python monitor does for the same hook:
prometheus_client for the local bookkeeping (a labelled gauge set + a counter), and
docker-py's one-shot stats call (the engine round trip the hook leaves to the library's
thread). Each timed sample is one hook call, measured two ways:

- back to back: calls in a tight loop (a stats call then mostly joins the query still
  in flight for the container);
- settled: before each call the benchmark waits (untimed) until the library has no
  query in flight and then 1 ms more, so every stats call schedules a real query. A call
  after a pause is slower for any code on this machine (cold caches, a thread just
  woken): prometheus_client gets the same pause, so the ratios stay fair.

Needs podman (the project's test engine, as in the tests):

    swift build -c release
    PYTHONPATH=python:python/tests FINMON_LIB=$PWD/.build/release/libfinmon.so \\
        CONTAINERS_CONF=$PWD/config/containers.conf python3 Benchmarks/bench_containers.py
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import prometheus_client

import finmon
from servers import SANDBOX_IMAGE, PodmanService


def per_call_ns(call: Callable[[], Any], rounds: int, settle: Callable[[], None] | None = None) -> float:
    """Median wall time of one call, in ns; ``settle`` runs untimed after each call."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
        if settle is not None:
            settle()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()

    label = f"finmon-bench-{uuid.uuid4().hex[:8]}"
    with PodmanService() as engine:
        client = engine.docker_client()

        def start(_: int) -> Any:
            # Only a label of this run: another test session closing its engine removes the
            # finlab-sandbox containers created since it started, whoever made them.
            return client.containers.run(SANDBOX_IMAGE, ["sleep", "3600"], detach=True, labels={label: "1"})

        with ThreadPoolExecutor(max_workers=8) as pool:
            containers = list(pool.map(start, range(args.containers + 1)))
        try:
            rows = measure(client, label, containers, args.rounds)
        finally:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda c: c.remove(force=True), containers))
    report(rows)


def measure(client: Any, label: str, containers: list[Any], rounds: int) -> list[tuple[str, float, float]]:
    """Every row: (name, back-to-back ns, settled ns)."""
    target, others = containers[0], containers[1:]
    collector = finmon.MetricsCollector()
    monitor = finmon.ContainerMonitor(collector, client, label=label)

    def idle() -> None:
        while monitor.get_status()["queries_in_flight"]:
            time.sleep(0.0002)

    def settled() -> None:
        idle()
        time.sleep(0.001)

    def created_and_cleanup() -> None:
        monitor.record_container_created(target.id)
        monitor.record_container_cleanup(target.id, success=True)

    rows: list[tuple[str, float, float]] = []
    for tracked, polling in ((0, False), (len(others), False), (len(others), True)):
        for other in others[:tracked]:
            monitor.record_container_created(other.id)
        idle()
        if polling:
            monitor.start_polling(interval_seconds=10)  # cycles over every container run meanwhile
        where = f"{tracked} tracked" + (", polling every 10 s" if polling else "")
        monitor.record_container_created(target.id)
        idle()
        rows.append((f"record_container_stats, {where}",
                     per_call_ns(lambda: monitor.record_container_stats(target.id), rounds),
                     per_call_ns(lambda: monitor.record_container_stats(target.id), rounds, settled)))
        idle()
        monitor.record_container_cleanup(target.id, success=True)
        rows.append((f"record_container_created + _cleanup, {where}",
                     per_call_ns(created_and_cleanup, rounds),
                     per_call_ns(created_and_cleanup, rounds, settled)))
        status = monitor.get_status()
        monitor.stop_polling()
        if polling:
            print(f"polling: {status['cycles_completed']} cycles, the last over {status['last_cycle_containers']} "
                  f"containers in {status['last_cycle_seconds']:.3f} s")

    # What a Python monitor does for the same hooks.
    registry = prometheus_client.CollectorRegistry()
    memory = prometheus_client.Gauge("container_memory_usage_bytes", "m", ["container_id"], registry=registry)
    active = prometheus_client.Gauge("active_containers", "a", registry=registry)
    cleaned = prometheus_client.Counter("container_cleanup_success_total", "c", registry=registry)

    def python_created_and_cleanup() -> None:
        active.inc()
        memory.labels(target.id).set(1.0)
        active.dec()
        cleaned.inc()
        memory.remove(target.id)

    def python_stats() -> None:
        stats = client.api.stats(target.id, stream=False, one_shot=True)
        memory.labels(target.id).set(stats["memory_stats"].get("usage", 0))

    rows.append(("prometheus_client: created + cleanup bookkeeping only",
                 per_call_ns(python_created_and_cleanup, rounds),
                 per_call_ns(python_created_and_cleanup, rounds, lambda: time.sleep(0.001))))
    stats_rounds = max(50, rounds // 20)
    rows.append(("docker-py one-shot stats + prometheus_client gauge",
                 per_call_ns(python_stats, stats_rounds),
                 per_call_ns(python_stats, stats_rounds, lambda: time.sleep(0.001))))

    collector.close()
    return rows


def report(rows: list[tuple[str, float, float]]) -> None:
    hot, cold = rows[0][1], rows[0][2]
    print(f"\n{'median per call':<70} {'back to back':>14} {'settled':>12}   (ratio to record_container_stats, 0 tracked)")
    for name, back_to_back, after_pause in rows:
        print(f"{name:<70} {back_to_back / 1000:9.2f} us {after_pause / 1000:9.2f} us"
              f"   {back_to_back / hot:7.2f}x {after_pause / cold:7.2f}x")


if __name__ == "__main__":
    main()
