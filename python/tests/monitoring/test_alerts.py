"""AlertManager through the shim: every rule fires once per crossing and resolves, the
metrics, the JSON alert log and the ``finmon.alerts`` logger follow, periodic evaluation
runs on the library's thread, and bad configs fail with file, line and key path."""

from __future__ import annotations

import ctypes
import json
import logging
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrape import wait_for

import finmon
from finmon.testing import NO_HOLD_DOWN
from finmon import _native
from finmon.config import render_rules

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


# ---- configuration -----------------------------------------------------------------


def test_the_config_tree_mirrors_the_librarys_json() -> None:
    raw = ctypes.c_void_p()
    _native.check(_native.hot.finmon_config_load(str(COMMITTED_CONFIG).encode(), ctypes.byref(raw)))
    library = json.loads(_native.take_string(raw))
    config = finmon.MonitoringConfig.from_yaml(COMMITTED_CONFIG)
    assert config.to_dict() == library["config"] and library["warnings"] == []
    assert config == finmon.MonitoringConfig.defaults()
    assert finmon.MonitoringConfig.from_text(config.to_text()) == config  # the JSON text round-trips
    alerts = config.monitoring.alerts
    assert dict(alerts.diversity_collapse) == {"threshold": 0.1, "window": 5}
    assert config.monitoring.container_monitor.orphan_statuses == ("exited", "dead")
    assert alerts.severities["high_memory"] == "critical"
    assert isinstance(alerts.memory_threshold_percent, float) and isinstance(alerts.diversity_collapse.window, int)
    with pytest.raises(AttributeError):
        alerts.enabled = False
    with pytest.raises(TypeError):
        alerts.severities["high_cpu"] = "critical"  # type: ignore[index]
    with pytest.raises(AttributeError, match="monitoring.alerts has no setting 'evaluation_interval_seconds'"):
        alerts.evaluation_interval_seconds


def test_alert_config_defaults_are_the_documented_ones() -> None:
    defaults = finmon.AlertConfig()
    assert finmon.AlertConfig.from_yaml(COMMITTED_CONFIG) == defaults
    assert (defaults.memory_threshold_percent, defaults.cpu_threshold_percent) == (80, 90)
    assert (defaults.diversity_collapse_threshold, defaults.diversity_collapse_window) == (0.1, 5)
    assert defaults.champion_staleness_threshold == 20
    assert (defaults.success_rate_threshold, defaults.success_rate_window) == (0.2, 10)
    assert (defaults.orphaned_container_threshold, defaults.auto_cleanup) == (3, True)
    custom = finmon.AlertConfig(memory_threshold_percent=70, severities={"high_cpu": "critical"})
    assert custom.monitoring_config().monitoring.alerts.memory_threshold_percent == 70
    assert custom.monitoring_config().monitoring.alerts.severities["high_cpu"] == "critical"
    assert custom.severities == {**defaults.severities, "high_cpu": "critical"}  # completed like the YAML's
    assert custom.monitoring_config().alert_config() == custom


