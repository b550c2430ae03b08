"""The example's DockerExecutor (python/examples/docker_executor.py) against real podman:
backtests run in the sandbox and agree with the same backtests in-process; a sandbox that
hangs is killed at the timeout, one that crashes or cannot be created is a SandboxError,
and each is removed with its cleanup recorded; a removal the engine refuses leaves an
orphan that finmon's scan finds and the executor's shutdown removes. Every sandbox
carries a label only this test's monitor watches."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import docker.errors
import pytest
from scrape import wait_for
from servers import SANDBOX_LABEL, PodmanService

import finmon

EXAMPLES = Path(__file__).resolve().parents[3] / "python" / "examples"
RULES = [(5, 20, 0.0, 0.1), (10, 50, 0.01, 0.05), (2, 7, 0.05, 0.3), (20, 120, 0.0, 0.02)]


@pytest.fixture(scope="module")
def examples() -> tuple[ModuleType, ModuleType]:
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module("docker_executor"), importlib.import_module("backtest")


@pytest.fixture
def sandbox(podman: PodmanService) -> Iterator[tuple[Any, finmon.MetricsCollector, finmon.ContainerMonitor, str]]:
    """A docker-py client, a collector whose container monitor watches this test's label."""
    client = podman.docker_client()
    label = f"{SANDBOX_LABEL}={uuid.uuid4().hex[:12]}"
    with finmon.MetricsCollector() as collector:
        monitor = finmon.ContainerMonitor(collector, client, label=label, auto_cleanup=False)
        try:
            yield client, collector, monitor, label
        finally:
            leftovers = podman.podman("ps", "--all", "--quiet", "--filter", f"label={label}").stdout.split()
            if leftovers:
                podman.podman("rm", "--force", "--time", "0", *leftovers)


def assert_all_removed(collector: finmon.MetricsCollector, client: Any, label: str, sandboxes: int) -> None:
    """Each sandbox's removal counted as a success, none active, none left in the engine."""
    assert collector.get_sample_value("container_cleanup_success_total") == sandboxes
    assert collector.get_sample_value("active_containers") == 0
    assert engine_ids(client, label) == []


def engine_ids(client: Any, label: str) -> list[str]:
    # Ids only: containers.list() inspects each one and fails on one removed meanwhile.
    return [c["Id"] for c in client.api.containers(all=True, quiet=True, filters={"label": label})]


def test_backtests_in_the_sandbox_match_the_same_backtests_in_process(
        examples: tuple[ModuleType, ModuleType], sandbox: tuple[Any, Any, Any, str]) -> None:
    executor_module, backtest = examples
    client, collector, monitor, label = sandbox
    executor = executor_module.DockerExecutor(client, monitor, label=label, strategies_per_sandbox=3)
    results = executor.backtest(RULES, seed=11, days=600)
    expected = backtest.Market(backtest.synthetic_prices(11, 600))
    assert results == [expected.backtest(rule) for rule in RULES]
    assert any(result is not None for result in results)
    assert_all_removed(collector, client, label, sandboxes=2)  # 3 + 1 strategies


def test_a_hanging_sandbox_is_killed_at_the_timeout_and_removed(
        examples: tuple[ModuleType, ModuleType], sandbox: tuple[Any, Any, Any, str]) -> None:
    executor_module, _ = examples
    client, collector, monitor, label = sandbox
    executor = executor_module.DockerExecutor(client, monitor, label=label, timeout=1.5, stats_interval=0.2)
    with pytest.raises(executor_module.SandboxTimeout, match="ran past 1.5 s and was killed"):
        executor.backtest(RULES[:1], seed=1, days=300, fault="hang")
    assert_all_removed(collector, client, label, sandboxes=1)


def test_a_crash_or_an_image_that_does_not_exist_is_a_sandbox_error(
        examples: tuple[ModuleType, ModuleType], sandbox: tuple[Any, Any, Any, str]) -> None:
    executor_module, _ = examples
    client, collector, monitor, label = sandbox
    executor = executor_module.DockerExecutor(client, monitor, label=label)
    with pytest.raises(executor_module.SandboxError, match="exited with status 3: backtest: simulated crash"):
        executor.backtest(RULES, seed=1, days=300, fault="crash")
    assert_all_removed(collector, client, label, sandboxes=1)
    missing = executor_module.DockerExecutor(client, monitor, label=label, image="finmon-no-such-image:latest")
    with pytest.raises(executor_module.SandboxError, match="could not create a sandbox"):
        missing.backtest(RULES, seed=1)
    assert engine_ids(client, label) == []
    assert executor.backtest([], seed=1) == []  # nothing to do: no container


def test_a_refused_removal_leaves_an_orphan_that_the_shutdown_removes(
        examples: tuple[ModuleType, ModuleType], sandbox: tuple[Any, Any, Any, str]) -> None:
    executor_module, _ = examples
    client, collector, monitor, label = sandbox

    class Refusing(executor_module.DockerExecutor):  # type: ignore[name-defined,misc]
        def remove(self, container: Any) -> None:
            raise docker.errors.APIError("the engine refuses")

    executor = Refusing(client, monitor, label=label)
    assert len(executor.backtest(RULES, seed=3, days=300)) == len(RULES)
    assert collector.get_sample_value("container_cleanup_failure_total") == 1
    assert collector.get_sample_value("active_containers") == 0
    # podman reports the container "stopped" for a moment before "exited" (an orphan state).
    orphans = wait_for(monitor.scan_orphaned_containers, timeout=10, message="the orphan in a scan")
    assert len(orphans) == 1 and orphans == engine_ids(client, label)
    assert collector.get_sample_value("orphaned_containers") == 1
    # Another run's sandbox with the same monitored label is not this executor's to remove.
    other = client.containers.create("finlab-sandbox:latest", ["true"], labels={label.split("=")[0]: label.split("=")[1]})
    try:
        assert executor.remove_leftovers() == 1
        assert engine_ids(client, label) == [other.id]
    finally:
        other.remove(force=True)


def test_bad_arguments_are_refused(examples: tuple[ModuleType, ModuleType],
                                   sandbox: tuple[Any, Any, Any, str]) -> None:
    executor_module, _ = examples
    client, _, monitor, _ = sandbox
    with pytest.raises(ValueError, match="strategies_per_sandbox must be at least 1"):
        executor_module.DockerExecutor(client, monitor, strategies_per_sandbox=0)
