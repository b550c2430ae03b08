"""Hostile input through every public call: the process survives and errors are clear.

A Swift trap would end this very process (SIGILL), so surviving the run is itself the
check that nothing reaches one; each rejected input must also raise a documented
exception with a message that says something.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finmon
from finmon import _native

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -0.0, 1e308, -1e308, 5e-324, 2**53 + 1]),
    st.integers(min_value=-(10**30), max_value=10**30),
)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "a\"b", "back\\slash", "new\nline", "nul\0byte", "\udcff lone surrogate",
                     "x" * 70_000, "é日本🙂", "__reserved", "le", "9starts_with_digit", "ok_name"]),
)
ANYTHING = st.one_of(NUMBERS, TEXTS, st.none(), st.booleans(), st.lists(st.integers(), max_size=3),
                     st.binary(max_size=10))

EXPECTED = (finmon.FinmonError, ValueError, TypeError, OverflowError)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def shared() -> Iterator[finmon.MetricsCollector]:
    collector = finmon.MetricsCollector()
    yield collector
    collector.close()


def attempt(call: Callable[[], Any]) -> None:
    """Run one call: success is fine; failure must be an expected class with a message."""
    try:
        call()
    except EXPECTED as error:
        assert str(error).strip(), f"{type(error).__name__} without a message"


@SETTINGS
@given(value=NUMBERS)
def test_numbers_through_every_verb(shared: finmon.MetricsCollector, value: float) -> None:
    attempt(lambda: shared.population_diversity.set(value))
    attempt(lambda: shared.active_containers.inc(value))
    attempt(lambda: shared.active_containers.dec(value))
    attempt(lambda: shared.strategy_success.inc(value))
    attempt(lambda: shared.execution_time.observe(value))
    attempt(lambda: shared.container_cpu_usage.labels(container_id="fuzz").set(value))
    batch = shared.batch()
    attempt(lambda: batch.inc(shared.strategy_failure, value))
    attempt(batch.apply)
    # Counters never go backwards or become NaN, whatever was thrown at them.
    total = shared.get_sample_value("strategy_success_total")
    assert total is not None and total >= 0 and not math.isnan(total)


@SETTINGS
@given(name=TEXTS, documentation=TEXTS, labels=st.lists(TEXTS, max_size=4),
       kind=st.sampled_from(["counter", "gauge", "histogram"]))
def test_registration_with_hostile_names(shared: finmon.MetricsCollector, name: str, documentation: str,
                                         labels: list[str], kind: str) -> None:
    register = getattr(shared, kind)
    attempt(lambda: register(name, documentation, labelnames=labels))


@SETTINGS
@given(values=st.lists(ANYTHING, max_size=3), named=st.dictionaries(TEXTS, ANYTHING, max_size=3))
def test_hostile_label_sets(shared: finmon.MetricsCollector, values: list[Any], named: dict[str, Any]) -> None:
    metric = shared.container_memory_usage
    attempt(lambda: metric.labels(*values).set(1))
    attempt(lambda: metric.labels(**named).set(1))
    attempt(lambda: metric.remove(*values))
    attempt(lambda: shared.get_sample_value("container_memory_usage_bytes", {str(k): str(v) for k, v in named.items()}))


@SETTINGS
@given(value=ANYTHING)
def test_wrong_types_are_type_errors_or_clear_value_errors(shared: finmon.MetricsCollector, value: Any) -> None:
    attempt(lambda: shared.population_diversity.set(value))
    attempt(lambda: shared.strategy_success.inc(value))
    attempt(lambda: shared.histogram("fuzz_hist_seconds", "h", buckets=[value]))
    attempt(lambda: shared.start_http_server(port=value))  # type: ignore[arg-type]
    shared.stop_http_server()


@SETTINGS
@given(raw=st.binary(max_size=64), count=st.integers(min_value=-5, max_value=70))
def test_raw_abi_bytes_and_counts(shared: finmon.MetricsCollector, raw: bytes, count: int) -> None:
    """Bytes straight into the C ABI: invalid UTF-8, embedded garbage, wrong counts."""
    name = raw.split(b"\0")[0]
    out = ctypes.c_void_p()
    rc = _native.hot.finmon_metric_register(shared._handle, 1, name, b"help", None, 0, None, 0, ctypes.byref(out))
    assert rc in (0, -4, -5, -1, -8), rc
    if rc < 0:
        assert _native.last_error()
    labels = (ctypes.c_char_p * 1)(name)
    series = ctypes.c_void_p()
    metric = shared.container_memory_usage._handle
    rc = _native.hot.finmon_metric_labels(metric, None, labels, ctypes.c_size_t(max(count, 0) % 2), ctypes.byref(series))
    assert rc in (0, 1, -4, -6, -1, -2), rc
    rc = _native.hot.finmon_series_set(ctypes.c_void_p(int.from_bytes(raw[:8].ljust(8, b"\0"), "little") or None), 1.0)
    assert rc in (0, -2, -3, -7), rc


def test_the_collector_still_works_after_the_fuzzing(shared: finmon.MetricsCollector) -> None:
    shared.population_diversity.set(0.5)
    assert shared.get_sample_value("population_diversity") == 0.5
    assert b"population_diversity 0.5" in shared.generate_latest()
