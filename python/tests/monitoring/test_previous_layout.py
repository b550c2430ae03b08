"""The layout of earlier releases still loads: each of its keys that moved or was renamed
gives one warning on the `finmon` logger naming its new place, and the values land there."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

import finmon

ROOT = Path(__file__).resolve().parents[3]
PREVIOUS = ROOT / "Tests" / "FinMonCoreTests" / "Fixtures" / "previous_layout_config.yaml"


def leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a YAML mapping by dotted path; per-type tables and label maps are leaves' parents."""
    found: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and not path.endswith(".labels"):
            found.update(leaves(value, path))
        else:
            found[path] = value
    return found


def test_the_previous_layout_loads_with_one_warning_per_old_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="finmon")
    config = finmon.MonitoringConfig.from_yaml(PREVIOUS)
    rows = {row["path"] for row in finmon.config.schema()}
    old = {path for path in leaves(yaml.safe_load(PREVIOUS.read_text())) if path not in rows}
    old.discard("alerts.for_seconds")  # an empty table: no key in it to move
    messages = [r.getMessage() for r in caplog.records if "deprecated key" in r.getMessage()]
    assert len(messages) == len(old) == len(config.warnings)
    for path in old:
        (message,) = [m for m in messages if f": {path}: deprecated key" in m]
        new = message.rsplit("it is now ", 1)[1]
        assert new in rows, message
    assert config.monitoring.alerts.evaluation_interval == 5.0  # the old file's value, in its new place
    assert config.monitoring.export.retention_days == 15
    assert config.grafana.datasource_name == "DS_PROMETHEUS"
