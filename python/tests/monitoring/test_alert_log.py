"""The alert log holds whole lines only: a full disk (a real one: a small tmpfs) cuts no
line in half, the failure is counted in ``finmon_alert_log_errors_total``, and a partial
line a crash left is removed when the log is opened."""

from __future__ import annotations

import errno
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import finmon
from finmon.testing import NO_HOLD_DOWN

PAGE = 4096


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted for the test (CI runs as root). Failing to mount fails the
    test: without a real full disk there is nothing to show."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the ENOSPC test (run as root): {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True, timeout=30)


def fill(disk: Path) -> Path:
    """Takes every free byte of ``disk`` with one file; returns it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (PAGE, 1):
            while True:
                try:
                    out.write(b"\0" * chunk)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    break
    return filler


def errors(collector: finmon.MetricsCollector) -> float | None:
    return collector.get_sample_value("finmon_alert_log_errors_total")


def test_a_full_disk_leaves_whole_lines_counts_the_failure_and_recovers(
        collector: finmon.MetricsCollector, small_disk: Path) -> None:
    log = small_disk / "alerts.jsonl"
    # A whole first line that leaves 120 bytes of its page free: the next record starts
    # there and the disk ends inside it, the audit's half line.
    padding = json.dumps({"padding": "x" * (PAGE - 120 - 16)}) + "\n"
    log.write_text(padding)
    assert PAGE - 200 < log.stat().st_size < PAGE - 100
    filler = fill(small_disk)
    manager = finmon.AlertManager(finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log)), collector)
    try:
        assert errors(collector) == 0.0
        manager.inject_snapshot(memory_percent=95)
        fired = manager.evaluate()
        # The alert still happened (logging and receivers get it); the log refused it whole.
        assert [(a.alert_type, a.status) for a in fired] == [("high_memory", "firing")]
        assert len(json.dumps(fired[0].to_dict())) > 120
        assert log.read_text() == padding
        assert errors(collector) == 1.0

        filler.unlink()
        manager.inject_snapshot(memory_percent=10)
        assert [(a.alert_type, a.status) for a in manager.evaluate()] == [("high_memory", "resolved")]
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert lines[0] == json.loads(padding)
        assert [(line["alert_type"], line["status"]) for line in lines[1:]] == [("high_memory", "resolved")]
        assert log.read_text().endswith("\n")
        assert errors(collector) == 1.0
    finally:
        manager.close()


def test_a_partial_line_left_by_a_crash_is_removed_when_the_log_is_opened(
        collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    whole = json.dumps({"alert_type": "high_cpu", "status": "firing"}) + "\n"
    log.write_text(whole + '{"alert_type": "high_mem')
    manager = finmon.AlertManager(finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(log)), collector)
    try:
        assert log.read_text() == whole  # at open, before any alert
        manager.inject_snapshot(cpu_percent=99)
        manager.evaluate()
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert [(line["alert_type"], line["status"]) for line in lines] == [("high_cpu", "firing")] * 2
        assert errors(collector) == 0.0
    finally:
        manager.close()


def test_an_unwritable_log_counts_every_failed_append(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    manager = finmon.AlertManager(
        finmon.AlertConfig(for_seconds=NO_HOLD_DOWN, log_file=str(tmp_path / "missing" / "alerts.jsonl")), collector)
    try:
        manager.inject_snapshot(cpu_percent=99)
        manager.evaluate()
        manager.inject_snapshot(cpu_percent=1)
        manager.evaluate()
        assert errors(collector) == 2.0
    finally:
        manager.close()
