"""The original design's "ResourceMonitor Tests" (tests/monitoring/test_resource_monitor.py),
one test per item of its list, with its class and method names. Where the design mocks
psutil, these tests give the library a fixture /proc (finmon.testing.proc_root) or read
the real one and compare with psutil."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import psutil
import pytest
from scrape import wait_for

import finmon
from finmon.testing import proc_root

GIB = 1024**3


def test_psutil_metrics_collection(collector: finmon.MetricsCollector) -> None:
    """Test psutil metrics collection: one sample of the real machine, as psutil sees it."""
    monitor = finmon.ResourceMonitor(collector)
    monitor._record_system_metrics()
    memory = psutil.virtual_memory()
    assert collector.get_sample_value("system_memory_total_bytes") == memory.total
    used = collector.get_sample_value("system_memory_usage_bytes") or 0
    assert abs(used - (memory.total - memory.available)) < 0.05 * memory.total  # a moving target
    assert collector.get_sample_value("system_disk_usage_percent") == pytest.approx(psutil.disk_usage("/").percent,
                                                                                    abs=1)
    assert collector.get_sample_value("process_resident_memory_bytes") == pytest.approx(
        psutil.Process().memory_info().rss, rel=0.2)
    stats = monitor.get_current_stats()
    assert set(stats) >= {"cpu_percent", "memory_percent", "disk_percent"}  # the design's get_current_stats


def test_background_thread_start_stop(collector: finmon.MetricsCollector) -> None:
    """Test background thread start/stop: samples come on the library's thread, and stop."""
    monitor = finmon.ResourceMonitor(collector)
    monitor.start_monitoring(interval_seconds=0.05)
    assert monitor.is_running and monitor.interval_seconds == 0.05
    first = wait_for(lambda: monitor.get_current_stats()["timestamp"], message="a first sample")
    wait_for(lambda: monitor.get_current_stats()["timestamp"] > first, message="a later sample")
    monitor.stop_monitoring()
    assert not monitor.is_running and monitor.interval_seconds is None
    stopped_at = monitor.get_current_stats()["timestamp"]
    time.sleep(0.3)  # six intervals: a running schedule would have sampled
    assert monitor.get_current_stats()["timestamp"] == stopped_at


def test_memory_cpu_percentage_calculations(collector: finmon.MetricsCollector, tmp_path: Path) -> None:
    """Test memory/CPU percentage calculations, from /proc files with known figures."""
    root = proc_root(tmp_path, memory_percent=85, memory_total_bytes=8 * GIB)
    stat = root / "stat"
    stat.unlink()  # a copy of the machine's; replaced by counters with a known ratio
    stat.write_text("cpu  1000 50 300 8000 100 10 20 5 40 2\nbtime 1700000000\n")
    monitor = finmon.ResourceMonitor(collector, proc_root=root)
    monitor._record_system_metrics()
    # user +300, idle +100: 300 of 400 ticks busy.
    stat.write_text("cpu  1300 50 300 8100 100 10 20 5 40 2\nbtime 1700000000\n")
    monitor._record_system_metrics()
    stats = monitor.get_system_stats()
    assert stats.memory_percent == pytest.approx(85, abs=0.01)
    assert stats.memory_total_gb == pytest.approx(8)
    assert stats.memory_used_gb == pytest.approx(8 * 0.85, abs=0.001)
    assert stats.cpu_percent == pytest.approx(75)
    assert collector.get_sample_value("system_cpu_usage_percent") == pytest.approx(75)


def test_mock_psutil_failures_verify_graceful_degradation(collector: finmon.MetricsCollector, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """Mock psutil failures, verify graceful degradation: an unreadable source is counted
    and logged once, the others are still recorded, and nothing raises."""
    caplog.set_level(logging.WARNING, logger="finmon")
    root = proc_root(tmp_path, memory_percent=50)
    (root / "meminfo").write_text("MemTotal: not a number\n")
    monitor = finmon.ResourceMonitor(collector, proc_root=root)
    monitor._record_system_metrics()
    monitor._record_system_metrics()
    assert collector.get_sample_value("finmon_collection_errors_total", {"collector": "memory"}) == 2
    assert collector.get_sample_value("system_memory_total_bytes") == 0  # never read
    assert (collector.get_sample_value("system_disk_total_bytes") or 0) > 0  # the disk still was
    assert monitor.get_current_stats()["errors"].keys() == {"memory"}
    wait_for(lambda: [r for r in caplog.records if "meminfo" in r.getMessage()], message="the warning")
    assert len([r for r in caplog.records if "meminfo" in r.getMessage()]) == 1  # once, until it recovers
