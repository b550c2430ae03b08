"""The audit's bad arguments, one test each: every one is refused with a finmon error (or
a TypeError) that names the argument, before anything is written or started."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

import finmon
from finmon import _native


def test_a_retry_interval_below_its_bound_is_refused_before_listening(collector: finmon.MetricsCollector) -> None:
    # 1e-9 s between bind attempts burned a whole core while the port was busy.
    for interval in (1e-9, 0.0, -1.0, float("nan"), 3601.0):
        with pytest.raises(finmon.InvalidArgumentError, match=r"retry_interval must be a number of seconds in \[0.1, 3600\]"):
            collector.start_http_server(port=0, retry_interval=interval)
    with pytest.raises(finmon.InvalidArgumentError, match="retry_interval is too large"):
        collector.start_http_server(port=0, retry_interval=10**400)
    with pytest.raises(TypeError, match="retry_interval must be a number"):
        collector.start_http_server(port=0, retry_interval="5")  # type: ignore[arg-type]
    assert collector.exporter_port is None
    assert collector.start_http_server(port=0, retry_interval=0.1) is not None


def test_a_nul_inside_the_alert_log_path_is_refused(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    with pytest.raises(finmon.ConfigError, match="AlertConfig.log_file: must not contain NUL"):
        finmon.AlertConfig(log_file=str(tmp_path / "al\0x.jsonl"))
    assert list(tmp_path.iterdir()) == []


def test_cr_or_lf_in_the_alertmanager_url_is_refused_at_validation() -> None:
    for url in ("http://127.0.0.1:9093\r\nX-Injected: 1", "http://127.0.0.1:9093/\n"):
        with pytest.raises(finmon.ConfigError, match="AlertConfig.alertmanager_url: must not contain"):
            finmon.AlertConfig(alertmanager_url=url)


def test_an_address_that_is_not_one_is_refused_at_validation() -> None:
    with pytest.raises(finmon.ConfigError, match="monitoring.prometheus.address: must be an IPv4 or IPv6 address"):
        finmon.MonitoringConfig.defaults().replace({"monitoring.prometheus.address": "999.1.1.1"})
    assert finmon.MonitoringConfig.defaults().replace(
        {"monitoring.prometheus.address": "0.0.0.0"}).monitoring.prometheus.address == "0.0.0.0"


def test_a_batch_update_of_something_that_is_not_a_metric_is_a_type_error(collector: finmon.MetricsCollector) -> None:
    batch = collector.batch()
    with pytest.raises(TypeError, match="a batch update takes a finmon metric or child, got str"):
        batch.set("x", 1)  # type: ignore[arg-type]
    assert len(batch) == 0


def test_unregister_of_something_that_is_not_a_metric_is_a_type_error(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(TypeError, match="unregister\\(\\) takes a finmon metric, got NoneType"):
        collector.unregister(None)  # type: ignore[arg-type]


def test_get_sample_value_with_labels_that_are_not_a_mapping_is_a_type_error(
        collector: finmon.MetricsCollector) -> None:
    with pytest.raises(TypeError, match="labels must be a mapping of label names to values, got list"):
        collector.get_sample_value("alert_active", ["a"])  # type: ignore[arg-type]


def test_an_int_too_large_for_a_float_names_the_verb(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(finmon.InvalidArgumentError, match="set\\(\\) takes a number that fits a 64-bit float"):
        collector.population_diversity.set(10**400)
    with pytest.raises(finmon.InvalidArgumentError, match="inc\\(\\) takes a number that fits"):
        collector.strategy_success.inc(10**400)
    assert collector.get_sample_value("population_diversity") == 0.0


def test_a_file_name_that_is_not_a_string_writes_nothing(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="json_file must be a str or a path, got int"):
        collector.export_final(tmp_path, 1)  # type: ignore[arg-type]
    assert not (tmp_path / "1").exists() and list(tmp_path.iterdir()) == []


def test_a_metric_name_that_is_not_a_string_registers_nothing(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(TypeError, match="name must be a str, got NoneType"):
        collector.counter(None, "Help.")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="documentation must be a str"):
        collector.gauge("g", 5)  # type: ignore[arg-type]
    with pytest.raises(finmon.NotFoundError):
        collector.metric("None")


def test_buckets_given_as_a_string_are_refused(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(TypeError, match="buckets must be a sequence of numbers, not a str"):
        collector.histogram("h_seconds", "H.", buckets="123")  # type: ignore[arg-type]
    with pytest.raises(finmon.NotFoundError):
        collector.metric("h_seconds")


def test_a_size_t_count_past_int_max_shows_as_the_caller_passed_it(collector: finmon.MetricsCollector) -> None:
    huge = 2**64 - 1  # size_t -1: Int.min..-1 on the Swift side
    rc = _native.hot.finmon_collector_sample_value(
        collector._live_handle(), b"alert_active", None, None, ctypes.c_size_t(huge), ctypes.byref(ctypes.c_double()))
    assert rc == finmon.Status.INVALID_ARGUMENT
    message = _native.last_error()
    assert str(huge) in message and "-1" not in message, message
