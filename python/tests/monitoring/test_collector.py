"""MetricsCollector through the shim: the catalog, custom metrics, labels, read-back."""

from __future__ import annotations

import math

import pytest

import finmon

EXPECTED_TYPES = {
    "system_memory_usage_bytes": "gauge",
    "system_memory_total_bytes": "gauge",
    "system_cpu_usage_percent": "gauge",
    "execution_time_seconds": "histogram",
    "strategy_success_total": "counter",
    "strategy_failure_total": "counter",
    "strategy_sharpe_ratio": "gauge",
    "strategy_max_drawdown": "gauge",
    "population_diversity": "gauge",
    "unique_strategy_count": "gauge",
    "champion_staleness_iterations": "gauge",
    "champion_updates_total": "counter",
    "active_containers": "gauge",
    "orphaned_containers": "gauge",
    "container_memory_usage_bytes": "gauge",
    "container_cpu_usage_percent": "gauge",
    "container_cleanup_success_total": "counter",
    "container_cleanup_failure_total": "counter",
    "alerts_triggered_total": "counter",
    "alert_active": "gauge",
}


def test_catalog_has_the_original_names_and_types(collector: finmon.MetricsCollector) -> None:
    text = collector.generate_latest().decode()
    for name, kind in EXPECTED_TYPES.items():
        assert f"# TYPE {name} {kind}\n" in text, name
        help_line = next(line for line in text.splitlines() if line.startswith(f"# HELP {name} "))
        assert len(help_line) > len(f"# HELP {name} ") + 10
    for attribute, name in finmon.CATALOG.items():
        assert getattr(collector, attribute).name == name
    assert collector.container_memory_usage.labelnames == ("container_id",)
    assert collector.alerts_triggered.labelnames == ("alert_type",)


def test_verbs_update_and_read_back(collector: finmon.MetricsCollector) -> None:
    collector.population_diversity.set(0.4)
    collector.strategy_success.inc()
    collector.strategy_success.inc(2.5)
    collector.active_containers.inc(3)
    collector.active_containers.dec()
    collector.execution_time.observe(0.3)
    collector.execution_time.observe(7)
    child = collector.container_memory_usage.labels(container_id="abc")
    child.set(1e6)
    assert collector.get_sample_value("population_diversity") == 0.4
    assert collector.get_sample_value("strategy_success_total") == 3.5
    assert collector.active_containers.get() == 2
    assert collector.get_sample_value("execution_time_seconds_count") == 2
    assert collector.get_sample_value("execution_time_seconds_sum") == pytest.approx(7.3)
    assert collector.get_sample_value("execution_time_seconds_bucket", {"le": "0.5"}) == 1
    assert collector.get_sample_value("execution_time_seconds_bucket", {"le": "+Inf"}) == 2
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "abc"}) == 1e6
    assert child.get() == 1e6
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "nope"}) is None
    assert collector.get_sample_value("no_such_metric") is None


def test_labels_by_name_or_position_bind_the_same_series(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("pairs", "A labeled gauge.", labelnames=("a", "b"))
    gauge.labels("1", "2").set(5)
    assert gauge.labels(b="2", a="1").get() == 5
    assert gauge.labels(a=1, b=2) is gauge.labels("1", "2")
    assert collector.get_sample_value("pairs", {"b": "2", "a": "1"}) == 5


def test_remove_and_clear(collector: finmon.MetricsCollector) -> None:
    memory = collector.container_memory_usage
    old = memory.labels(container_id="a")
    old.set(1)
    memory.labels(container_id="b").set(2)
    assert memory.series_count() == 2
    memory.remove("a")
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "a"}) is None
    assert memory.series_count() == 1
    # The old child re-creates its series, as prometheus_client's would.
    old.set(3)
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "a"}) == 3
    memory.clear()
    assert memory.series_count() == 0
    assert 'container_id="b"' not in collector.generate_latest().decode()
    collector.population_diversity.set(0.7)
    collector.population_diversity.clear()
    assert collector.get_sample_value("population_diversity") == 0.0


def test_custom_metrics_and_idempotent_registration(collector: finmon.MetricsCollector) -> None:
    counter = collector.counter("jobs_total", "Jobs done.", labelnames=["queue"])
    assert collector.counter("jobs_total", "Jobs done.", labelnames=["queue"]) is counter
    counter.labels(queue="fast").inc()
    histogram = collector.histogram("latency_seconds", "Latency.", buckets=[0.1, 1, 10])
    histogram.observe(0.5)
    assert collector.get_sample_value("latency_seconds_bucket", {"le": "1.0"}) == 1
    with pytest.raises(finmon.ConflictError, match="already registered"):
        collector.gauge("jobs_total", "Now a gauge.")
    with pytest.raises(finmon.ConflictError):
        collector.counter("jobs_total", "Jobs done.", labelnames=["other"])


