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
               "orphaned_containers"]


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


def test_the_unit_tests_would_catch_a_wrong_threshold(tmp_path: Path) -> None:
    # The tests are only worth something if they fail on a rule that is wrong.
    wrong = (CONFIG / "alert_rules.yml").read_text().replace("system_cpu_usage_percent > 90",
                                                              "system_cpu_usage_percent > 99")
    (tmp_path / "alert_rules.yml").write_text(wrong)
    (tmp_path / "alert_rules_test.yml").write_text((CONFIG / "alert_rules_test.yml").read_text())
    result = promtool("test", "rules", str(tmp_path / "alert_rules_test.yml"))
    assert result.returncode != 0
    assert "alertname: high_cpu" in result.stdout + result.stderr


def test_the_committed_rules_are_what_the_cli_renders() -> None:
    rendered = subprocess.run([sys.executable, "-m", "finmon", "rules", str(CONFIG / "monitoring_config.yaml")],
                              capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == (CONFIG / "alert_rules.yml").read_text()
    assert render_rules(CONFIG / "monitoring_config.yaml") == rendered.stdout


def test_rules_follow_the_config(tmp_path: Path) -> None:
    path = tmp_path / "monitoring_config.yaml"
    path.write_text("monitoring:\n  alerts:\n    memory_threshold_percent: 65\n    for_seconds: {high_memory: 30}\n")
    rules = render_rules(path)
    assert "expr: 100 * system_memory_usage_bytes / system_memory_total_bytes > 65\n        for: 30s\n" in rules
    (tmp_path / "rules.yml").write_text(rules)
    checked = promtool("check", "rules", str(tmp_path / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with pytest.raises(finmon.ConfigError, match=r"memory_threshold_percent"):
        path.write_text("monitoring:\n  alerts:\n    memory_threshold_percent: 0\n")
        render_rules(path)
