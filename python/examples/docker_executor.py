"""Backtests in sandbox containers, through docker-py against the engine (Docker or podman).

The original design's "Docker Executor" integration point: each sandbox is a container
labelled ``finlab-sandbox`` (so finmon's orphan scan finds it if it is ever left behind),
and finmon's container hooks sit around its life:

    container = client.containers.create(...)            # label finlab-sandbox
    container.start()
    monitoring.record_container_created(container.id)    # active_containers + 1
    while it runs:
        monitoring.record_container_stats(container.id)  # memory and CPU, every stats_interval
    on timeout: container.kill()
    container.remove(force=True)                         # always, also after a failure
    monitoring.record_container_cleanup(container.id, success)

The hooks return at once: finmon queries the engine on its own thread. ``monitoring`` is
what ``finmon.start()`` returns (its hooks are no-ops when the container monitor is off)
or a ``finmon.ContainerMonitor``.

The sandbox runs ``backtest.py`` (standard library only) with Debian's Python from the
image ``scripts/setup.sh`` builds: no network, a read-only root filesystem, no
capabilities, an unprivileged user, a memory and a process limit. The code travels in
the command line and the results come back on standard output, so nothing is mounted
and any engine works, local or remote.

Example (needs an engine; ``scripts/run.sh`` starts podman for the example loop):

    import docker, finmon
    client = docker.from_env()
    monitoring = finmon.start("config/monitoring_config.yaml", docker_client=client)
    executor = DockerExecutor(client, monitoring)
    results = executor.backtest([(10, 50, 0.01, 0.1), (5, 20, 0.0, 0.05)], seed=42)
    monitoring.stop()
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import docker
import docker.errors
import requests.exceptions

from backtest import Result, Rule

__all__ = ["ContainerHooks", "DockerExecutor", "SandboxError", "SandboxTimeout"]

#: The program each sandbox runs, shipped in the command line.
BACKTEST_SOURCE = (Path(__file__).resolve().parent / "backtest.py").read_text()
#: Errors of an engine that is down or refuses a request.
ENGINE_ERRORS = (docker.errors.APIError, requests.exceptions.RequestException)

log = logging.getLogger("docker_executor")


class SandboxError(RuntimeError):
    """A sandbox failed: it could not start, exited non-zero, or printed no results."""


class SandboxTimeout(SandboxError):
    """A sandbox ran past its timeout and was killed."""


class ContainerHooks(Protocol):
    """finmon's container hooks: what ``finmon.start()`` returns, or a ContainerMonitor."""

    def record_container_created(self, container_id: str) -> None: ...
    def record_container_stats(self, container_id: str) -> None: ...
    def record_container_cleanup(self, container_id: str, success: bool) -> None: ...


