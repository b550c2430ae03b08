"""What a test writes where the original design's test plan mocks psutil and the Docker
client. finmon samples natively, so there is nothing to mock; instead:

- "mock psutil to return 85%": a fixture ``/proc`` whose ``meminfo`` says 85% is used,
  read by the library's own parser: ``ResourceMonitor(collector, proc_root=proc_root(tmp_path,
  memory_percent=85))._record_system_metrics()``. For alert tests, an injected sample is
  shorter still: ``alerts.inject_snapshot(memory_percent=85)``.
- "mock Docker client": a Docker Engine API on a unix socket with the containers the test
  gives it, spoken to by the library's own client: ``with FakeEngine(tmp_path, [...]) as
  engine: ContainerMonitor(collector, docker_host=engine.url)``.

Example:
    >>> import tempfile, finmon
    >>> from finmon.testing import proc_root
    >>> with tempfile.TemporaryDirectory() as folder, finmon.MetricsCollector() as collector:
    ...     finmon.ResourceMonitor(collector, proc_root=proc_root(folder, memory_percent=85))._record_system_metrics()
    ...     used = collector.get_sample_value("system_memory_usage_bytes")
    ...     total = collector.get_sample_value("system_memory_total_bytes")
    >>> round(100 * used / total)
    85
"""

from __future__ import annotations

import json
import os
import shutil
import socketserver
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["FakeContainer", "FakeEngine", "proc_root"]


def proc_root(directory: str | os.PathLike[str], *, memory_percent: float,
              memory_total_bytes: int = 16 * 2**30) -> Path:
    """A ``/proc`` for ``ResourceMonitor(proc_root=...)`` whose memory is ``memory_percent``
    used (``MemAvailable`` below ``MemTotal``, as psutil computes its percent). CPU times and
    the process' own files are the machine's (``stat`` copied, ``self`` linked), so every
    other reading stays real. Returns the new folder (``<directory>/proc``)."""
    if not 0 <= memory_percent <= 100:
        raise ValueError(f"memory_percent must be in [0, 100], got {memory_percent}")
    root = Path(directory) / "proc"
    root.mkdir(parents=True, exist_ok=True)
    total_kb = memory_total_bytes // 1024
    available_kb = round(total_kb * (100 - memory_percent) / 100)
    (root / "meminfo").write_text(
        f"MemTotal:       {total_kb} kB\nMemFree:        {available_kb} kB\n"
        f"MemAvailable:   {available_kb} kB\nBuffers:        0 kB\nCached:         0 kB\n")
    shutil.copyfile("/proc/stat", root / "stat")
    if not (root / "self").exists():
        (root / "self").symlink_to("/proc/self")
    return root


@dataclass
class FakeContainer:
    """One container the fake engine lists: ``state`` is what makes it an orphan
    (``exited``, ``dead``), ``memory_bytes`` and ``cpu_percent`` what its stats say."""

    id: str
    state: str = "running"
    labels: dict[str, str] = field(default_factory=lambda: {"finlab-sandbox": "true"})
    memory_bytes: int = 50 * 2**20
    cpu_percent: float = 25.0
    _cpu_ns: int = 0
    _system_ns: int = 0

    def summary(self) -> dict[str, Any]:
        return {"Id": self.id, "Names": [f"/{self.id}"], "State": self.state, "Labels": self.labels}

    def stats(self, online_cpus: int) -> dict[str, Any]:
        """Counters advanced by one second of every CPU, ``cpu_percent`` of it this container's."""
        previous = {"cpu_usage": {"total_usage": self._cpu_ns}, "system_cpu_usage": self._system_ns,
                    "online_cpus": online_cpus}
        self._system_ns += online_cpus * 10**9
        self._cpu_ns += round(self.cpu_percent / 100 * 10**9)
        inactive = 4 * 2**20
        return {
            "id": self.id,
            "cpu_stats": {"cpu_usage": {"total_usage": self._cpu_ns}, "system_cpu_usage": self._system_ns,
                          "online_cpus": online_cpus},
            "precpu_stats": previous,
            "memory_stats": {"usage": self.memory_bytes + inactive, "limit": 8 * 2**30,
                             "stats": {"inactive_file": inactive}},
        }


class FakeEngine:
    """A Docker Engine API (v1.41: ``_ping``, ``version``, ``containers/json``,
    ``containers/{id}/stats``, ``DELETE containers/{id}``) on a unix socket in
    ``directory``, serving ``containers``; ``url`` is what ``docker_host`` takes. Removed
    ids land in ``removed``. A test double for the loop's own tests: finmon's own tests
    use a real podman engine.
    """

    def __init__(self, directory: str | os.PathLike[str], containers: Iterable[FakeContainer] = (),
                 online_cpus: int = 2) -> None:
        self.socket_path = Path(directory) / "fake-engine.sock"
        self.containers: dict[str, FakeContainer] = {c.id: c for c in containers}
        self.removed: list[str] = []
        self.online_cpus = online_cpus
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def add(self, container: FakeContainer) -> None:
        with self._lock:
            self.containers[container.id] = container

    def start(self) -> FakeEngine:
        engine = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                status, body = engine._get(self.path)
                self._send(status, body)

            def do_DELETE(self) -> None:
                status, body = engine._delete(self.path)
                self._send(status, body)

        self.socket_path.unlink(missing_ok=True)
        server = socketserver.ThreadingUnixStreamServer(str(self.socket_path), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="finmon-fake-engine", daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self.socket_path.unlink(missing_ok=True)

    def _container(self, path: str) -> FakeContainer | None:
        parts = urlsplit(path).path.split("/")
        # /v1.41/containers/{id}[/stats]
        return self.containers.get(unquote(parts[3])) if len(parts) > 3 else None

    def _get(self, path: str) -> tuple[int, Any]:
        url = urlsplit(path)
        with self._lock:
            if url.path == "/_ping":
                return 200, b"OK"
            if url.path.endswith("/version"):
                return 200, {"ApiVersion": "1.41", "Version": "finmon-fake"}
            if url.path.endswith("/containers/json"):
                filters = json.loads(parse_qs(url.query).get("filters", ["{}"])[0])
                wanted = filters.get("label", [])
                listed = [c.summary() for c in self.containers.values()
                          if all(self._matches(c, label) for label in wanted)]
                return 200, listed
            container = self._container(path)
            if container is None:
                return 404, {"message": "No such container"}
            return 200, container.stats(self.online_cpus)

    @staticmethod
    def _matches(container: FakeContainer, label: str) -> bool:
        key, _, value = label.partition("=")
        return key in container.labels and (not value or container.labels[key] == value)

    def _delete(self, path: str) -> tuple[int, Any]:
        with self._lock:
            container = self._container(path)
            if container is None:
                return 404, {"message": "No such container"}
            del self.containers[container.id]
            self.removed.append(container.id)
            return 204, None

    def __enter__(self) -> FakeEngine:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
