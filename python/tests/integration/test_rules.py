"""The committed Prometheus rules: promtool accepts them, their unit tests pass, and they
are exactly what ``python -m finmon rules`` renders from the committed config."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import finmon
from finmon.config import render_rules

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / "config"
ALERT_TYPES = ["high_memory", "high_cpu", "diversity_collapse", "champion_staleness", "low_success_rate",
               "orphaned_containers", "memory_leak", "loop_stuck", "loop_down", "loop_absent",
               "alert_log_failing"]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120, cwd=REPO)


def test_promtool_checks_the_committed_rules() -> None:
    result = promtool("check", "rules", str(CONFIG / "alert_rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERT_TYPES)} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(CONFIG / "alert_rules_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_has_a_firing_and_a_quiet_case() -> None:
    text = (CONFIG / "alert_rules_test.yml").read_text()
    cases = re.findall(r"alertname: (\w+)\n\s+exp_alerts:( \[\])?", text)
    for alert_type in ALERT_TYPES:
        kinds = {"quiet" if empty else "firing" for name, empty in cases if name == alert_type}
        assert kinds == {"quiet", "firing"}, alert_type


def mutated_run(tmp_path: Path, old: str, new: str) -> str:
    """promtool's output for the committed unit tests run against the committed rules with
    ``old`` replaced by ``new`` (which must occur)."""
    rules = (CONFIG / "alert_rules.yml").read_text()
    assert old in rules, old
    (tmp_path / "alert_rules.yml").write_text(rules.replace(old, new))
    (tmp_path / "alert_rules_test.yml").write_text((CONFIG / "alert_rules_test.yml").read_text())
    result = promtool("test", "rules", str(tmp_path / "alert_rules_test.yml"))
    assert result.returncode != 0, f"the unit tests pass with {new!r} for {old!r}"
    return result.stdout + result.stderr


@pytest.mark.parametrize(("old", "new", "caught"), [
    # The tests are only worth something if they fail on a rule that is wrong.
    ('system_cpu_usage_percent{job="finmon"} > 90\n', 'system_cpu_usage_percent{job="finmon"} > 99\n',
     "alertname: high_cpu"),
    # Hold-downs: a shorter for: fires too early, a missing one at once.
    ("for: 300s", "for: 240s", "alertname: high_cpu, time: 4m50s"),
    ("for: 120s", "for: 60s", "alertname: high_memory, time: 1m50s"),
    # Hysteresis: without the ALERTS branch the band resolves the alert.
    ('system_cpu_usage_percent{job="finmon"} > 80\n', 'system_cpu_usage_percent{job="finmon"} > 90\n',
     "alertname: high_cpu, time: 7m"),
    # Liveness and the leak forecast, at the edges of their durations.
    ("up{job=\"finmon\"} == 0\n        for: 60s", "up{job=\"finmon\"} == 0\n        for: 30s",
     "alertname: loop_down, time: 1m10s"),
    ("loop_last_iteration_timestamp_seconds{job=\"finmon\"} > 600", "loop_last_iteration_timestamp_seconds{job=\"finmon\"} > 1200",
     "alertname: loop_stuck, time: 10m10s"),
    ("[300s], 3600)", "[300s], 600)", "alertname: memory_leak, time: 10m20s"),
    ("for: 600s", "for: 120s", "alertname: memory_leak, time: 10m"),
    # The alert log: one failed append is enough.
    ("alert_log_errors_total{job=\"finmon\"}[5m]) > 0", "alert_log_errors_total{job=\"finmon\"}[5m]) > 1",
     "alertname: alert_log_failing"),
])
def test_the_unit_tests_catch_a_wrong_rule(tmp_path: Path, old: str, new: str, caught: str) -> None:
    assert caught in mutated_run(tmp_path, old, new)


def test_the_committed_rules_are_what_the_cli_renders() -> None:
    rendered = subprocess.run([sys.executable, "-m", "finmon", "rules", str(CONFIG / "monitoring_config.yaml")],
                              capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == (CONFIG / "alert_rules.yml").read_text()
    assert render_rules(CONFIG / "monitoring_config.yaml") == rendered.stdout


def test_rules_follow_the_config(tmp_path: Path) -> None:
    path = tmp_path / "monitoring_config.yaml"
    path.write_text("monitoring:\n  alerts:\n    memory_threshold_percent: 65\n    for_seconds: {high_memory: 30}\n"
                    "    hysteresis: {high_memory: 0}\n")
    rules = render_rules(path)
    assert ('expr: 100 * system_memory_usage_bytes{job="finmon"} / system_memory_total_bytes{job="finmon"} > 65\n'
            "        for: 30s\n") in rules
    (tmp_path / "rules.yml").write_text(rules)
    checked = promtool("check", "rules", str(tmp_path / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with pytest.raises(finmon.ConfigError, match=r"memory_threshold_percent"):
        path.write_text("monitoring:\n  alerts:\n    memory_threshold_percent: 0\n")
        render_rules(path)
