"""The process side of finmon's real test servers: start a binary on a free port with
its own temporary folder and log, wait for readiness with a deadline (never a blind
sleep), stop by PID (SIGTERM, then SIGKILL after a deadline), and the small HTTP
helpers the tests share. The servers themselves are in ``prometheus_servers`` and
``podman_service``; ``servers`` re-exports all of it (see its docs for usage).
"""

from __future__ import annotations

import atexit
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
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

T = TypeVar("T")

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
