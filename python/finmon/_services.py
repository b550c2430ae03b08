"""The server processes ``python -m finmon stack`` runs: Prometheus and Alertmanager, each
in its own session with a log file, readiness on ``/-/ready`` and a stop by PID.

Kept apart from ``finmon.stack`` (settings, rendering, the command) so each reads in one
sitting.
"""

from __future__ import annotations

import http.client
import shutil
import signal
import subprocess
import urllib.request
from pathlib import Path

__all__ = ["Service", "StackError", "alertmanager_binary", "alertmanager_config"]

_STOP_TIMEOUT_SECONDS = 10.0

#: The receiver URL ``config/alertmanager.yml`` names: the stack's receiver at its default port.
RECEIVER_ADDRESS = "127.0.0.1:5001"


class StackError(RuntimeError):
    """A server did not start; the message carries the tail of its log."""


class Service:
    """One server process: started in its own session (a terminal Ctrl-C reaches the
    stack, which stops it in order), logging to a file, stopped by PID."""

    def __init__(self, name: str, command: list[str], address: str, log_path: Path) -> None:
        self.name = name
        self.command = command
        self.url = f"http://{address}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"--- starting: {' '.join(self.command)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def exited(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1.0) as response:
                return bool(response.status == 200)
        except (OSError, http.client.HTTPException):
            return False

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after a deadline; returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=_STOP_TIMEOUT_SECONDS)
        return proc.returncode


def alertmanager_binary() -> str | None:
    # Debian names it prometheus-alertmanager; upstream's tarball, alertmanager.
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def default_alertmanager_config(receiver_url: str) -> str:
    """Used when the config folder has no alertmanager.yml: every alert goes to the
    stack's receiver, grouped by alert and loop as the example file does."""
    return (
        "route:\n"
        "  receiver: finmon-receiver\n"
        '  group_by: ["alertname", "job", "instance"]\n'
        "receivers:\n"
        "  - name: finmon-receiver\n"
        "    webhook_configs:\n"
        f'      - url: "{receiver_url}"\n'
        "        send_resolved: true\n"
    )


def alertmanager_config(config_dir: Path | None, data_dir: Path, receiver_port: int) -> tuple[Path, str]:
    """The alertmanager.yml Alertmanager runs with, and a line saying where alerts go.

    The config folder's alertmanager.yml as it is, or, when the receiver listens on
    another port than the file names, a copy in ``data_dir`` with that port; without a
    file, a minimal one that routes everything to the receiver.
    """
    receiver = f"127.0.0.1:{receiver_port}"
    source = config_dir / "alertmanager.yml" if config_dir is not None else None
    if source is None or not source.is_file():
        path = data_dir / "alertmanager.yml"
        path.write_text(default_alertmanager_config(f"http://{receiver}/alerts"))
        return path, "no alertmanager.yml next to the config; Alertmanager sends every alert to the receiver"
    text = source.read_text()
    if RECEIVER_ADDRESS not in text:
        return source, (f"{source} does not name the stack's receiver ({RECEIVER_ADDRESS}); "
                        "alerts go where it routes them")
    if receiver == RECEIVER_ADDRESS:
        return source, f"Alertmanager runs {source}"
    path = data_dir / "alertmanager.yml"
    path.write_text(text.replace(RECEIVER_ADDRESS, receiver))
    return path, f"Alertmanager runs {source} with its receiver at {receiver} ({path})"
