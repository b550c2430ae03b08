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


# ---- confinement: the audit's escapes, each refused before anything is written -----

def test_a_relative_path_with_folders_cannot_leave_the_export_folder(
        collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    inside = tmp_path / "out"
    inside.mkdir()
    for name in ("../escaped.json", "sub/x.json", "..", "."):
        with pytest.raises(finmon.InvalidArgumentError, match="json_file.*file name inside the export folder"):
            collector.export_final(inside, json_file=name)
        with pytest.raises(finmon.InvalidArgumentError, match="prometheus_file"):
            collector.configure_final_export(inside, prometheus_file=name)
    assert not (tmp_path / "escaped.json").exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out"]


def test_an_explicit_absolute_path_is_written_when_it_is_a_regular_file_or_absent(
        collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "old.prom").write_text("old")
    json_path, text_path = collector.export_final(
        tmp_path, json_file=str(elsewhere / "run.json"), prometheus_file=elsewhere / "old.prom")
    assert (json_path, text_path) == (elsewhere / "run.json", elsewhere / "old.prom")
    assert json.loads(json_path.read_text())["metrics"]
    assert "# TYPE" in text_path.read_text()


@pytest.mark.parametrize("kind", ["dev_null_symlink", "fifo", "dev_null_itself", "folder"])
def test_a_target_that_is_not_a_regular_file_is_never_replaced(
        collector: finmon.MetricsCollector, tmp_path: Path, kind: str) -> None:
    import os
    import stat

    if kind == "dev_null_itself":
        target, name = Path("/dev/null"), "/dev/null"
    else:
        target = tmp_path / "metrics_final.json"
        name = target.name
        if kind == "dev_null_symlink":
            target.symlink_to("/dev/null")
        elif kind == "fifo":
            os.mkfifo(target)
        else:
            target.mkdir()
    before = os.lstat(target)
    with pytest.raises(finmon.InvalidArgumentError, match="json_file.*not a regular file") as refused:
        collector.export_final(tmp_path, json_file=name)
    assert "finmon replaces only regular files" in str(refused.value)
    after = os.lstat(target)
    assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    # Nothing else was written either: neither the snapshot nor a temporary file.
    assert not (tmp_path / "prometheus_metrics_final.txt").exists()
    assert not list(tmp_path.glob("*.tmp.*"))
    # A stop with the same target configured is refused when it is configured.
    with pytest.raises(finmon.InvalidArgumentError, match="not a regular file"):
        collector.configure_final_export(tmp_path, json_file=name)


def test_the_same_file_for_both_targets_is_refused(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    with pytest.raises(finmon.InvalidArgumentError, match="prometheus_file: names the same file as json_file"):
        collector.export_final(tmp_path, json_file="record", prometheus_file="record")
    with pytest.raises(finmon.InvalidArgumentError, match="same file"):
        collector.export_final(tmp_path, json_file="record", prometheus_file=str(tmp_path / "record"))
    (tmp_path / "a").write_text("x")
    (tmp_path / "b").hardlink_to(tmp_path / "a")
    with pytest.raises(finmon.InvalidArgumentError, match="same file"):
        collector.export_final(tmp_path, json_file="a", prometheus_file="b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
    assert (tmp_path / "a").read_text() == "x"


def test_a_file_name_that_is_not_text_is_refused_before_writing(
        collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="json_file must be a str or a path, got int"):
        collector.export_final(tmp_path, 1)  # type: ignore[arg-type]
    with pytest.raises(finmon.InvalidArgumentError, match="prometheus_file contains a NUL"):
        collector.export_final(tmp_path, prometheus_file="al\0x.txt")
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_of_dead_processes_are_removed_at_start(
        collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [tmp_path / f"metrics_final.json.tmp.{dead.pid}", tmp_path / f"prometheus_metrics_final.txt.tmp.{dead.pid}"]
    for path in stale:
        path.write_text("half a record")
    live = tmp_path / "metrics_final.json.tmp.1"      # pid 1 is alive: maybe another writer's
    live.write_text("in progress")
    unrelated = tmp_path / f"notes.txt.tmp.{dead.pid}"  # not a temporary of these targets
    unrelated.write_text("mine")
    collector.configure_final_export(tmp_path)
    assert [path.exists() for path in stale] == [False, False]
    assert live.exists() and unrelated.exists()
