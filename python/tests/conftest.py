"""Shared pytest fixtures: real Alertmanager, podman engine and Prometheus.

A server that cannot start makes the tests using it FAIL (never skip), with
the server's log tail in the message: run ``scripts/setup.sh`` first.

- ``alertmanager`` (session): one ``AlertmanagerServer``; tests share it, so
  match your alerts by a label unique to the test, and a test that calls
  ``stop()`` must ``start()`` it again (same port) in a ``finally``.
- ``podman`` (session): one ``PodmanService``; the same rule for
  ``stop()``/``start()``. Sandbox containers created during the session are
  removed at its end.
- ``collector`` (function): a fresh ``finmon.MetricsCollector``, closed after the test.
- ``label``, ``client``, ``sandboxes`` (function): a label key of the test's own, a
  docker-py client of the podman engine, and ``sandboxes(command, **run_kwargs)`` that
  starts a container with both labels and removes the test's containers afterwards.
- ``prometheus_factory`` (function): ``prometheus_factory(scrape_targets, **kw)``
  starts a ``PrometheusServer`` (arguments as its constructor) and stops it
  after the test; call it once the exporter's port is known.
"""

from __future__ import annotations

import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

import finmon

# Make `import servers` work whatever pytest's import mode or rootdir.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from servers import (  # noqa: E402
    SANDBOX_IMAGE,
    SANDBOX_LABEL,
    AlertmanagerServer,
    ManagedServer,
    PodmanService,
    PrometheusServer,
    ServerStartError,
)

S = TypeVar("S", bound=ManagedServer)


def _started(factory: Callable[[], S]) -> S:
    """Build and start a server, turning any startup problem into a test failure."""
    try:
        server = factory()
    except (ServerStartError, OSError) as exc:
        problem = f"could not set up a real server for the test: {exc}"
    else:
        try:
            return server.start()
        except (ServerStartError, OSError) as exc:
            server.close()
            problem = f"could not start a real server for the test: {exc}"
    # Outside the except blocks, so the report shows only this message.
    pytest.fail(problem, pytrace=False)


@pytest.fixture(autouse=True)
def _ctrl_c_reaches_children() -> None:
    """The Ctrl-C tests send SIGINT to a child as a terminal would. A runner started in the
    background by a non-interactive shell (`cmd &`, nohup) has SIGINT ignored, and code
    that saves and restores the disposition (the example loop run in-process) puts that
    back; an ignored signal stays ignored across exec, so the child would ignore the
    Ctrl-C the test sends. A handler is reset to the default at exec instead: checked
    before every test, children start with Ctrl-C working whatever started the runner."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def alertmanager() -> Iterator[AlertmanagerServer]:
    """A running Alertmanager (default config: one `null` receiver, 1 s grouping)."""
    server = _started(AlertmanagerServer)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def podman() -> Iterator[PodmanService]:
    """A running podman API service on a private unix socket."""
    server = _started(PodmanService)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def collector() -> Iterator[finmon.MetricsCollector]:
    """A fresh collector, closed after the test."""
    instance = finmon.MetricsCollector()
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def label() -> str:
    """A label key no other test uses."""
    return f"finmon-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(podman: PodmanService) -> Any:
    return podman.docker_client()


@pytest.fixture
def sandboxes(client: Any, label: str, podman: PodmanService) -> Iterator[Callable[..., Any]]:
    """``sandboxes(command, **run_kwargs)`` starts a labelled container; all are removed after the test."""

    def start(command: list[str], **kwargs: Any) -> Any:
        labels = {SANDBOX_LABEL: "true", label: "1"}
        return client.containers.run(SANDBOX_IMAGE, command, labels=labels, detach=True, **kwargs)

    try:
        yield start
    finally:
        podman.remove_labelled(label)


@pytest.fixture
def prometheus_factory() -> Iterator[Callable[..., PrometheusServer]]:
    """Factory: ``prometheus_factory(["127.0.0.1:PORT"], rule_files=[...],
    alertmanager_url=alertmanager.url)`` -> a started ``PrometheusServer``."""
    servers: list[PrometheusServer] = []

    def make(scrape_targets: list[str], **kwargs: Any) -> PrometheusServer:
        server = _started(lambda: PrometheusServer(scrape_targets, **kwargs))
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.close()


@pytest.fixture(scope="session", autouse=True)
def _work_in_a_scratch_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The example loop and finmon.start write their final record and alert log to the
    working directory; run the suite in a scratch folder so the checkout stays clean."""
    import os

    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(previous)