def test_special_values_are_exposed_in_prometheus_spelling(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("specials", "Special values.", labelnames=["kind"])
    gauge.labels("nan").set(math.nan)
    gauge.labels("pinf").set(math.inf)
    gauge.labels("ninf").set(-math.inf)
    text = collector.generate_latest().decode()
    assert 'specials{kind="nan"} NaN\n' in text
    assert 'specials{kind="pinf"} +Inf\n' in text
    assert 'specials{kind="ninf"} -Inf\n' in text


def test_label_values_are_escaped(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("escaped", "Help with \\ and\nnewline.", labelnames=["v"])
    gauge.labels('a"b\\c\nd').set(1)
    text = collector.generate_latest().decode()
    assert 'escaped{v="a\\"b\\\\c\\nd"} 1.0\n' in text
    assert "# HELP escaped Help with \\\\ and\\nnewline.\n" in text


def test_errors_are_python_exceptions_with_the_library_message(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(finmon.InvalidArgumentError, match="non-negative"):
        collector.strategy_success.inc(-1)
    with pytest.raises(ValueError, match="NaN"):
        collector.execution_time.observe(math.nan)
    with pytest.raises(finmon.InvalidNameError, match="invalid metric name"):
        collector.gauge("bad name", "x")
    with pytest.raises(finmon.InvalidNameError, match="reserved"):
        collector.gauge("ok_name", "x", labelnames=["__reserved"])
    with pytest.raises(finmon.LabelError, match="container_id"):
        collector.container_memory_usage.labels(pod="x")
    with pytest.raises(finmon.LabelError):
        collector.container_memory_usage.set(1)  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        collector.population_diversity.set("high")  # type: ignore[arg-type]
    with pytest.raises(finmon.MetricTypeError):
        collector.strategy_success.labels().set(1)
    with pytest.raises(finmon.InvalidArgumentError, match="buckets"):
        collector.histogram("h_bad", "x", buckets=[2, 1])
    assert collector.get_sample_value("strategy_success_total") == 0.0


def test_series_cap_drops_and_counts(collector: finmon.MetricsCollector) -> None:
    gauge = collector.gauge("capped", "Capped gauge.", labelnames=["id"])
    for i in range(10_000):
        gauge.labels(str(i)).set(i)
    extra = gauge.labels("one-too-many")
    assert extra.dropped
    extra.set(1)  # writes nowhere, does not fail
    assert gauge.series_count() == 10_000
    assert collector.get_sample_value("finmon_dropped_series_total", {"family": "capped"}) == 1
    gauge.remove("0")
    assert not gauge.labels("one-too-many").dropped


def test_batch_applies_all_or_nothing(collector: finmon.MetricsCollector) -> None:
    child = collector.container_cpu_usage.labels(container_id="c1")
    with collector.batch() as batch:
        batch.set(collector.population_diversity, 0.25)
        batch.inc(collector.strategy_failure, 2)
        batch.observe(collector.execution_time, 1.5)
        batch.set(child, 55.0)
    assert collector.get_sample_value("population_diversity") == 0.25
    assert collector.get_sample_value("strategy_failure_total") == 2
    assert collector.get_sample_value("container_cpu_usage_percent", {"container_id": "c1"}) == 55.0
    batch = collector.batch()
    batch.set(collector.population_diversity, 0.9)
    batch.inc(collector.strategy_failure, -1)
    with pytest.raises(finmon.InvalidArgumentError):
        batch.apply()
    assert collector.get_sample_value("population_diversity") == 0.25
    assert len(batch) == 0


def test_closed_collector_refuses_calls() -> None:
    collector = finmon.MetricsCollector()
    diversity = collector.population_diversity
    collector.close()
    collector.close()  # idempotent
    with pytest.raises(finmon.InvalidHandleError):
        collector.get_sample_value("population_diversity")
    with pytest.raises(finmon.InvalidHandleError):
        diversity.set(0.1)


def test_openmetrics_rendering(collector: finmon.MetricsCollector) -> None:
    collector.strategy_success.inc()
    text = collector.generate_latest(openmetrics=True).decode()
    assert "# TYPE strategy_success counter\n" in text
    assert "strategy_success_total 1.0\n" in text
    assert text.endswith("# EOF\n")


def test_prepared_batch_applies_values_in_one_call(collector: finmon.MetricsCollector) -> None:
    children = [collector.container_memory_usage.labels(container_id=f"c{i}") for i in range(20)]
    update = collector.prepare_batch(
        [("observe", collector.execution_time), ("inc", collector.strategy_success),
         ("set", collector.population_diversity)] + [("set", child) for child in children])
    assert len(update) == 23
    for round_ in range(3):
        update.apply([0.5, 1, 0.3] + [float(round_ * 100 + i) for i in range(20)])
    assert collector.get_sample_value("execution_time_seconds_count") == 3
    assert collector.get_sample_value("strategy_success_total") == 3
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c19"}) == 219
    with pytest.raises(finmon.InvalidArgumentError, match="non-negative"):
        update.apply([0.5, -1, 0.9] + [0.0] * 20)
    assert collector.get_sample_value("population_diversity") == 0.3  # nothing applied
    with pytest.raises(finmon.InvalidArgumentError, match="expected 23 values, got 2"):
        update.apply([1, 2])
    with pytest.raises(TypeError):
        update.apply(["x"] * 23)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown verb"):
        collector.prepare_batch([("bump", collector.strategy_success)])
    with pytest.raises(TypeError):
        collector.prepare_batch([("set", "not a metric")])  # type: ignore[list-item]
    collector.container_memory_usage.remove("c0")
    update.apply([0.5, 1, 0.9] + [7.0] * 20)  # the removed child is re-created
    assert collector.get_sample_value("container_memory_usage_bytes", {"container_id": "c0"}) == 7.0
