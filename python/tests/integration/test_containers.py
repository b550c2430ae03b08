"""ContainerMonitor against a real Docker-compatible engine (podman's API service).

Every test labels its containers with a key of its own (besides ``finlab-sandbox``) and
points the monitor at that key, so containers of other tests or runs on the same engine
never count as its orphans.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import finmon
from servers import PodmanService, wait_for

BUSY = ["sh", "-c", "while :; do :; done & while :; do :; done"]
SLEEP = ["sleep", "600"]


def memory(collector: finmon.MetricsCollector, container_id: str) -> float | None:
    return collector.get_sample_value("container_memory_usage_bytes", {"container_id": container_id})


def cpu(collector: finmon.MetricsCollector, container_id: str) -> float | None:
    return collector.get_sample_value("container_cpu_usage_percent", {"container_id": container_id})


def docker_errors(collector: finmon.MetricsCollector) -> float:
    return collector.get_sample_value("finmon_collection_errors_total", {"collector": "docker"}) or 0.0


def engine_ids(client: Any, label: str) -> list[str]:
    return [c.id for c in client.containers.list(all=True, filters={"label": label})]


_SIZE = re.compile(r"^\s*([0-9.]+)\s*([kMGT]?B)\s*$")
_UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def podman_memory(podman: PodmanService, container_id: str) -> float:
    """The usage half of ``podman stats``' mem_usage ("104.9MB / 25.28GB", SI units)."""
    rows = json.loads(podman.podman("stats", "--no-stream", "--format", "json", container_id).stdout)
    usage = rows[0]["mem_usage"].split("/")[0]
    match = _SIZE.match(usage)
    assert match, f"unexpected podman mem_usage {rows[0]['mem_usage']!r}"
    return float(match.group(1)) * _UNITS[match.group(2)]


def test_active_cleaned_and_orphaned_containers(collector: finmon.MetricsCollector, client: Any, label: str,
                                                sandboxes: Callable[..., Any]) -> None:
    monitor = finmon.ContainerMonitor(collector, client, label=label, auto_cleanup=False)
    first, second, third = (sandboxes(SLEEP) for _ in range(3))
    for container in (first, second, third):
        monitor.record_container_created(container.id)
    assert collector.get_sample_value("active_containers") == 3

    # One cleaned up by the loop itself, one by the library.
    first.remove(force=True)
    monitor.record_container_cleanup(first.id, success=True)
    assert monitor.remove_container(second.id) is True
    assert collector.get_sample_value("active_containers") == 1
    assert collector.get_sample_value("container_cleanup_success_total") == 2

    third.stop(timeout=0)
    third.reload()
    assert third.status == "exited"
    assert monitor.scan_orphaned_containers() == [third.id]
    assert collector.get_sample_value("orphaned_containers") == 1

    assert monitor.cleanup_orphaned_containers() == 1
    assert collector.get_sample_value("orphaned_containers") == 0
    assert engine_ids(client, label) == []
    assert collector.get_sample_value("active_containers") == 0
    assert collector.get_sample_value("container_cleanup_success_total") == 3
    assert monitor.scan_orphaned_containers() == []
    assert docker_errors(collector) == 0


def test_track_removes_the_container_when_the_block_ends(collector: finmon.MetricsCollector, client: Any,
                                                         label: str, sandboxes: Callable[..., Any]) -> None:
    monitor = finmon.ContainerMonitor(collector, client, label=label)
    container = sandboxes(SLEEP)
    with monitor.track(container) as tracked:
        assert tracked.id == container.id
        assert collector.get_sample_value("active_containers") == 1
        wait_for(lambda: memory(collector, container.id) is not None, message="first stats sample")
    assert tracked.removed is True
    assert engine_ids(client, label) == []
    assert memory(collector, container.id) is None
    assert collector.get_sample_value("container_cleanup_success_total") == 1

    # A block that raises still cleans up; the exception propagates.
    failing = sandboxes(SLEEP)
    with pytest.raises(RuntimeError, match="backtest crashed"):
        with monitor.track(failing):
            raise RuntimeError("backtest crashed")
    assert engine_ids(client, label) == []

    # A block that removed the container itself: already gone counts as cleaned up.
    removed_inside = sandboxes(SLEEP)
    with monitor.track(removed_inside) as tracked:
        removed_inside.remove(force=True)
    assert tracked.removed is False
    assert collector.get_sample_value("container_cleanup_success_total") == 3
    assert collector.get_sample_value("active_containers") == 0


def test_cpu_and_memory_agree_with_the_engine(collector: finmon.MetricsCollector, client: Any, label: str,
                                              podman: PodmanService, sandboxes: Callable[..., Any]) -> None:
    monitor = finmon.ContainerMonitor(collector, client, label=label)
    busy = sandboxes(BUSY)
    # 100 MB written to a tmpfs is charged to the container's memory and stays there.
    holder = sandboxes(["sh", "-c", "dd if=/dev/zero of=/data/fill bs=1M count=100 && sleep 600"],
                       tmpfs={"/data": "size=200m"})
    monitor.record_container_created(busy.id)
    monitor.record_container_created(holder.id)
    monitor.start_polling(interval_seconds=0.5)
    try:
        # Two busy loops: far above an idle container's ~0%, even when other jobs keep both
        # cores of this shared machine busy (then the loops get a fraction of one CPU).
        wait_for(lambda: (cpu(collector, busy.id) or 0) > 10, timeout=20, message="busy container's CPU > 10%")
        wait_for(lambda: (memory(collector, holder.id) or 0) >= 100e6, timeout=20, message="100 MB held")
        ours = memory(collector, holder.id)
        theirs = podman_memory(podman, holder.id)
        assert ours is not None
        assert abs(ours - theirs) <= 0.1 * theirs, (ours, theirs)
    finally:
        monitor.stop_polling()
    assert docker_errors(collector) == 0


