"""One PromQL duration formatter: finmon._promql.duration (used by the dashboard and the
stack) prints every duration exactly as the Swift core's alert rules renderer does. The
Swift side is read through the C ABI: rules rendered from configs whose `for_seconds` and
evaluation interval are the durations under test (those the config accepts: the keys'
bounds keep values past a day out of a file, so the clamp is checked on Python's side)."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

from finmon import dashboard, stack
from finmon._promql import MAX_DURATION_SECONDS, duration
from finmon.config import render_rules

ALERT_TYPES = ["high_memory", "high_cpu", "diversity_collapse", "champion_staleness",
               "low_success_rate", "orphaned_containers"]


#: The longest `for_seconds` the config takes (its table's bound).
MAX_FOR_SECONDS = 86_400


def durations_under_test() -> list[float]:
    """Edge cases (ties at half a millisecond, below 1 ms, whole seconds, the bound) and
    seeded random values over ten orders of magnitude, all within what the config takes."""
    values = [1e-9, 1e-4, 0.0004, 0.0005, 0.0015, 0.0025, 0.0035, 0.001, 0.25, 0.5, 0.9995,
              0.9994999, 1, 1.0005, 1.5, 2.0005, 59.9995, 60, 1234.5675, MAX_FOR_SECONDS - 0.0005,
              MAX_FOR_SECONDS]
    values += [(2 * k + 1) / 2000 for k in range(0, 60)]          # x.5 ms ties
    values += [k + 0.0005 for k in range(1, 40)]                  # whole seconds + half a ms
    rng = random.Random(0xF1A)
    values += [10 ** rng.uniform(-5, math.log10(MAX_FOR_SECONDS)) for _ in range(300)]
    values += [round(rng.uniform(0, 1000), rng.randint(0, 4)) or 0.001 for _ in range(100)]
    return values


def swift_durations(values: list[float], folder: Path) -> list[str]:
    """Each value as the Swift renderer prints it, six per config through `for_seconds`."""
    printed: list[str] = []
    for start in range(0, len(values), len(ALERT_TYPES)):
        chunk = values[start:start + len(ALERT_TYPES)]
        lines = ["monitoring:", "  alerts:", "    for_seconds:"]
        lines += [f"      {name}: {value!r}" for name, value in zip(ALERT_TYPES, chunk)]
        path = folder / f"config_{start}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        rules = render_rules(path)
        fors = re.findall(r"^        for: (\S+)$", rules, re.MULTILINE)
        assert len(fors) == len(chunk), rules
        printed += fors
    return printed


def test_python_duration_matches_the_swift_renderer(tmp_path: Path) -> None:
    values = durations_under_test()
    swift = swift_durations(values, tmp_path)
    mismatches = [(value, ours, theirs) for value, ours, theirs in zip(values, map(duration, values), swift)
                  if ours != theirs]
    assert not mismatches, mismatches[:10]
    # The values reach the interesting branches: ties rounded away from zero, the 1 ms floor.
    assert {"3ms", "1ms", "86400s"} <= set(swift)


def test_values_past_what_the_config_takes_print_as_the_swift_renderer_tests_pin() -> None:
    # AlertRulesRendererTests.durations pins these for the Swift side.
    assert duration(1e300) == duration(MAX_DURATION_SECONDS) == "3153600000s"
    assert duration(0.0001) == "1ms"


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), float("-inf")])
def test_values_the_config_refuses_print_the_floor(value: float) -> None:
    assert duration(value) == "1ms"


def test_dashboard_and_stack_use_the_one_formatter() -> None:
    assert dashboard.duration is duration
    assert stack.duration is duration
