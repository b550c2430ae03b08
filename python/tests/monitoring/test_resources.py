"""ResourceMonitor through the shim: figures cross-checked against psutil on this machine,
RSS growth seen from a real allocation, failure accounting on a fixture proc root."""

from __future__ import annotations

import faulthandler
import json
from datetime import datetime, timedelta
import logging
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

import finmon


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """One process spinning on a core for the duration of the test."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


@pytest.fixture
def proc_root(tmp_path: Path) -> Path:
    """A proc root with copies of this machine's /proc/stat and /proc/meminfo and a link to
    the real /proc/self (so process reads stay live); the meminfo copy is the test's to break."""
    root = tmp_path / "proc"
    root.mkdir()
    shutil.copyfile("/proc/stat", root / "stat")
    shutil.copyfile("/proc/meminfo", root / "meminfo")
    (root / "self").symlink_to("/proc/self")
    return root


def errors(collector: finmon.MetricsCollector, source: str) -> float | None:
    return collector.get_sample_value("finmon_collection_errors_total", {"collector": source})


def test_percentages_agree_with_psutil_over_the_same_interval(
        collector: finmon.MetricsCollector, busy_cpu: None) -> None:
    monitor = finmon.ResourceMonitor(collector)
    # Both baselines at the same start, both readings at the same end.
    monitor.sample_now()
    psutil.cpu_percent(None)
    time.sleep(1.0)  # the measured interval itself, not a wait for something to happen
    ours = monitor.sample_now()
    theirs_cpu = psutil.cpu_percent(None)
    theirs_memory = psutil.virtual_memory()
    theirs_disk = psutil.disk_usage("/")

    assert ours["errors"] == {}
    assert ours["cpu_percent"] is not None
    assert abs(ours["cpu_percent"] - theirs_cpu) <= 10, (ours["cpu_percent"], theirs_cpu)
    # The spinner keeps one of the cores busy.
    assert ours["cpu_percent"] >= 100 / (os.cpu_count() or 1) * 0.5
    assert abs(ours["memory_percent"] - theirs_memory.percent) <= 2
    assert abs(ours["disk_percent"] - theirs_disk.percent) <= 2
    assert ours["memory_total_bytes"] == theirs_memory.total
    assert ours["disk_total_bytes"] == theirs_disk.total
    assert collector.get_sample_value("system_cpu_usage_percent") == ours["cpu_percent"]
    assert collector.get_sample_value("system_memory_usage_bytes") == ours["memory_used_bytes"]
    assert ours["memory_used_bytes"] == ours["memory_total_bytes"] - ours["memory_available_bytes"]
    assert collector.get_sample_value("system_disk_usage_percent") == ours["disk_percent"]
    assert collector.get_sample_value("system_memory_limit_bytes") == ours["memory_limit_bytes"]
    assert ours["memory_limit_bytes"] <= ours["memory_total_bytes"]


def test_process_metrics_are_current_at_scrape_time_without_starting(collector: finmon.MetricsCollector) -> None:
    me = psutil.Process()
    resident = collector.get_sample_value("process_resident_memory_bytes")
    assert resident is not None
    assert abs(resident - me.memory_info().rss) < 0.1 * me.memory_info().rss
    assert collector.get_sample_value("process_virtual_memory_bytes") == pytest.approx(me.memory_info().vms, rel=0.1)
    start = collector.get_sample_value("process_start_time_seconds")
    assert start is not None and abs(start - me.create_time()) < 1.0
    assert collector.get_sample_value("process_open_fds") == pytest.approx(me.num_fds(), abs=3)
    soft_limit = me.rlimit(psutil.RLIMIT_NOFILE)[0]
    max_fds = collector.get_sample_value("process_max_fds")
    assert max_fds == (math.inf if soft_limit == psutil.RLIM_INFINITY else soft_limit)
    cpu = collector.get_sample_value("process_cpu_seconds_total")
    times = me.cpu_times()
    assert cpu is not None and abs(cpu - (times.user + times.system)) < 0.5

    text = collector.generate_latest().decode()
    assert "# TYPE process_cpu_seconds_total counter\n" in text
    assert "# HELP process_resident_memory_bytes Resident memory size in bytes.\n" in text
    assert "# TYPE process_start_time_seconds gauge\n" in text


