"""AlertManager through the shim: every rule fires once per crossing and resolves, the
metrics, the JSON alert log and the ``finmon.alerts`` logger follow, periodic evaluation
runs on the library's thread (test_alerts_config: configs, the CLI and the C ABI)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrape import wait_for

import finmon
from finmon.testing import NO_HOLD_DOWN

REPO = Path(__file__).resolve().parents[3]
COMMITTED_CONFIG = REPO / "config" / "monitoring_config.yaml"

#: (inject_snapshot keyword, alert type, a calm value, a value past the threshold)
RULES = [
    ("memory_percent", "high_memory", 50, 85),
    ("cpu_percent", "high_cpu", 10, 95),
    ("diversity", "diversity_collapse", 0.5, 0.05),
    ("champion_staleness", "champion_staleness", 3, 25),
    ("success_rate", "low_success_rate", 0.6, 0.1),
    ("orphaned_containers", "orphaned_containers", 1, 4),
]


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "alerts.jsonl"


@pytest.fixture
def manager(collector: finmon.MetricsCollector, log_path: Path) -> Iterator[finmon.AlertManager]:
    alerts = finmon.AlertManager(finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log_path)), collector)
    try:
        yield alerts
    finally:
        alerts.close()


def active(collector: finmon.MetricsCollector, alert_type: str) -> float | None:
    return collector.get_sample_value("alert_active", {"alert_type": alert_type})


def triggered(collector: finmon.MetricsCollector, alert_type: str) -> float | None:
    return collector.get_sample_value("alerts_triggered_total", {"alert_type": alert_type})


def log_lines(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---- rules -------------------------------------------------------------------------


@pytest.mark.parametrize(("signal", "alert_type", "calm", "breach"), RULES)
def test_each_rule_fires_once_per_crossing_and_resolves(manager: finmon.AlertManager,
                                                         collector: finmon.MetricsCollector,
                                                         signal: str, alert_type: str,
                                                         calm: float, breach: float) -> None:
    def step(value: float) -> list[tuple[str, str]]:
        manager.inject_snapshot(**{signal: value})
        return [(a.alert_type, a.status) for a in manager.evaluate()]

    assert active(collector, alert_type) == 0.0  # every type shows 0 once configured
    assert step(calm) == []
    assert step(breach) == [(alert_type, "firing")]
    assert active(collector, alert_type) == 1.0
    assert triggered(collector, alert_type) == 1.0
    assert step(breach) == []  # persisting does not fire again
    assert triggered(collector, alert_type) == 1.0
    assert step(calm) == [(alert_type, "resolved")]
    assert active(collector, alert_type) == 0.0
    assert step(breach) == [(alert_type, "firing")]  # crossing again fires again
    assert triggered(collector, alert_type) == 2.0
    assert [a.alert_type for a in manager.active_alerts()] == [alert_type]


def test_memory_at_85_percent_counts_a_high_memory_alert(manager: finmon.AlertManager,
                                                         collector: finmon.MetricsCollector) -> None:
    assert triggered(collector, "high_memory") == 0.0
    manager.inject_snapshot(memory_percent=85, iteration=12)
    fired = manager.evaluate_alerts()
    assert triggered(collector, "high_memory") == 1.0
    assert len(fired) == 1
    alert = fired[0]
    assert (alert.alert_type, alert.severity, alert.status) == ("high_memory", "critical", "firing")
    assert alert.message == "Memory usage 85.0% is above 80%"
    assert (alert.current_value, alert.threshold_value, alert.iteration_context) == (85.0, 80.0, 12)
    assert alert.timestamp.endswith("Z") and alert.timestamp == alert.starts_at
    assert manager.evaluate_alerts() == []


def test_diversity_below_threshold_for_five_iterations_collapses(manager: finmon.AlertManager,
                                                                 collector: finmon.MetricsCollector) -> None:
    monitor = finmon.DiversityMonitor(collector)
    events: list[finmon.Alert] = []
    for iteration in range(4):
        monitor.record_diversity(iteration, 0.05, unique_count=1, total_count=20)
        events += manager.evaluate()
    assert events == []  # four low values: the window of five is not full
    monitor.record_diversity(4, 0.05, unique_count=1, total_count=20)
    fired = manager.evaluate_alerts()
    assert [a.alert_type for a in fired] == ["diversity_collapse"]
    assert fired[0].iteration_context == 4
    monitor.record_diversity(5, 0.08, unique_count=1, total_count=20)
    assert manager.evaluate() == []
    monitor.record_diversity(6, 0.35, unique_count=9, total_count=20)
    resolved = manager.evaluate()
    assert [(a.alert_type, a.status, a.current_value) for a in resolved] == [("diversity_collapse", "resolved", 0.35)]
    assert active(collector, "diversity_collapse") == 0.0


def test_loop_hooks_drive_staleness_and_success_rate(collector: finmon.MetricsCollector, log_path: Path) -> None:
    config = finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log_path), champion_staleness_threshold=3)
    manager = finmon.AlertManager(config, collector)
    monitor = finmon.DiversityMonitor(collector)
    monitor.record_champion_update(0, old_sharpe=None, new_sharpe=1.0)
    fired: list[finmon.Alert] = []
    for iteration in range(1, 11):
        collector.record_iteration(iteration, success=False, execution_time_seconds=0.1)
        fired += manager.evaluate_alerts()
    assert [(a.alert_type, a.iteration_context) for a in fired] == [("champion_staleness", 3), ("low_success_rate", 10)]
    for iteration in range(11, 21):
        collector.record_iteration(iteration, success=True, execution_time_seconds=0.1)
    monitor.record_champion_update(20, old_sharpe=1.0, new_sharpe=2.0)
    assert {(a.alert_type, a.status) for a in manager.evaluate()} == {
        ("champion_staleness", "resolved"), ("low_success_rate", "resolved")}


# ---- log and logging -----------------------------------------------------------------


def test_events_go_to_the_json_log_and_the_finmon_alerts_logger(manager: finmon.AlertManager, log_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="finmon.alerts"):
        manager.inject_snapshot(orphaned_containers=5)
        fired = manager.evaluate()
        manager.inject_snapshot(orphaned_containers=0)
        resolved = manager.evaluate()
        lines = log_lines(log_path)
        assert lines == [a.to_dict() for a in fired + resolved]
        assert [finmon.Alert.from_dict(line) for line in lines] == fired + resolved

        def alert_records() -> list[logging.LogRecord]:
            return [r for r in caplog.records if r.name == "finmon.alerts"]

        wait_for(lambda: len(alert_records()) == 2, timeout=10, message="two finmon.alerts records")
    records = alert_records()
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO]
    assert [json.loads(r.getMessage()) for r in records] == lines
    assert records[0].finmon["status"] == "firing"  # type: ignore[attr-defined]


def test_no_log_file_writes_nothing(collector: finmon.MetricsCollector, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    manager = finmon.AlertManager(finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=None), collector)
    manager.inject_snapshot(memory_percent=99)
    assert len(manager.evaluate_alerts()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_relative_log_file_lands_in_the_working_directory(collector: finmon.MetricsCollector, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    manager = finmon.AlertManager(finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file="alerts.jsonl"), collector)
    manager.inject_snapshot(cpu_percent=99)
    manager.evaluate()
    assert [line["alert_type"] for line in log_lines(tmp_path / "alerts.jsonl")] == ["high_cpu"]


# ---- periodic evaluation and inputs ---------------------------------------------------


def test_periodic_evaluation_runs_until_stopped(collector: finmon.MetricsCollector, log_path: Path) -> None:
    manager = finmon.AlertManager(
        finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log_path), evaluation_interval=0.05),
                                  collector)
    manager.inject_snapshot(memory_percent=90)
    manager.start()
    assert manager.running
    wait_for(lambda: active(collector, "high_memory") == 1.0, timeout=10, message="high_memory firing")
    manager.inject_snapshot(memory_percent=None)  # unavailable: the alert keeps its state
    manager.inject_snapshot(memory_percent=40)
    wait_for(lambda: active(collector, "high_memory") == 0.0, timeout=10, message="high_memory resolved")
    manager.stop()
    assert not manager.running
    assert [line["status"] for line in log_lines(log_path)] == ["firing", "resolved"]
    collector.stop()  # the collector's stop also ends periodic evaluation
    manager.start()
    collector.stop()
    assert not manager.running


def test_injected_values_are_checked(manager: finmon.AlertManager) -> None:
    with pytest.raises(finmon.InvalidArgumentError, match="memory_percent must be a finite number >= 0, got -1"):
        manager.inject_snapshot(memory_percent=-1)
    with pytest.raises(finmon.InvalidArgumentError, match=r"diversity must be a number in \[0, 1\]"):
        manager.inject_snapshot(diversity=1.5)
    with pytest.raises(finmon.InvalidArgumentError, match="orphaned_containers must be a whole number"):
        manager.inject_snapshot(orphaned_containers=2.5)
    with pytest.raises(finmon.InvalidArgumentError, match="NaN"):
        manager.inject_snapshot(cpu_percent=math.nan)
    with pytest.raises(TypeError, match="cpu_percent must be a number"):
        manager.inject_snapshot(cpu_percent="90")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.inject_snapshot(disk_percent=1)  # type: ignore[call-arg]
    assert manager.evaluate() == []  # nothing refused was kept
    manager.inject_snapshot(memory_percent=99)
    manager.clear_snapshot()
    assert manager.evaluate() == []


def test_delivery_status_without_receivers(manager: finmon.AlertManager) -> None:
    assert manager.delivery_status() == {
        "alertmanager_url": None, "alertmanager_pending": 0, "alertmanager_in_sync": True,
        "alertmanager_down": False, "webhook_url": None, "webhook_pending": 0, "webhook_down": False,
        "webhook_dropped": 0}


def test_a_closed_collector_is_refused(log_path: Path) -> None:
    with finmon.AlertManager(finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log_path))) as manager:
        collector = manager.collector
        manager.inject_snapshot(memory_percent=90)
        assert len(manager.evaluate()) == 1
    assert collector._handle is None  # the manager made it, so it closed it
    with pytest.raises(finmon.InvalidHandleError):
        manager.evaluate()
    manager.close()  # twice is harmless
