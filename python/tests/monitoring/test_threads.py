"""Concurrent use from Python threads."""

from __future__ import annotations

import threading

import finmon


def test_eight_threads_increment_exactly(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("work_total", "Work items.")
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(100_000):
            counter.inc()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert collector.get_sample_value("work_total") == 800_000


def test_labels_from_many_threads_bind_one_series(collector: finmon.MetricsCollector) -> None:
    gauge = collector.container_memory_usage
    barrier = threading.Barrier(8)

    def worker(index: int) -> None:
        barrier.wait()
        for i in range(2_000):
            gauge.labels(container_id=f"c{i % 50}").inc()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gauge.series_count() == 50
    assert sum(gauge.labels(container_id=f"c{i}").get() for i in range(50)) == 16_000
