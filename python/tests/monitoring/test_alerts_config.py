"""AlertManager's configuration through the shim: the config tree mirrors the library's
JSON, defaults are the documented ones, bad configs fail with file, line and key path
(also under fuzzing), the CLI prints rules and config, and the C ABI refuses bad
arguments with a status."""

from __future__ import annotations

import ctypes
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finmon
from finmon import _native
from finmon.config import render_rules

from .test_alerts import COMMITTED_CONFIG


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
    assert error.value.code == finmon.Status.CONFIG
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
    assert _native.blocking.finmon_alerts_evaluate(handle, ctypes.byref(out)) == finmon.Status.STATE
    assert "configure it first" in _native.last_error()
    assert _native.blocking.finmon_alerts_start(handle) == finmon.Status.STATE
    assert hot.finmon_alerts_configure_text(handle, b"", None) == 0  # empty text: the defaults
    assert hot.finmon_alerts_inject(handle, 11, 1.0) == finmon.Status.INVALID_ARGUMENT
    assert "finmon_alert_input, got 11" in _native.last_error()
    assert hot.finmon_alerts_inject(handle, 9, 0.0) == finmon.Status.INVALID_ARGUMENT  # a memory limit must be > 0
    assert "memory_limit_bytes must be a finite number > 0, got 0.0" in _native.last_error()
    assert hot.finmon_alerts_inject(handle, -1, 1.0) == finmon.Status.INVALID_ARGUMENT
    assert hot.finmon_alerts_inject(handle, 0, math.inf) == finmon.Status.INVALID_ARGUMENT
    assert hot.finmon_alerts_active(handle, None) == finmon.Status.NULL_POINTER
    assert hot.finmon_alerts_delivery_status(handle, None) == finmon.Status.NULL_POINTER
    assert hot.finmon_alerts_running(handle, None) == finmon.Status.NULL_POINTER
    assert hot.finmon_alerts_configure_text(handle, None, None) == finmon.Status.NULL_POINTER
    assert hot.finmon_alerts_configure_text(handle, b"alerts: {enabled: \xff}", None) == finmon.Status.INVALID_UTF8
    assert hot.finmon_alerts_configure_text(handle, b"alerts: [", b"x.yaml") == finmon.Status.CONFIG
    assert _native.last_error().startswith("x.yaml:") and "YAML syntax error" in _native.last_error()
    assert hot.finmon_alerts_configure_file(handle, None) == finmon.Status.NULL_POINTER
    assert hot.finmon_config_parse(b"", None, None) == finmon.Status.NULL_POINTER
    assert hot.finmon_config_parse(b"alerts: {memory_threshold_percent: 101}", None, ctypes.byref(out)) == finmon.Status.CONFIG
    assert _native.last_error() == ("<config text>:1: alerts.memory_threshold_percent: "
                                    "must be a number in (0, 100], got 101")
    assert out.value is None  # untouched on failure
    assert hot.finmon_config_load(None, ctypes.byref(out)) == finmon.Status.NULL_POINTER
    assert hot.finmon_alerts_render_rules(None, None) == finmon.Status.NULL_POINTER
    assert _native.blocking.finmon_alerts_evaluate(handle, None) == 0  # NULL out: evaluate, return nothing
    assert hot.finmon_alerts_inject(0xDEAD0000, 0, 1.0) == finmon.Status.INVALID_HANDLE
