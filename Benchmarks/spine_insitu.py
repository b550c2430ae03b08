"""bench_spine (e): one iteration's updates in situ, right after 5 ms of Python work, so
the caches and branch predictors are as a real loop leaves them (a) measures them hot)."""

from __future__ import annotations

import gc
import statistics
import time
from typing import Callable

from spine_common import Stat
from spine_iteration import finmon_catalog, finmon_prepared, idiomatic, prebound, prometheus_catalog


def calibrated_work(target_seconds: float = 0.005) -> Callable[[], float]:
    """Pure-Python work of about ``target_seconds`` that walks a few MB of objects (a list
    of floats and a dict built anew), evicting what the previous update touched."""
    data = [float(i) for i in range(400_000)]

    def work_of(count: int) -> float:
        total = 0.0
        for x in data[:count]:
            total += x * 0.5
        table = {i: total for i in range(count // 8)}
        return total + len(table)

    probe = 20_000
    elapsed = min(_seconds(lambda: work_of(probe)) for _ in range(5))
    count = max(1, min(len(data), int(probe * target_seconds / max(elapsed, 1e-9))))
    return lambda: work_of(count)


def _seconds(body: Callable[[], object]) -> float:
    start = time.perf_counter()
    body()
    return time.perf_counter() - start


def bench_in_situ(per_round: int, rounds: int) -> dict:
    """Median ns of one iteration's updates, each measured alone right after the work;
    variants interleaved round by round."""
    _, prom = prometheus_catalog()
    collector, fin = finmon_catalog()
    variants: dict[str, Callable[[int], None]] = {
        "empty (harness)": lambda n: None,
        "prometheus_client idiomatic": idiomatic(prom),
        "prometheus_client pre-bound": prebound(prom),
        "finmon idiomatic": idiomatic(fin),
        "finmon pre-bound": prebound(fin),
        "finmon PreparedBatch (collector.prepare_batch)": finmon_prepared(collector, fin),
    }
    for run in variants.values():  # children bound, cells mapped: the loop's steady state
        run(3)
    work = calibrated_work()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    gc.disable()
    try:
        for _ in range(rounds):
            for name, run in variants.items():
                times = []
                for _ in range(per_round):
                    work()
                    start = time.perf_counter_ns()
                    run(1)
                    times.append(time.perf_counter_ns() - start)
                samples[name].append(statistics.median(times))
    finally:
        gc.enable()
    work_ms = statistics.median(_seconds(work) for _ in range(5)) * 1e3
    collector.close()
    return {"per_round": per_round, "rounds": rounds, "work_ms": work_ms,
            "stats": {name: Stat(values) for name, values in samples.items()}}
