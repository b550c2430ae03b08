"""The final record: metrics_final.json and the Prometheus text snapshot."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import finmon


def parsed_text(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_export_final_writes_both_files_that_agree(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    collector.population_diversity.set(0.25)
    collector.container_memory_usage.labels(container_id="abc").set(1e6)
    collector.execution_time.observe(1.5)
    collector.gauge("weird", "NaN holder").set(math.nan)
    collector.record_iteration(7, True, 0.5, sharpe=1.2)
    json_path, text_path = collector.export_final(tmp_path)
    assert json_path == tmp_path / "metrics_final.json"
    record = json.loads(json_path.read_text())
    assert record["run"]["iterations"] == 7
    assert record["run"]["started_at"].endswith("Z") and record["run"]["ended_at"] >= record["run"]["started_at"]
    assert record["active_alerts"] == []
    from_json = {}
    for family in record["metrics"]:
        assert family["help"] and family["type"] in ("counter", "gauge", "histogram")
        for sample in family["samples"]:
            value = sample["value"]
            from_json[(sample["name"], tuple(sorted(sample["labels"].items())))] = (
                float(value.replace("Inf", "inf")) if isinstance(value, str) else value)
    from_text = parsed_text(text_path)
    assert from_json.keys() == from_text.keys()
    for key, value in from_text.items():
        assert (math.isnan(value) and math.isnan(from_json[key])) or from_json[key] == value, key
    assert from_text[("container_memory_usage_bytes", (("container_id", "abc"),))] == 1e6


def test_stop_writes_the_configured_record_atomically(tmp_path: Path) -> None:
    collector = finmon.MetricsCollector()
    try:
        collector.configure_final_export(tmp_path, json_file="final.json", prometheus_file="final.prom")
        (tmp_path / "final.json").write_text("old")
        collector.strategy_success.inc()
        collector.stop()
        assert json.loads((tmp_path / "final.json").read_text())["metrics"]
        assert "strategy_success_total 1.0" in (tmp_path / "final.prom").read_text()
        assert not list(tmp_path.glob("*.tmp.*"))
    finally:
        collector.close()


def test_unwritable_directory_is_a_clear_io_error(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    with pytest.raises(finmon.FinmonIOError, match="cannot create"):
        collector.export_final(tmp_path / "missing" / "dir")
    with pytest.raises(ValueError, match="empty"):
        collector.export_final(tmp_path, json_file="")