class DockerExecutor:
    """Runs backtests in sandbox containers, ``strategies_per_sandbox`` per container.

    A container costs about 0.3 s to create, start and remove, a backtest a few
    milliseconds, so strategies share a sandbox in batches; 1 gives each its own.

    ``label`` is the one finmon's container monitor watches (``key`` or ``key=value``,
    ``container_monitor.label`` in the config). Each sandbox also carries
    ``finmon.run=<run_id>``, so :meth:`remove_leftovers` removes this executor's
    containers only, never another run's.
    """

    def __init__(self, client: docker.DockerClient, monitoring: ContainerHooks, *,
                 image: str = "finlab-sandbox:latest", label: str = "finlab-sandbox",
                 extra_labels: dict[str, str] | None = None, timeout: float = 60.0,
                 stats_interval: float = 0.5, memory_limit: str = "256m",
                 strategies_per_sandbox: int = 6) -> None:
        if strategies_per_sandbox < 1:
            raise ValueError("strategies_per_sandbox must be at least 1")
        self.client = client
        self.monitoring = monitoring
        self.image = image
        key, _, value = label.partition("=")
        self.run_id = uuid.uuid4().hex[:12]
        self.labels = {key: value or "true", "finmon.run": self.run_id, **(extra_labels or {})}
        self.timeout = timeout
        self.stats_interval = stats_interval
        self.memory_limit = memory_limit
        self.strategies_per_sandbox = strategies_per_sandbox

    def backtest(self, strategies: Sequence[Rule], seed: int, days: int = 2520,
                 fault: str | None = None) -> list[Result]:
        """Backtest every rule on the market of ``seed``; one result (or None) per rule.

        ``fault`` ("crash" or "hang") is passed to the sandbox program to make it fail the
        way a broken strategy would (the example's fault injection).

        Raises SandboxError (SandboxTimeout) when a sandbox fails; its container is
        removed first.
        """
        results: list[Result] = []
        size = self.strategies_per_sandbox
        for start in range(0, len(strategies), size):
            request = {"seed": seed, "days": days, "strategies": [list(s) for s in strategies[start:start + size]]}
            if fault is not None:
                request["fault"] = fault
            results.extend(self.run_sandbox(request))
        return results

    def run_sandbox(self, request: dict[str, Any]) -> list[Result]:
        """One container: create, start, watch, read its results, and always remove it."""
        try:
            container = self.client.containers.create(
                self.image, ["python3", "-I", "-c", BACKTEST_SOURCE, json.dumps(request)],
                labels=self.labels, network_disabled=True, read_only=True, mem_limit=self.memory_limit,
                pids_limit=64, cap_drop=["ALL"], security_opt=["no-new-privileges"], user="65534:65534")
        except ENGINE_ERRORS as error:
            raise SandboxError(f"the engine could not create a sandbox: {error}") from error
        try:
            container.start()
            self.monitoring.record_container_created(container.id)
            exit_code = self._wait(container)
            output = container.logs(stdout=True, stderr=False)
            if exit_code != 0:
                errors = container.logs(stdout=False, stderr=True).decode(errors="replace").strip()
                raise SandboxError(f"sandbox {container.short_id} exited with status {exit_code}: {errors[-200:]}")
            try:
                results: list[Result] = json.loads(output)["results"]
            except (ValueError, KeyError, TypeError) as error:
                raise SandboxError(f"sandbox {container.short_id} printed no results: {error}") from error
            return results
        except ENGINE_ERRORS as error:
            raise SandboxError(f"sandbox {container.short_id}: {error}") from error
        finally:
            self.cleanup(container)

    def remove(self, container: Any) -> None:
        """Remove the container, running or not (``docker rm -f``)."""
        container.remove(force=True)

    def remove_leftovers(self) -> int:
        """At shutdown: remove this executor's sandboxes still in the engine (those whose
        removal failed and that finmon's auto-cleanup has not taken yet). Returns how many."""
        removed = 0
        try:
            # Ids only: docker-py's containers.list() inspects each one, which fails for a
            # container that auto-cleanup removes meanwhile.
            leftovers = self.client.api.containers(all=True, quiet=True,
                                                   filters={"label": f"finmon.run={self.run_id}"})
        except ENGINE_ERRORS as error:
            log.warning("could not list this run's sandboxes at shutdown: %s", error)
            return 0
        for leftover in leftovers:
            try:
                self.client.api.remove_container(leftover["Id"], force=True)
                removed += 1
            except docker.errors.NotFound:
                pass  # gone meanwhile
            except ENGINE_ERRORS as error:
                log.warning("could not remove sandbox %s at shutdown: %s", leftover["Id"][:12], error)
        return removed

    def _wait(self, container: Any) -> int:
        """Poll the container's state until it exits (podman's wait endpoint answers only
        every half second); report its stats while it runs; kill it at the timeout."""
        started = time.monotonic()
        next_stats = started + self.stats_interval
        while True:
            container.reload()
            if container.status not in ("created", "running"):
                return int(container.attrs["State"]["ExitCode"])
            now = time.monotonic()
            if now - started > self.timeout:
                try:
                    container.kill()
                except ENGINE_ERRORS:
                    pass  # it exited meanwhile; the removal follows either way
                raise SandboxTimeout(f"sandbox {container.short_id} ran past {self.timeout:g} s and was killed")
            if now >= next_stats:
                self.monitoring.record_container_stats(container.id)
                next_stats = now + self.stats_interval
            time.sleep(0.05)

    def cleanup(self, container: Any) -> None:
        """Remove the container and record the cleanup (a failure leaves it as an orphan)."""
        try:
            self.remove(container)
            success = True
        except docker.errors.NotFound:
            success = True  # already gone
        except ENGINE_ERRORS as error:
            # Left behind: it exits (or is killed) and finmon's orphan scan reports it.
            log.warning("could not remove sandbox %s: %s", container.short_id, error)
            success = False
        self.monitoring.record_container_cleanup(container.id, success=success)
