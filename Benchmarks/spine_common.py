"""bench_spine's shared parts: the loop's catalog (gauges, containers, buckets) and the
statistics (interleaved rounds, medians with interquartile ranges)."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SWIFT_PACKAGE = HERE / "swift"
SWIFT_BINARY = SWIFT_PACKAGE / ".build" / "release" / "RegistryBench"

# The loop's catalog update: which gauges, how many containers.
GAUGES = ["system_memory_usage", "system_cpu_usage", "population_diversity", "population_size",
          "champion_sharpe_ratio"]
CONTAINERS = 20
EXECUTION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]


def container_id(index: int) -> str:
    """A 12-hex-digit id like Docker's short ids, the same in every benchmark and process."""
    return f"{(index * 2654435761) & 0xFFFFFFFFFFFF:012x}"


# ---- statistics ----------------------------------------------------------------------------


@dataclass
class Stat:
    """Median, quartiles and minimum of repeated measurements."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def minimum(self) -> float:
        return min(self.values)

    @property
    def q1(self) -> float:
        return _quantile(self.values, 0.25)

    @property
    def q3(self) -> float:
        return _quantile(self.values, 0.75)

    def iqr_text(self, scale: float = 1.0, digits: int = 1) -> str:
        return f"{self.q1 * scale:.{digits}f}-{self.q3 * scale:.{digits}f}"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def interleaved(variants: dict[str, Callable[[], float]], repeats: int) -> dict[str, Stat]:
    """Run every variant once per round, ``repeats`` rounds; each call returns one measurement."""
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            results[name].append(run())
    return {name: Stat(values) for name, values in results.items()}


def timed_loop(run: Callable[[int], None], iterations: int) -> Callable[[], float]:
    """One measurement: ns per iteration of ``run(iterations)``, with the GC off as timeit does."""

    def measure() -> float:
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter_ns()
            run(iterations)
            return (time.perf_counter_ns() - start) / iterations
        finally:
            gc.enable()

    return measure
