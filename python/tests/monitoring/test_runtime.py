"""finmon.start: one call wires everything from the config; disabled means no-op hooks."""

from __future__ import annotations

import json
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
        assert monitoring.collector is None and not monitoring.enabled
        monitoring.record_iteration(1, True, 0.1, sharpe=1.0)
        with monitoring.iteration(2):
            pass
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
