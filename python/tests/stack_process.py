"""``python -m finmon stack`` as a subprocess for the tests, its output read line by line.

Example::

    stack = Stack("--config", "config/monitoring_config.yaml", "--prometheus-port", "19090")
    stack.wait_for_line(r"^finmon stack: running")
    url, pid = stack.servers()["Prometheus"]
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"^(Prometheus|Alertmanager) ready: (http://127\.0\.0\.1:\d+)/ \(pid (\d+),")


class Stack:
    """`python -m finmon.stack` as a subprocess, its output read line by line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "finmon.stack", *args],
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO_ROOT / "python"), os.environ.get("PYTHONPATH")])), **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                line = ""
            if line is None:
                raise AssertionError(f"stack exited ({self.process.wait()}) before {pattern!r}:\n"
                                     + "\n".join(self.lines))
            if line:
                self.lines.append(line)
                if re.search(pattern, line):
                    return line
            if time.monotonic() >= deadline:
                raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n" + "\n".join(self.lines))

    def rest(self) -> list[str]:
        self._reader.join(timeout=10)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return self.lines

    def servers(self) -> dict[str, tuple[str, int]]:
        """Name -> (URL, PID) from the "ready" lines printed so far."""
        found = {}
        for line in self.lines:
            match = READY.match(line)
            if match:
                found[match.group(1)] = (match.group(2), int(match.group(3)))
        return found

    def close(self) -> None:
        """Stops the stack as a user would (Ctrl-C: it stops its servers and exits), and
        only if that fails kills it and the servers it reported: they run in sessions of
        their own, so a SIGKILL to the stack alone would leave them running."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        for name, (_, pid) in self.servers().items():
            try:  # still that server (not a process that reused its pid)
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if name.lower().encode() in command.lower():
                os.kill(pid, signal.SIGKILL)
