"""finmon.start: one call into the library wires everything from the config and returns a
finmon.Runtime; disabled means no-op hooks, `with runtime.iteration(i) as it` included."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from scrape import samples, wait_for

import finmon

ROOT = Path(__file__).resolve().parents[3]


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "monitoring_config.yaml"
    path.write_text(body)
    return path


def test_start_wires_exporter_monitors_alerts_and_the_final_record(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"""
monitoring:
  prometheus: {{port: 0}}
  resource_monitor: {{collection_interval: 0.2}}
  container_monitor: {{enabled: false}}
  alerts:
    evaluation_interval: 0.2
    cpu_threshold_percent: 100      # this machine is shared: keep real load out of the test
    memory_threshold_percent: 100
    log_file: {tmp_path / 'alerts.jsonl'}
    champion_staleness: {{threshold_iterations: 3}}
    success_rate: {{window_iterations: 4}}
  export: {{directory: {tmp_path}}}
""")
    monitoring = finmon.start(config)
    assert isinstance(monitoring, finmon.Runtime)
    try:
        assert monitoring.port and monitoring.containers is None
        assert monitoring.resources is not None and monitoring.alerts is not None
        monitoring.record_champion_update(0, None, 1.0)
        for i in range(1, 6):
            with monitoring.iteration(i) as it:
                it.result(sharpe=0.5)
            monitoring.record_diversity(i, 0.5, 10, 20)
        assert monitoring.collector is not None
        assert monitoring.collector.success_window_full
        scraped = wait_for(lambda: (s := samples(monitoring.port or 0)).get(("system_cpu_usage_percent", ())) is not None
                           and s, message="a resource sample in the scrape")
        assert scraped[("strategy_success_total", ())] == 5
        assert scraped[("system_memory_total_bytes", ())] > 0
        wait_for(lambda: (tmp_path / "alerts.jsonl").exists()
                 and "champion_staleness" in (tmp_path / "alerts.jsonl").read_text(),
                 message="the staleness alert evaluated on the library's thread")
    finally:
        monitoring.stop()
    monitoring.stop()  # idempotent
    record = json.loads((tmp_path / "metrics_final.json").read_text())
    assert record["run"]["iterations"] == 5
    assert [a["alert_type"] for a in record["active_alerts"]] == ["champion_staleness"]
    assert (tmp_path / "prometheus_metrics_final.txt").read_text().count("strategy_success_total 5.0") == 1


def test_disabled_monitoring_makes_every_hook_a_no_op(tmp_path: Path) -> None:
    config = write_config(tmp_path, "monitoring:\n  enabled: false\n")
    with finmon.start(config) as monitoring:
        assert monitoring.collector is None and not monitoring.enabled and monitoring.port is None
        monitoring.record_iteration(1, True, 0.1, sharpe=1.0)
        with monitoring.iteration(2):
            pass
        # The README's own pattern: the handle exists and takes the result, recording nothing.
        with monitoring.iteration(3) as it:
            it.result(sharpe=1.3, max_drawdown=-0.12)
        assert (it.iteration, it.sharpe, it.max_drawdown) == (3, 1.3, -0.12) and it.elapsed is not None
        with monitoring.iteration(4) as it:
            it.fail()
        assert it.failed
        monitoring.record_diversity(1, 0.5, 1, 2)
        monitoring.record_champion_update(1, None, 2.0)
        monitoring.record_container_created("abc")
        monitoring.record_container_stats("abc")
        monitoring.record_container_cleanup("abc", True)
        sentinel = object()
        with monitoring.track(sentinel) as tracked:
            assert tracked is sentinel
    assert not (tmp_path / "metrics_final.json").exists()


def test_a_bad_config_starts_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, "alerts:\n  memory_threshold_percent: 150\n")
    with pytest.raises(finmon.ConfigError, match=r"monitoring_config.yaml:2: alerts.memory_threshold_percent") as caught:
        finmon.start(config)
    assert caught.value.file == str(config)
    assert caught.value.line == 2
    assert caught.value.key_path == "alerts.memory_threshold_percent"
    assert caught.value.reason is not None and "150" in caught.value.reason and "yaml" not in caught.value.reason
    with pytest.raises(finmon.ConfigError, match="cannot open") as missing:
        finmon.start(tmp_path / "missing.yaml")
    assert missing.value.file == str(tmp_path / "missing.yaml") and missing.value.line is None


def test_configure_loop_validates(tmp_path: Path) -> None:
    with finmon.MetricsCollector() as collector:
        collector.configure_loop(success_window=3, history_size=1000)
        for i in range(3):
            collector.record_iteration(i, i != 0, 0.1)
        assert collector.success_rate == pytest.approx(2 / 3)
        with pytest.raises(ValueError, match="success_window"):
            collector.configure_loop(success_window=0)
        with pytest.raises(TypeError):
            collector.configure_loop(history_size="big")  # type: ignore[arg-type]


def test_the_exporter_serves_the_configs_metrics_path_only(tmp_path: Path) -> None:
    config = write_config(tmp_path, "monitoring:\n  prometheus: {metrics_path: /loop/metrics}\n")
    with finmon.start(config, port=0, final_export=False, enable_containers=False) as runtime:
        assert runtime.port is not None
        runtime.record_iteration(1, True, 0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{runtime.port}/loop/metrics", timeout=10) as response:
            assert "strategy_success_total 1.0" in response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{runtime.port}/metrics", timeout=10)
        assert missing.value.code == 404
        with urllib.request.urlopen(f"http://127.0.0.1:{runtime.port}/", timeout=10) as response:
            assert "/loop/metrics" in response.read().decode()


def test_keyword_arguments_override_the_file_and_are_checked_like_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, "monitoring:\n  export: {directory: " + str(tmp_path) + "}\n")
    with finmon.start(config, port=0, final_export=False, enable_containers=False, disk_path="/tmp") as runtime:
        assert runtime.config.monitoring.prometheus.port == 0 and runtime.port
        assert not runtime.config.monitoring.export.enabled
        assert runtime.config.monitoring.resource_monitor.disk_path == "/tmp"
        assert runtime.containers is None and runtime.resources is not None
    assert not (tmp_path / "metrics_final.json").exists()
    with pytest.raises(finmon.ConfigError, match="monitoring.prometheus.port"):
        finmon.start(config, port=70000)


def test_the_configs_warnings_reach_the_finmon_logger_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = write_config(tmp_path, "alerts:\n  enabled: false\nmonitoring:\n  loop: {success_window: 7}\n")
    caplog.set_level(logging.WARNING, logger="finmon")
    with finmon.start(config, port=0, final_export=False, enable_containers=False) as runtime:
        assert runtime.config.monitoring.alerts.success_rate.window_iterations == 7
        assert [w.key_path for w in runtime.config.warnings] == ["alerts.enabled", "monitoring.loop.success_window"]
    messages = [r.getMessage() for r in caplog.records if "deprecated key" in r.getMessage()]
    assert messages == [
        f"{config}:2: alerts.enabled: deprecated key of the previous layout; it is now monitoring.alerts.enabled",
        f"{config}:4: monitoring.loop.success_window: deprecated key of the previous layout; "
        "it is now monitoring.alerts.success_rate.window_iterations",
    ]


def test_monitoring_is_a_deprecated_name_for_runtime() -> None:
    with pytest.warns(DeprecationWarning, match="finmon.Runtime"):
        alias = finmon.Monitoring
    assert alias is finmon.Runtime
