"""The original design's "AlertManager Tests" (tests/monitoring/test_alert_manager.py),
one test per item of its list, with its class, constructor and method names: each
``_check_*`` returns ``Optional[Alert]`` without side effects, ``_trigger_alert`` logs,
counts and notifies, ``evaluate_alerts`` does not re-alert a condition that persists."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from scrape import wait_for

import finmon
from finmon import Alert, AlertConfig, AlertManager
from finmon.testing import NO_HOLD_DOWN


def triggered(collector: finmon.MetricsCollector, alert_type: str) -> float | None:
    return collector.get_sample_value("alerts_triggered_total", {"alert_type": alert_type})


CHECKS: list[tuple[str, Callable[[AlertManager], Alert | None], dict[str, float], dict[str, float], float]] = [
    ("high_memory", AlertManager._check_memory_threshold, {"memory_percent": 85}, {"memory_percent": 80}, 80),
    ("diversity_collapse", AlertManager._check_diversity_collapse, {"diversity": 0.05}, {"diversity": 0.1}, 0.1),
    ("champion_staleness", AlertManager._check_champion_staleness, {"champion_staleness": 20},
     {"champion_staleness": 19}, 20),
    ("low_success_rate", AlertManager._check_success_rate, {"success_rate": 0.1}, {"success_rate": 0.2}, 20),
]


@pytest.mark.parametrize(("alert_type", "check", "breach", "fine", "threshold"), CHECKS,
                         ids=[case[0] for case in CHECKS])
def test_each_alert_condition_independently(collector: finmon.MetricsCollector, alert_type: str,
                                            check: Callable[[AlertManager], Alert | None], breach: dict[str, float],
                                            fine: dict[str, float], threshold: float) -> None:
    """Test each alert condition independently: only its own signal matters, and the check
    changes nothing (no counter, no active alert, nothing in the log)."""
    manager = AlertManager(AlertConfig(log_file=None), collector)
    manager.inject_snapshot(**fine)  # type: ignore[arg-type]
    assert check(manager) is None
    manager.inject_snapshot(**breach)  # type: ignore[arg-type]
    alert = check(manager)
    assert alert is not None and alert.alert_type == alert_type and alert.status == "firing"
    assert alert.threshold_value == threshold
    assert check(manager) is not None  # asked again: still there, still no state
    assert triggered(collector, alert_type) == 0
    assert collector.get_sample_value("alert_active", {"alert_type": alert_type}) == 0
    assert manager.active_alerts() == []
    # The other rules do not see this signal.
    others = [c for t, c, *_ in CHECKS if t != alert_type]
    assert all(other(manager) is None for other in others)


def test_alert_triggering_and_logging(collector: finmon.MetricsCollector, tmp_path: Path,
                                      caplog: pytest.LogCaptureFixture) -> None:
    """Test alert triggering and logging: _trigger_alert writes the JSON log, logs on
    finmon.alerts, counts alerts_triggered_total and marks the alert active."""
    caplog.set_level(logging.WARNING, logger="finmon.alerts")
    log = tmp_path / "alerts.jsonl"
    manager = AlertManager(AlertConfig(log_file=str(log)), collector)
    # The design's Alert, from its seven fields.
    alert = Alert("high_memory", "critical", "Memory usage 85.0% is above 80%", 85.0, 80.0,
                  "2026-01-01T00:00:00Z", 12)
    manager._trigger_alert(alert)
    line = json.loads(log.read_text().splitlines()[0])
    assert (line["alert_type"], line["status"], line["current_value"], line["iteration_context"]) == \
        ("high_memory", "firing", 85.0, 12)
    assert triggered(collector, "high_memory") == 1
    assert collector.get_sample_value("alert_active", {"alert_type": "high_memory"}) == 1
    assert [a.alert_type for a in manager.active_alerts()] == ["high_memory"]
    wait_for(lambda: any(r.name == "finmon.alerts" and "Memory usage 85.0%" in r.getMessage()
                         for r in caplog.records), message="the alert on the finmon.alerts logger")


def test_threshold_configuration_loading(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    """Test threshold configuration loading: AlertConfig.from_yaml reads the design's
    layout into the design's fields and units, and the rules use them."""
    path = tmp_path / "monitoring_config.yaml"
    path.write_text("monitoring:\n  alerts:\n    memory_threshold_percent: 70\n    log_file: null\n"
                    "    diversity_collapse: {threshold: 0.2, window: 3}\n"
                    "    champion_staleness: {threshold_iterations: 7}\n"
                    "    success_rate: {threshold_percent: 35, window_iterations: 4}\n"
                    "    orphaned_containers: {threshold: 2}\n")
    config = AlertConfig.from_yaml(path)
    assert (config.memory_threshold_percent, config.diversity_collapse_threshold, config.diversity_collapse_window,
            config.champion_staleness_threshold, config.success_rate_threshold, config.success_rate_window,
            config.orphaned_container_threshold) == (70.0, 0.2, 3, 7, 0.35, 4, 2)
    manager = AlertManager(config, collector)
    manager.inject_snapshot(memory_percent=75, champion_staleness=7, success_rate=0.3, diversity=0.15)
    assert manager._check_memory_threshold() is not None  # 75 > 70, the file's threshold
    assert manager._check_champion_staleness() is not None
    assert manager._check_success_rate() is not None
    assert manager._check_diversity_collapse() is not None


def test_alert_suppression_dont_re_alert_same_condition(collector: finmon.MetricsCollector) -> None:
    """Test alert suppression (don't re-alert same condition)."""
    # Without the shipped hold-downs (high_memory waits 2 minutes; see the README), as the
    # design's check fires at the first sample above 80%.
    manager = AlertManager(AlertConfig(log_file=None, for_seconds=NO_HOLD_DOWN), collector)
    manager.inject_snapshot(memory_percent=85)
    assert [a.alert_type for a in manager.evaluate_alerts()] == ["high_memory"]
    for _ in range(3):
        assert manager.evaluate_alerts() == []  # still above 80%: not again
    assert triggered(collector, "high_memory") == 1
    manager.inject_snapshot(memory_percent=60)
    assert manager.evaluate_alerts() == []  # resolved, which is not a new alert
    manager.inject_snapshot(memory_percent=90)
    assert [a.alert_type for a in manager.evaluate_alerts()] == ["high_memory"]  # a new episode
    assert triggered(collector, "high_memory") == 2
    # A condition _trigger_alert raised is suppressed the same way.
    manager.inject_snapshot(diversity=0.01)
    manager._trigger_alert(manager._check_diversity_collapse())  # type: ignore[arg-type]
    assert manager.evaluate_alerts() == [] and triggered(collector, "diversity_collapse") == 1