def test_holding_200_mb_raises_resident_memory_and_its_growth_rate(collector: finmon.MetricsCollector) -> None:
    monitor = finmon.ResourceMonitor(collector, rss_growth_window_seconds=5.0)
    monitor.start_monitoring(interval_seconds=0.2)
    held: list[bytearray] = []
    try:
        assert wait_for(lambda: monitor.get_current_stats()["process_resident_bytes"] is not None)
        before = collector.get_sample_value("process_resident_memory_bytes") or 0.0
        for _ in range(10):  # 200 MB over about a second, so several ticks see it grow
            chunk = bytearray(20 * 2**20)
            for offset in range(0, len(chunk), 4096):
                chunk[offset] = 1  # touch every page: calloc'd pages are not resident yet
            held.append(chunk)
            time.sleep(0.1)
        growth_seen: list[float] = []

        def grown() -> bool:
            growth = collector.get_sample_value("process_resident_memory_growth_bytes_per_second") or 0.0
            if growth > 0:
                growth_seen.append(growth)
            resident = collector.get_sample_value("process_resident_memory_bytes") or 0.0
            return resident - before > 150e6 and bool(growth_seen)

        assert wait_for(grown), (before, collector.get_sample_value("process_resident_memory_bytes"))
        assert monitor.get_current_stats()["rss_growth_bytes_per_second"] is not None
    finally:
        monitor.stop_monitoring()
        held.clear()