def test_a_hundred_containers_in_one_cycle_and_no_series_left(collector: finmon.MetricsCollector, client: Any,
                                                              label: str, sandboxes: Callable[..., Any]) -> None:
    interval = 10.0
    monitor = finmon.ContainerMonitor(collector, client, label=label)
    with ThreadPoolExecutor(max_workers=8) as pool:
        containers = list(pool.map(lambda _: sandboxes(SLEEP), range(100)))
    for container in containers:
        monitor.record_container_created(container.id)
    assert collector.get_sample_value("active_containers") == 100
    # Let the hooks' first queries land, so the first cycle asks about every container.
    wait_for(lambda: monitor.get_status()["queries_in_flight"] == 0, timeout=30, message="hook queries answered")

    monitor.start_polling(interval_seconds=interval)
    try:
        # A generous deadline: 100 stats calls to podman on a loaded 2-core machine can take
        # longer than the interval; how long a cycle takes is Benchmarks' business, not a test's.
        status = wait_for(lambda: (s := monitor.get_status())["cycles_completed"] >= 1 and s, timeout=120,
                          message="one polling cycle")
    finally:
        monitor.stop_polling()
    assert status["last_cycle_containers"] == 100
    assert status["last_cycle_seconds"] > 0
    assert collector.get_sample_value("finmon_container_stats_cycle_seconds") == status["last_cycle_seconds"]
    assert all(memory(collector, c.id) is not None for c in containers)
    assert all(cpu(collector, c.id) is not None for c in containers)
    assert docker_errors(collector) == 0

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(lambda c: monitor.remove_container(c.id), containers))
    assert collector.container_memory_usage.series_count() == 0
    assert collector.container_cpu_usage.series_count() == 0
    assert collector.get_sample_value("active_containers") == 0
    assert collector.get_sample_value("container_cleanup_success_total") == 100
    assert monitor.get_status()["tracked_containers"] == 0


def test_engine_down_then_back(collector: finmon.MetricsCollector, client: Any, label: str, podman: PodmanService,
                               sandboxes: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="finmon")
    monitor = finmon.ContainerMonitor(collector, client, label=label, request_timeout=0.5)
    container = sandboxes(SLEEP)
    monitor.record_container_created(container.id)
    last = wait_for(lambda: memory(collector, container.id), message="first sample")

    podman.stop()
    try:
        assert monitor.record_container_stats(container.id) is None  # returns without waiting
        wait_for(lambda: docker_errors(collector) >= 1, message="the failed query counted")
        assert memory(collector, container.id) == last
        assert monitor.get_status()["engine_failing"] is True
        with pytest.raises((finmon.FinmonIOError, finmon.FinmonTimeoutError)):
            monitor.scan_orphaned_containers()
        assert docker_errors(collector) >= 2
        wait_for(lambda: any("Container metrics unavailable" in r.getMessage() for r in caplog.records),
                 message="the warning")
    finally:
        podman.start()

    monitor.record_container_stats(container.id)
    wait_for(lambda: monitor.get_status()["engine_failing"] is False, message="recovery")
    assert monitor.scan_orphaned_containers() == []
    wait_for(lambda: any("Container metrics restored" in r.getMessage() for r in caplog.records),
             message="the recovery message")
    warnings = [r for r in caplog.records if "Container metrics unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert memory(collector, container.id) is not None


class StalledEngine:
    """A unix socket that accepts connections and never answers (a hung dockerd)."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="finmon-stalled-")
        self.path = Path(self.folder.name) / "engine.sock"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen(64)
        self.held: list[socket.socket] = []
        self.accepted = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)
            self.accepted.set()

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.held:
            connection.close()
        self.thread.join(5)
        self.folder.cleanup()


def test_stalled_engine_times_out_and_the_real_one_recovers(collector: finmon.MetricsCollector, client: Any,
                                                           label: str, sandboxes: Callable[..., Any]) -> None:
    stalled = StalledEngine()
    try:
        monitor = finmon.ContainerMonitor(collector, docker_host=f"unix://{stalled.path}", label=label,
                                          request_timeout=0.3)
        monitor.record_container_created("sandbox-on-a-hung-engine")
        monitor.record_container_stats("sandbox-on-a-hung-engine")
        assert stalled.accepted.wait(10)
        wait_for(lambda: docker_errors(collector) >= 1, message="the timed-out query counted")
        assert "timed out" in monitor.get_status()["last_error"]
        with pytest.raises(finmon.FinmonTimeoutError):
            monitor.scan_orphaned_containers()
        monitor.record_container_cleanup("sandbox-on-a-hung-engine", success=False)
        assert collector.get_sample_value("container_cleanup_failure_total") == 1
    finally:
        stalled.close()

    monitor = finmon.ContainerMonitor(collector, client, label=label)
    container = sandboxes(SLEEP)
    monitor.record_container_created(container.id)
    wait_for(lambda: memory(collector, container.id) is not None, message="a sample from the real engine")
    assert monitor.get_status()["engine_failing"] is False
