"""A real podman engine (``podman system service``) for finmon's integration tests (see
``servers`` for usage)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from server_process import ManagedServer, ServerStartError, unix_http_get

#: The label that marks finmon's sandbox containers; ``PodmanService.close()``
#: removes the ones created while it ran.
SANDBOX_LABEL = "finlab-sandbox"
#: The locally built test image (see ``scripts/setup.sh``).
SANDBOX_IMAGE = "finlab-sandbox:latest"

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = REPO_ROOT / "config" / "containers.conf"


class PodmanService(ManagedServer):
    """``podman system service`` on a private unix socket: a Docker-compatible engine.

    Uses the project's ``config/containers.conf`` through ``CONTAINERS_CONF``
    and the machine's default (rootful) container storage, where
    ``scripts/setup.sh`` built ``finlab-sandbox:latest``. ``stop()`` only stops
    the API service (running containers keep running under conmon, as with a
    restarted dockerd); ``close()`` also removes the sandbox containers created
    since this service first started.
    """

    name = "podman"
    binary = "podman"

    def __init__(self, *, containers_conf: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.containers_conf = (containers_conf or CONTAINERS_CONF).resolve()
        if not self.containers_conf.is_file():
            raise ServerStartError(f"podman: {self.containers_conf} not found")
        self.socket_path = self.tmpdir / "podman.sock"
        self._first_start: float | None = None
        self._clients: list[Any] = []

    @property
    def base_url(self) -> str:
        """``unix:///.../podman.sock``, as docker-py and finmon expect it."""
        return f"unix://{self.socket_path}"

    def _env(self) -> dict[str, str]:
        return {"CONTAINERS_CONF": str(self.containers_conf)}

    def _before_start(self) -> None:
        if self._first_start is None:
            # podman's "Created" is whole seconds; round down to keep our own.
            self._first_start = float(int(time.time()))
        self.socket_path.unlink(missing_ok=True)

    def _command(self) -> list[str]:
        return [self.binary, "system", "service", "--time=0", self.base_url]

    def ping(self) -> bool:
        """``GET /_ping`` answers ``OK``."""
        try:
            status, body = unix_http_get(self.socket_path, "/_ping", timeout=1.0)
        except (OSError, http.client.HTTPException):
            return False
        return status == 200 and body.strip() == b"OK"

    def _is_ready(self) -> bool:
        return self.ping()

    def docker_client(self, api_version: str = "1.41", timeout: int = 30) -> Any:
        """A ``docker.DockerClient`` on this engine (closed by ``close()``).

        The API version is fixed (podman 4.3 speaks 1.41) so a client can be
        built while the engine is down.
        """
        import docker  # local: only podman tests need docker-py

        client = docker.DockerClient(base_url=self.base_url, version=api_version, timeout=timeout)
        self._clients.append(client)
        return client

    def podman(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the podman CLI with this project's containers.conf (works while
        the service is down); raises ``CalledProcessError`` on failure."""
        return subprocess.run(
            [self.binary, *args],
            env={**os.environ, **self._env()},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def sandbox_containers(self, since: float | None = None) -> list[dict[str, Any]]:
        """Containers (any state) labelled ``finlab-sandbox``, optionally only
        those created at or after ``since`` (a ``time.time()`` value)."""
        out = self.podman("ps", "--all", "--filter", f"label={SANDBOX_LABEL}", "--format", "json").stdout
        containers = json.loads(out or "[]") or []
        if since is not None:
            containers = [c for c in containers if float(c.get("Created", 0)) >= since]
        return list(containers)

    def remove_sandbox_containers(self, all_sessions: bool = False) -> list[str]:
        """Force-remove ``finlab-sandbox`` containers created since this
        service first started (every one if ``all_sessions``; other test runs
        on the same machine may own the rest). Returns the removed IDs."""
        since = None if all_sessions else self._first_start
        ids = [str(c["Id"]) for c in self.sandbox_containers(since=since)]
        if ids:
            self.podman("rm", "--force", "--time", "0", *ids)
        return ids

    @contextlib.contextmanager
    def own_label(self, prefix: str) -> Iterator[str]:
        """A label key only the caller's containers carry (``prefix-<random>``); every
        container with it is removed when the block ends."""
        key = f"{prefix}-{uuid.uuid4().hex[:10]}"
        try:
            yield key
        finally:
            self.remove_labelled(key)

    def remove_labelled(self, key: str) -> None:
        """Force-remove every container carrying the label ``key`` (any value)."""
        leftovers = self.podman("ps", "--all", "--quiet", "--filter", f"label={key}").stdout.split()
        if leftovers:
            self.podman("rm", "--force", "--time", "0", *leftovers)

    def close(self) -> None:
        """Remove this session's sandbox containers, stop, delete the socket folder."""
        if self._closed:
            return
        try:
            for client in self._clients:
                client.close()
            self._clients.clear()
            if self._first_start is not None:
                self.remove_sandbox_containers()
        finally:
            super().close()