def test_a_broken_meminfo_is_counted_logged_once_and_recovers(
        collector: finmon.MetricsCollector, proc_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="finmon")
    good = (proc_root / "meminfo").read_text()
    (proc_root / "meminfo").write_text("MemTotal: plenty kB\n")
    monitor = finmon.ResourceMonitor(collector, proc_root=proc_root, disk_path=tmp_path)
    monitor.start_monitoring(interval_seconds=0.05)
    try:
        assert wait_for(lambda: (errors(collector, "memory") or 0) >= 3)
        assert errors(collector, "cpu") == 0
        assert errors(collector, "disk") == 0
        stats = monitor.get_current_stats()
        assert stats["memory_total_bytes"] is None
        assert "meminfo" in stats["errors"]["memory"]
        assert stats["disk_total_bytes"] == psutil.disk_usage(str(tmp_path)).total

        (proc_root / "meminfo").write_text(good)

        def recovered() -> bool:
            return any(r.name == "finmon" and r.levelno == logging.INFO for r in caplog.records)

        # Events reach logging in order, so once the recovery is logged every warning is too.
        assert wait_for(recovered)
        assert collector.get_sample_value("system_memory_total_bytes") == psutil.virtual_memory().total
    finally:
        monitor.stop_monitoring()
    warnings = [r for r in caplog.records if r.name == "finmon" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "memory" in warnings[0].getMessage()
    assert getattr(warnings[0], "finmon")["collector"] == "memory"
    infos = [r for r in caplog.records if r.name == "finmon" and r.levelno == logging.INFO]
    assert len(infos) == 1
    assert "collected again" in infos[0].getMessage()


@pytest.mark.parametrize("interval", [0, -1, 0.001, math.nan, math.inf, 1e9])
def test_bad_intervals_raise_value_error_and_start_nothing(collector: finmon.MetricsCollector, interval: float) -> None:
    monitor = finmon.ResourceMonitor(collector)
    with pytest.raises(ValueError, match="interval"):
        monitor.start_monitoring(interval)
    assert not monitor.is_running


@pytest.mark.parametrize("kwargs, message", [
    ({"disk_path": "/does/not/exist"}, "disk path"),
    ({"disk_path": ""}, "disk path"),
    ({"disk_path": "/\0"}, "NUL"),
    ({"proc_root": "/does/not/exist"}, "proc root"),
    ({"proc_root": "/proc/meminfo"}, "proc root"),
    ({"rss_growth_window_seconds": 0}, "window"),
    ({"rss_growth_window_seconds": math.nan}, "window"),
])
def test_bad_configuration_raises_value_error(collector: finmon.MetricsCollector, kwargs: dict[str, Any],
                                             message: str) -> None:
    with pytest.raises(ValueError, match=message):
        finmon.ResourceMonitor(collector, **kwargs)


def test_wrong_types_raise_type_error(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(TypeError):
        finmon.ResourceMonitor(collector).start_monitoring("5")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        finmon.ResourceMonitor(collector, disk_path=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        finmon.ResourceMonitor(collector, rss_growth_window_seconds=None)  # type: ignore[arg-type]


def test_system_stats_context_manager_and_collector_stop(collector: finmon.MetricsCollector) -> None:
    with finmon.ResourceMonitor(collector).start_monitoring(0.05) as monitor:
        assert monitor.is_running
        assert monitor.interval_seconds == 0.05
        assert wait_for(lambda: monitor.get_current_stats()["cpu_percent"] is not None)
        stats = monitor.get_system_stats()
    assert not monitor.is_running
    assert isinstance(stats, finmon.SystemStats)
    assert stats.memory_total_gb == pytest.approx(psutil.virtual_memory().total / 1024**3)
    assert 0 <= (stats.cpu_percent or 0) <= 100
    assert stats.disk_percent == pytest.approx(psutil.disk_usage("/").percent, abs=2)
    # The design types the timestamp as a str: ISO 8601, in UTC.
    assert isinstance(stats.timestamp, str)
    when = datetime.fromisoformat(stats.timestamp)
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
    assert abs(when.timestamp() - time.time()) < 60
    line = json.loads(json.dumps(stats.to_dict()))
    assert line["memory_percent"] == stats.memory_percent
    assert line["timestamp"] == stats.timestamp

    monitor.start_monitoring(1)
    collector.stop()  # stops every library thread, the monitor's schedule included
    assert not monitor.is_running
    assert monitor.interval_seconds is None


def test_a_closed_collector_refuses_calls() -> None:
    collector = finmon.MetricsCollector()
    monitor = finmon.ResourceMonitor(collector)
    collector.close()
    with pytest.raises(finmon.InvalidHandleError):
        monitor.get_current_stats()
    with monitor:  # leaving the block on a closed collector is quiet
        pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork semantics tested on Linux; not Linux")
def test_a_forked_child_samples_on_its_own(collector: finmon.MetricsCollector) -> None:
    monitor = finmon.ResourceMonitor(collector).start_monitoring(0.05)
    assert wait_for(lambda: monitor.get_current_stats()["cpu_percent"] is not None)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report through the pipe, never return into pytest
        faulthandler.dump_traceback_later(20, exit=True)
        code = 1
        try:
            report: dict[str, object] = {"running_after_fork": monitor.is_running}
            before = monitor.get_current_stats()["monotonic_time"]
            monitor.start_monitoring(0.05)
            report["sampled"] = wait_for(lambda: monitor.get_current_stats()["monotonic_time"] > before)
            report["pid_resident"] = collector.get_sample_value("process_resident_memory_bytes") or 0
            collector.stop()
            report["running_after_stop"] = monitor.is_running
            os.write(write_end, json.dumps(report).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    child: dict[str, Any] = json.loads(os.read(read_end, 4096))
    os.close(read_end)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    resident = child.pop("pid_resident")
    assert child == {"running_after_fork": False, "sampled": True, "running_after_stop": False}
    assert resident > 0
    assert monitor.is_running  # the parent's schedule is untouched
    monitor.stop_monitoring()


def test_a_forked_child_samples_its_own_process_not_the_parents(collector: finmon.MetricsCollector) -> None:
    """The sampler keeps /proc/self descriptors open between ticks; opened in the parent
    they name the parent, so a forked child must reopen them. The child's start time (it
    starts at the fork, well after the parent) tells whose stat was read."""
    monitor = finmon.ResourceMonitor(collector)
    parent = monitor.sample_now()
    assert parent["process_start_time_seconds"] == pytest.approx(psutil.Process().create_time(), abs=0.05)
    time.sleep(0.3)  # the child's start time is then at least 0.3 s after the parent's
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running the parent's cleanup
        try:
            os.close(read_end)
            started = monitor.sample_now()["process_start_time_seconds"]
            os.write(write_end, f"{started} {psutil.Process().create_time()}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as report:
        child_sampled, child_created = map(float, report.read().split())
    assert os.waitpid(pid, 0)[1] == 0
    assert child_sampled == pytest.approx(child_created, abs=0.05)
    assert child_sampled > parent["process_start_time_seconds"] + 0.2
    # The parent's descriptors still read the parent.
    assert monitor.sample_now()["process_start_time_seconds"] == parent["process_start_time_seconds"]
