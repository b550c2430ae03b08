"""Real servers for finmon's integration tests: Prometheus, Alertmanager, podman.

Each class starts the real binary (installed by ``scripts/setup.sh``) on a free
loopback port with its own temporary data folder, waits until an HTTP readiness
endpoint answers (with a deadline, never a blind sleep), and stops it by PID
(SIGTERM, then SIGKILL after a deadline). If a server does not come up, the
error carries the tail of its log so the cause is visible in the test report.

Usage (the pytest fixtures in ``conftest.py`` wrap exactly this)::

    with AlertmanagerServer() as am, \\
         PrometheusServer(["127.0.0.1:9101"], alertmanager_url=am.url) as prom:
        prom.wait_for(lambda: prom.query('up{job="finmon"} == 1'))
        am.post_alerts([{"labels": {"alertname": "X"}}])
        assert am.alerts(filter=['alertname="X"'])

    with PodmanService() as engine:
        client = engine.docker_client()
        c = client.containers.run("finlab-sandbox:latest", ["sleep", "30"],
                                  labels={"finlab-sandbox": "true"}, detach=True)

``stop()`` then ``start()`` restarts a server on the same port (and, for
podman, the same socket), for "server down, then back" tests. ``close()`` (or
leaving the ``with`` block) stops it for good and deletes its data folder.

Alertmanager's v2 API (``GET /api/v2/alerts``) never lists resolved alerts: it
drops every alert whose ``endsAt`` is in the past, whatever the
``active``/``silenced``/``inhibited``/``unprocessed`` filters say (those only
select among unresolved alerts). To see that a resolve reached Alertmanager,
wait for the alert to disappear from the list.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

T = TypeVar("T")

#: The label that marks finmon's sandbox containers; ``PodmanService.close()``
#: removes the ones created while it ran.
SANDBOX_LABEL = "finlab-sandbox"
#: The locally built test image (see ``scripts/setup.sh``).
SANDBOX_IMAGE = "finlab-sandbox:latest"

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = REPO_ROOT / "config" / "containers.conf"

_POLL_INTERVAL = 0.05


class ServerStartError(RuntimeError):
    """A server did not become ready; the message holds its log tail."""


class ServerAPIError(RuntimeError):
    """A server's HTTP API answered with an error."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.1,
    message: str = "condition",
) -> T:
    """Call ``predicate`` until it returns something truthy and return that.

    Exceptions raised by the predicate count as "not yet" (servers answer
    errors while they settle); the last value or exception is reported in the
    ``TimeoutError`` raised when ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = predicate()
        except Exception as exc:  # noqa: BLE001 -- reported on timeout
            last = exc
        else:
            if value:
                return value
            last = value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{message} not met within {timeout}s; last result: {last!r}")
        time.sleep(interval)


def http_json(
    url: str,
    *,
    method: str = "GET",
    body: Any = None,
    timeout: float = 5.0,
) -> Any:
    """Send an HTTP request (urllib only) and decode the JSON answer.

    Raises ``ServerAPIError`` with the response body on HTTP errors.
    """
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise ServerAPIError(f"{method} {url} -> HTTP {exc.code}: {detail}") from exc
    return json.loads(raw) if raw.strip() else None


def _http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, http.client.HTTPException):
        return False


class _UnixHTTPConnection(http.client.HTTPConnection):
    """``http.client`` over a unix socket (the podman/Docker API transport)."""

    def __init__(self, socket_path: str, timeout: float = 2.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def unix_http_get(socket_path: str | Path, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET ``path`` over the unix socket at ``socket_path``; return (status, body)."""
    conn = _UnixHTTPConnection(str(socket_path), timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# Every server not yet closed is held here (strongly: a dropped reference
# must not orphan a daemon or a folder) and closed at interpreter exit, so an
# aborted test run (KeyboardInterrupt, crash in a fixture) leaves nothing behind.
_unclosed: set[ManagedServer] = set()


@atexit.register
def _close_leftovers() -> None:
    for server in list(_unclosed):
        try:
            server.close()
        except Exception:  # noqa: BLE001 -- best effort at exit
            pass


class ManagedServer:
    """A server process with a temporary folder, a log, readiness and stop by PID.

    Subclasses implement ``_command`` and ``_is_ready``; ``_before_start`` may
    write config files.
    """

    #: Human name used in error messages.
    name = "server"
    #: Executable that must be on PATH.
    binary = ""

    def __init__(self, *, startup_timeout: float = 30.0, stop_timeout: float = 10.0) -> None:
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"finmon-{self.name.lower()}-"))
        self.log_path = self.tmpdir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0
        self._closed = False
        self._ever_ready = False
        _unclosed.add(self)

    # -- subclass hooks -------------------------------------------------------
    def _command(self) -> list[str]:
        raise NotImplementedError

    def _is_ready(self) -> bool:
        raise NotImplementedError

    def _env(self) -> dict[str, str] | None:
        return None

    def _before_start(self) -> None:
        """Write config files; called before every start."""

    def _pick_new_port(self) -> bool:
        """Choose another port after a bind clash; False if the port is fixed."""
        return False

    # -- lifecycle ------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """PID of the running server, or None."""
        return self._proc.pid if self.running and self._proc else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server and wait until it is ready; no-op if it runs.

        Raises ``ServerStartError`` (with the log tail) if the binary is
        missing, the process exits, or readiness is not reached in
        ``startup_timeout`` seconds.
        """
        if self._closed:
            raise ServerStartError(f"{self.name} was closed; create a new one")
        if self.running:
            return self
        if shutil.which(self.binary) is None:
            raise ServerStartError(
                f"{self.name}: `{self.binary}` not found on PATH; run scripts/setup.sh"
            )
        for attempt in range(3):
            try:
                self._spawn_and_wait()
                return self
            except ServerStartError:
                # A free port can be taken between probing and binding; retry
                # only that case, and only when the port is ours to choose.
                if "address already in use" in self.log_tail().lower() and attempt < 2:
                    if self._pick_new_port():
                        continue
                raise
        raise AssertionError("unreachable")

    def _spawn_and_wait(self) -> None:
        self._before_start()
        command = self._command()
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            log.write(f"--- starting: {' '.join(command)}\n".encode())
            log.flush()
            env = self._env()
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=None if env is None else {**os.environ, **env},
                # Its own session: a Ctrl-C in the terminal reaches pytest,
                # which then stops the server through the fixture.
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                raise ServerStartError(
                    f"{self.name} exited with code {code} during startup:\n{self.log_tail()}"
                )
            if self._is_ready():
                self._ever_ready = True
                return
            if time.monotonic() >= deadline:
                self.stop()
                raise ServerStartError(
                    f"{self.name} not ready within {self.startup_timeout}s:\n{self.log_tail()}"
                )
            time.sleep(_POLL_INTERVAL)

    def stop(self) -> None:
        """Stop the process by PID: SIGTERM, then SIGKILL after ``stop_timeout``."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=self.stop_timeout)

    def close(self) -> None:
        """Stop for good and delete the temporary folder."""
        if self._closed:
            return
        try:
            self.stop()
        finally:
            self._closed = True
            _unclosed.discard(self)
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        """Last ``lines`` lines the server wrote since its latest start."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode(errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, message: str = "condition") -> T:
        """``wait_for`` with this server's log tail added to the timeout error."""
        try:
            return wait_for(predicate, timeout=timeout, message=message)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.name} log tail:\n{self.log_tail()}") from None

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _HTTPServer(ManagedServer):
    """A server on 127.0.0.1:<port> with a ``/-/ready`` endpoint."""

    def __init__(self, *, port: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fixed_port = port is not None
        self.port = port if port is not None else free_port()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:9093`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def _is_ready(self) -> bool:
        return _http_ok(f"{self.url}/-/ready")

    def _pick_new_port(self) -> bool:
        # After the first successful start the URL is known to others: a
        # restart must come back on the same port or fail.
        if self._fixed_port or self._ever_ready:
            return False
        self.port = free_port()
        return True


class PrometheusServer(_HTTPServer):
    """Prometheus scraping ``scrape_targets`` (job ``finmon``) with rules every 1 s.

    ``scrape_targets`` are ``host:port`` strings; ``file_sd_files`` are Prometheus
    file_sd target files (what loops with ``monitoring.prometheus.file_sd_path`` write),
    scraped as the same job. ``rule_files`` are loaded and
    evaluated every second (``global.evaluation_interval: 1s``); firing alerts
    go to ``alertmanager_url`` if given, resent every ``resend_delay``
    (``--rules.alert.resend-delay``, 1 s instead of 1 min) so tests see
    changes quickly. ``extra_args`` are appended to the command line (a flag
    may appear only once). Note: Prometheus applies discovered targets on a
    5 s tick, so the first scrape lands ~5 s after start; wait with
    ``wait_for``.
    """

    name = "Prometheus"
    binary = "prometheus"
    job_name = "finmon"

    def __init__(
        self,
        scrape_targets: Sequence[str],
        scrape_interval: str = "1s",
        rule_files: Sequence[Path] = (),
        alertmanager_url: str | None = None,
        extra_args: Sequence[str] = (),
        *,
        metrics_path: str = "/metrics",
        evaluation_interval: str = "1s",
        resend_delay: str | None = "1s",
        file_sd_files: Sequence[Path] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scrape_targets = list(scrape_targets)
        self.file_sd_files = [Path(p).resolve() for p in file_sd_files]
        self.scrape_interval = scrape_interval
        self.evaluation_interval = evaluation_interval
        self.rule_files = [Path(p).resolve() for p in rule_files]
        self.alertmanager_url = alertmanager_url
        self.extra_args = list(extra_args)
        self.resend_delay = resend_delay
        self.metrics_path = metrics_path
        self.config_path = self.tmpdir / "prometheus.yml"
        self.data_path = self.tmpdir / "data"

    def config(self) -> dict[str, Any]:
        """The generated configuration (written as JSON, which is valid YAML)."""
        config: dict[str, Any] = {
            "global": {
                "scrape_interval": self.scrape_interval,
                "evaluation_interval": self.evaluation_interval,
            },
            "rule_files": [str(p) for p in self.rule_files],
            "scrape_configs": [
                {
                    "job_name": self.job_name,
                    "metrics_path": self.metrics_path,
                    "static_configs": [{"targets": self.scrape_targets}] if self.scrape_targets else [],
                }
            ],
        }
        if self.file_sd_files:
            # Prometheus watches the files' folder; the interval is the fallback re-read.
            config["scrape_configs"][0]["file_sd_configs"] = [
                {"files": [str(p) for p in self.file_sd_files], "refresh_interval": "1s"}]
        if self.alertmanager_url is not None:
            parsed = urllib.parse.urlsplit(self.alertmanager_url)
            if not parsed.scheme or not parsed.netloc:
                raise ValueError(f"alertmanager_url must be http(s)://host:port, got {self.alertmanager_url!r}")
            config["alerting"] = {
                "alertmanagers": [
                    {
                        "scheme": parsed.scheme,
                        "path_prefix": parsed.path or "/",
                        "timeout": "2s",
                        "api_version": "v2",
                        "static_configs": [{"targets": [parsed.netloc]}],
                    }
                ]
            }
        return config

    def _before_start(self) -> None:
        self.config_path.write_text(json.dumps(self.config(), indent=2) + "\n")

    def _command(self) -> list[str]:
        return [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.data_path}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            *([f"--rules.alert.resend-delay={self.resend_delay}"] if self.resend_delay else []),
            *self.extra_args,
        ]

    def _api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        payload = http_json(f"{self.url}{path}{query}")
        if payload.get("status") != "success":
            raise ServerAPIError(f"Prometheus {path}: {payload}")
        return payload["data"]

    def query(self, promql: str) -> list[Any]:
        """Instant query; returns ``data.result`` (for a vector: a list of
        ``{"metric": {...}, "value": [ts, "v"]}``)."""
        return list(self._api("/api/v1/query", query=promql)["result"])

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets (``health``, ``lastError``, ``labels``, ...)."""
        return list(self._api("/api/v1/targets", state="active")["activeTargets"])

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts from ``/api/v1/alerts``."""
        return list(self._api("/api/v1/alerts")["alerts"])

    def rules(self) -> list[dict[str, Any]]:
        """Rule groups from ``/api/v1/rules`` (with health and lastError)."""
        return list(self._api("/api/v1/rules")["groups"])


DEFAULT_ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
  group_by: ["alertname"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"""


class AlertmanagerServer(_HTTPServer):
    """Alertmanager without gossip (``--cluster.listen-address=``).

    ``config_text`` is the YAML config; the default routes everything to one
    receiver named ``null`` (every receiver needs a name) with 1 s grouping.
    The data folder (silences, notification log) survives ``stop()``/``start()``;
    alerts do not, as in production.
    """

    name = "Alertmanager"
    binary = "prometheus-alertmanager"

    def __init__(self, config_text: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config_text = DEFAULT_ALERTMANAGER_CONFIG if config_text is None else config_text
        self.config_path = self.tmpdir / "alertmanager.yml"
        self.data_path = self.tmpdir / "data"

    def _before_start(self) -> None:
        self.config_path.write_text(self.config_text)

    def _command(self) -> list[str]:
        return [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.path={self.data_path}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
        ]

    def alerts(
        self,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
        unprocessed: bool = True,
        filter: Sequence[str] = (),
        receiver: str | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts``: unresolved alerts only (see module docs).

        ``filter`` holds label matchers such as ``'alertname="X"'``.
        """
        params: list[tuple[str, str]] = [
            ("active", str(active).lower()),
            ("silenced", str(silenced).lower()),
            ("inhibited", str(inhibited).lower()),
            ("unprocessed", str(unprocessed).lower()),
        ]
        params += [("filter", f) for f in filter]
        if receiver is not None:
            params.append(("receiver", receiver))
        return list(http_json(f"{self.url}/api/v2/alerts?{urllib.parse.urlencode(params)}"))

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """``POST /api/v2/alerts`` (each alert: ``labels``, optional
        ``annotations``, ``startsAt``, ``endsAt``, ``generatorURL``)."""
        http_json(f"{self.url}/api/v2/alerts", method="POST", body=list(alerts))

    def status(self) -> dict[str, Any]:
        """``GET /api/v2/status`` (config, version info, cluster status)."""
        return dict(http_json(f"{self.url}/api/v2/status"))


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
