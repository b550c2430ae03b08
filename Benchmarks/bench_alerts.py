"""One alert evaluation cycle (all eight rules) in finmon against the same rules in Python.

State before timing: 1,000 diversity samples recorded (history size 1000), 1,000 loop
outcomes (success window 10), a champion, memory/CPU/orphan and resident-memory readings
injected (as the resource and container monitors' providers would supply them), with no
hold-down (the shipped 2 minutes would keep the transitions from happening). Values are calm, so a cycle
is the steady state: gather the snapshot, run every rule, no transition. A second figure
alternates memory across its threshold so every cycle is a transition (log line off,
metrics, the event queued for logging, no receiver; the shim's logging thread is
stopped so that Python's logging is not part of the figure).

finmon's cycle is timed through ctypes (``finmon_alerts_evaluate(handle, NULL)``) and the
cost of a ctypes call of the same shape (``finmon_exporter_port``) is subtracted. The
Python references are the original design's way: the history in a ``deque(maxlen=1000)``,
rules as Python code, prometheus_client metrics updated on transitions; the second
reference also reads memory and CPU with psutil each cycle, as the original AlertManager
did (finmon's providers hand over the resource monitor's cached sample instead).

    swift build -c release
    PYTHONPATH=python FINMON_LIB=$PWD/.build/release/libfinmon.so python3 Benchmarks/bench_alerts.py
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import random
import time
import timeit
from collections import deque
from ctypes import c_int, c_void_p

import prometheus_client
import psutil

import finmon
from finmon import _native

HISTORY = 1000


def best_seconds(function, repeat: int) -> float:
    timer = timeit.Timer(function)
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=loops)) / loops


class PythonAlertManager:
    """The original design's rules in Python, over the same signals."""

    def __init__(self, read_psutil: bool) -> None:
        self.read_psutil = read_psutil
        registry = prometheus_client.CollectorRegistry()
        self.triggered = prometheus_client.Counter("alerts_triggered_total", "", ["alert_type"], registry=registry)
        self.active_gauge = prometheus_client.Gauge("alert_active", "", ["alert_type"], registry=registry)
        self.active: dict[str, bool] = {}
        self.diversity: deque[float] = deque(maxlen=HISTORY)
        self.outcomes: deque[bool] = deque(maxlen=10)
        self.memory_percent = 50.0
        self.cpu_percent = 20.0
        self.iteration = 0
        self.champion_iteration = 0
        self.orphans = 0
        self.rss, self.rss_slope, self.memory_limit = 1e9, 0.0, 8e9
        self.last_iteration = time.monotonic()

    def check(self) -> list[tuple[str, bool]]:
        if self.read_psutil:
            self.memory_percent = psutil.virtual_memory().percent
            self.cpu_percent = psutil.cpu_percent(interval=None)
        recent = list(itertools.islice(self.diversity, max(len(self.diversity) - 5, 0), None))
        rate = sum(self.outcomes) / len(self.outcomes) if len(self.outcomes) == 10 else None
        conditions = {
            "high_memory": self.memory_percent > 80,
            "high_cpu": self.cpu_percent > 90,
            "diversity_collapse": len(recent) == 5 and max(recent) < 0.1,
            "champion_staleness": self.iteration - self.champion_iteration >= 20,
            "low_success_rate": rate is not None and rate * 100 < 20,
            "orphaned_containers": self.orphans >= 3,
            "memory_leak": self.rss + self.rss_slope * 3600 >= self.memory_limit,
            "loop_stuck": time.monotonic() - self.last_iteration > 600,
        }
        events = []
        for alert_type, breached in conditions.items():
            if breached != self.active.get(alert_type, False):
                self.active[alert_type] = breached
                if breached:
                    self.triggered.labels(alert_type).inc()
                self.active_gauge.labels(alert_type).set(1 if breached else 0)
                events.append((alert_type, breached))
        return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    generator = random.Random(1)
    collector = finmon.MetricsCollector()
    # The shim's logging thread would log every transition (and take the GIL to do so);
    # the events stay queued in the library (bounded) instead.
    if collector._pump is not None:
        collector._pump.stop()
        collector._pump = None
    from finmon.testing import NO_HOLD_DOWN

    manager = finmon.AlertManager(finmon.AlertConfig(log_file=None, for_seconds=NO_HOLD_DOWN), collector)
    monitor = finmon.DiversityMonitor(collector)
    reference = PythonAlertManager(read_psutil=False)
    for iteration in range(HISTORY):
        level = 0.3 + 0.4 * generator.random()
        success = generator.random() < 0.6
        monitor.record_diversity(iteration, level, unique_count=10, total_count=20)
        collector.record_iteration(iteration, success, 0.01)
        reference.diversity.append(level)
        reference.outcomes.append(success)
    monitor.record_champion_update(HISTORY - 5, old_sharpe=None, new_sharpe=1.0)
    reference.iteration, reference.champion_iteration = HISTORY - 1, HISTORY - 5
    manager.inject_snapshot(memory_percent=50, cpu_percent=20, orphaned_containers=0, resident_memory_bytes=1e9,
                            resident_memory_growth_bytes_per_second=0.0, memory_limit_bytes=8e9)
    assert manager.evaluate() == [] and reference.check() == []

    # Private prototypes on PyDLL (the GIL kept): both calls then cost the same to cross.
    lib = ctypes.PyDLL(str(_native.library_path()))
    evaluate = lib.finmon_alerts_evaluate
    evaluate.argtypes, evaluate.restype = [c_void_p, c_void_p], c_int
    port = lib.finmon_exporter_port
    port.argtypes, port.restype = [c_void_p, c_void_p], c_int
    handle = collector._live_handle()
    out = c_int()
    out_pointer = ctypes.cast(ctypes.pointer(out), c_void_p)
    assert evaluate(handle, None) == 0

    crossing = best_seconds(lambda: port(handle, out_pointer), args.repeat)
    steady = best_seconds(lambda: evaluate(handle, None), args.repeat)
    finmon_cycle = steady - crossing

    toggle = itertools.cycle([90.0, 50.0])
    inject = lib.finmon_alerts_inject
    inject.argtypes, inject.restype = [c_void_p, c_int, ctypes.c_double], c_int

    def transition() -> None:
        inject(handle, 0, next(toggle))
        evaluate(handle, None)

    inject_cost = best_seconds(lambda: inject(handle, 0, 50.0), args.repeat)
    events_before = collector.get_sample_value("alerts_triggered_total", {"alert_type": "high_memory"})
    finmon_transition = best_seconds(transition, args.repeat) - inject_cost - crossing
    assert collector.get_sample_value("alerts_triggered_total", {"alert_type": "high_memory"}) != events_before

    python_steady = best_seconds(reference.check, args.repeat)
    flip = itertools.cycle([90.0, 50.0])

    def python_transition() -> None:
        reference.memory_percent = next(flip)
        reference.check()

    python_transition_seconds = best_seconds(python_transition, args.repeat)
    with_psutil = PythonAlertManager(read_psutil=True)
    with_psutil.diversity, with_psutil.outcomes = reference.diversity, reference.outcomes
    psutil_steady = best_seconds(with_psutil.check, args.repeat)

    print(f"one evaluation cycle, 8 rules, diversity history {HISTORY}, success window 10 (best of {args.repeat})")
    print(f"  ctypes crossing (subtracted)              {crossing * 1e6:8.2f} us")
    print(f"  finmon steady cycle                       {finmon_cycle * 1e6:8.2f} us")
    print(f"  finmon transition cycle                   {finmon_transition * 1e6:8.2f} us")
    print(f"  Python rules, steady                      {python_steady * 1e6:8.2f} us   "
          f"ratio {python_steady / finmon_cycle:6.1f}x")
    print(f"  Python rules, transition                  {python_transition_seconds * 1e6:8.2f} us   "
          f"ratio {python_transition_seconds / finmon_transition:6.1f}x")
    print(f"  Python rules + psutil reads, steady       {psutil_steady * 1e6:8.2f} us   "
          f"ratio {psutil_steady / finmon_cycle:6.1f}x")
    print(f"  target: finmon steady cycle < 50 us: {'met' if finmon_cycle < 50e-6 else 'NOT met'}")
    manager.close()
    collector.close()


if __name__ == "__main__":
    main()