@pytest.mark.parametrize(("fields", "message"), [
    ({"memory_threshold_percent": 0},
     "AlertConfig.memory_threshold_percent: must be a number in (0, 100], got 0"),
    ({"diversity_collapse_window": 2.5},
     "AlertConfig.diversity_collapse_window: must be an integer in [1, 1000000], got 2.5"),
    ({"success_rate_threshold": 20},
     "AlertConfig.success_rate_threshold: must be a fraction in (0, 1], got 20"),
    ({"severities": {"high_cpu": "fatal"}},
     "AlertConfig.severities['high_cpu']: must be one of warning, critical, got \"fatal\""),
    ({"alertmanager_url": "https://am.example.com"},
     "AlertConfig.alertmanager_url: must be an http:// URL"),
    ({"evaluation_interval": math.inf},
     "AlertConfig.evaluation_interval: must be a number of seconds in [0.01, 86400], got Infinity"),
])
def test_alert_config_is_validated_by_the_library(fields: dict[str, object], message: str) -> None:
    with pytest.raises(finmon.ConfigError) as error:
        finmon.AlertConfig(**fields)  # type: ignore[arg-type]
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(("text", "line", "key", "problem"), [
    ("monitoring:\n  enabled: true\n   port: 8000\n", 3, None, "mapping values are not allowed"),
    ("monitoring:\n  alerts:\n    memory_treshold_percent: 80\n", 3, "monitoring.alerts.memory_treshold_percent",
     "unknown key"),
    ("monitoring:\n  alerts:\n    diversity_collapse:\n      window: five\n", 4,
     "monitoring.alerts.diversity_collapse.window", "must be an integer in [1, 1000000], got five"),
    ("monitoring:\n  prometheus:\n    port: 70000\n", 3, "monitoring.prometheus.port",
     "must be an integer in [0, 65535], got 70000"),
    ("alerts:\n\n  cpu_threshold_percent: 120\n", 3, "alerts.cpu_threshold_percent",
     "must be a number in (0, 100], got 120"),
])
def test_bad_configs_name_file_line_and_key(tmp_path: Path, text: str, line: int, key: str | None,
                                            problem: str) -> None:
    path = tmp_path / "monitoring_config.yaml"
    path.write_text(text)
    with pytest.raises(finmon.ConfigError) as error:
        finmon.MonitoringConfig.from_yaml(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:")
    if key is not None:
        assert f": {key}: " in message
    assert problem in message
    assert error.value.code == -12
    # The same file given to an AlertManager fails the same way, and nothing is configured.
    with finmon.MetricsCollector() as collector:
        with pytest.raises(finmon.ConfigError, match=f"^{path}:{line}:"):
            finmon.AlertManager(path, collector)


def test_a_missing_file_names_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(finmon.ConfigError, match=f"^{missing}: cannot open: No such file or directory"):
        finmon.MonitoringConfig.from_yaml(missing)
    with pytest.raises(finmon.ConfigError, match=f"^{missing}: cannot open"):
        finmon.AlertConfig.from_yaml(missing)


def test_alert_manager_takes_a_path_a_config_or_an_alert_config(collector: finmon.MetricsCollector,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "monitoring_config.yaml"
    path.write_text("monitoring:\n  alerts:\n    log_file: null\n    cpu_threshold_percent: 50\n"
                    "    for_seconds: {high_cpu: 0}\n")
    from_path = finmon.AlertManager(path, collector)
    assert from_path.alert_config.cpu_threshold_percent == 50
    from_path.inject_snapshot(cpu_percent=60)
    assert [a.alert_type for a in from_path.evaluate_alerts()] == ["high_cpu"]
    config = from_path.config.replace({"monitoring.alerts.cpu_threshold_percent": 70.0})
    from_config = finmon.AlertManager(config, collector)  # replaces the configuration: fresh state
    assert from_config.evaluate_alerts() == []  # 60 is not above 70
    with pytest.raises(TypeError, match="config must be"):
        finmon.AlertManager(42, collector)  # type: ignore[arg-type]


#: Fragments that make fuzzed text look like a config, so the validator is reached often.
YAML_TOKENS = [
    "alerts", "monitoring", "prometheus", "diversity_collapse", "window", "threshold", "enabled", "port",
    "severities", "high_cpu", "log_file", "for_seconds", "alertmanager", "url", "labels", ":", ": ", "\n",
    "  ", "- ", "[", "]", "{", "}", ",", "#", "'", '"', "!!str ", "!!int ", "&a ", "*a", "|", ">", "?", "~",
    "true", "no", "null", "5", "-3", "0.1", "1e3", ".nan", ".inf", "0x1F", "http://x", "\t", "\u00e9",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join),
    st.binary(max_size=200),
))
def test_fuzzed_config_text_is_a_config_or_a_config_error(tmp_path: Path, data: str | bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    try:
        config = finmon.MonitoringConfig.from_yaml(path)
    except finmon.ConfigError as error:
        assert str(error).startswith(str(path))
    else:
        assert isinstance(config, finmon.MonitoringConfig)


def test_fuzzed_text_from_a_mutated_committed_config_never_crashes() -> None:
    # Deterministic mutations of the real file: each either parses or is a ConfigError.
    import random

    original = COMMITTED_CONFIG.read_text()
    generator = random.Random(20261129)
    for _ in range(300):
        chars = list(original)
        for _ in range(generator.randint(1, 4)):
            position = generator.randrange(len(chars))
            chars[position] = generator.choice(":-[]{}# \n'\"0a.")
        try:
            finmon.MonitoringConfig.from_text("".join(chars), "mutated.yaml")
        except finmon.ConfigError as error:
            assert str(error).startswith("mutated.yaml")


# ---- command line ------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finmon", *args], capture_output=True, text=True, timeout=60)


def test_cli_rules_prints_the_rendered_rules() -> None:
    result = run_cli("rules", str(COMMITTED_CONFIG))
    assert result.returncode == 0, result.stderr
    assert result.stdout == render_rules(COMMITTED_CONFIG)
    assert result.stdout == render_rules()  # the committed config is the defaults
    assert "- alert: high_memory" in result.stdout


def test_cli_config_prints_the_effective_config_and_fails_clearly(tmp_path: Path) -> None:
    result = run_cli("config", str(COMMITTED_CONFIG))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == finmon.MonitoringConfig.defaults().to_dict()
    bad = tmp_path / "bad.yaml"
    bad.write_text("monitoring:\n  alerts:\n    webhook:\n      url: ftp://x\n")
    failed = run_cli("config", str(bad))
    assert failed.returncode == 2
    assert failed.stderr == f"finmon: {bad}:4: monitoring.alerts.webhook.url: must be an http:// URL, got \"ftp://x\"\n"
    assert run_cli("nonsense").returncode == 2


# ---- the C ABI's own checks ------------------------------------------------------------


def test_the_c_abi_refuses_bad_arguments_with_a_status(collector: finmon.MetricsCollector) -> None:
    hot = _native.hot
    handle = collector._live_handle()
    out = ctypes.c_void_p()
    # Not configured yet: evaluation and periodic start are refused, not silently empty.
    assert _native.blocking.finmon_alerts_evaluate(handle, ctypes.byref(out)) == -10
    assert "configure it first" in _native.last_error()
    assert _native.blocking.finmon_alerts_start(handle) == -10
    assert hot.finmon_alerts_configure_text(handle, b"", None) == 0  # empty text: the defaults
    assert hot.finmon_alerts_inject(handle, 11, 1.0) == -1
    assert "finmon_alert_input, got 11" in _native.last_error()
    assert hot.finmon_alerts_inject(handle, 9, 0.0) == -1  # a memory limit must be > 0
    assert "memory_limit_bytes must be a finite number > 0, got 0.0" in _native.last_error()
    assert hot.finmon_alerts_inject(handle, -1, 1.0) == -1
    assert hot.finmon_alerts_inject(handle, 0, math.inf) == -1
    assert hot.finmon_alerts_active(handle, None) == -2
    assert hot.finmon_alerts_delivery_status(handle, None) == -2
    assert hot.finmon_alerts_running(handle, None) == -2
    assert hot.finmon_alerts_configure_text(handle, None, None) == -2
    assert hot.finmon_alerts_configure_text(handle, b"alerts: {enabled: \xff}", None) == -4
    assert hot.finmon_alerts_configure_text(handle, b"alerts: [", b"x.yaml") == -12
    assert _native.last_error().startswith("x.yaml:") and "YAML syntax error" in _native.last_error()
    assert hot.finmon_alerts_configure_file(handle, None) == -2
    assert hot.finmon_config_parse(b"", None, None) == -2
    assert hot.finmon_config_parse(b"alerts: {memory_threshold_percent: 101}", None, ctypes.byref(out)) == -12
    assert _native.last_error() == ("<config text>:1: alerts.memory_threshold_percent: "
                                    "must be a number in (0, 100], got 101")
    assert out.value is None  # untouched on failure
    assert hot.finmon_config_load(None, ctypes.byref(out)) == -2
    assert hot.finmon_alerts_render_rules(None, None) == -2
    assert _native.blocking.finmon_alerts_evaluate(handle, None) == 0  # NULL out: evaluate, return nothing
    assert hot.finmon_alerts_inject(0xDEAD0000, 0, 1.0) == -3
