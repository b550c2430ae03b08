"""Network namespaces standing in for hosts, for tests of loops on several machines.

``Hosts(8)`` makes eight namespaces, each joined to the root namespace by a veth pair:
host ``i`` is ``10.213.<i+1>.2`` inside its namespace, the root side ``10.213.<i+1>.1``
(a /24 of the project's own test range each), so a Prometheus in the root namespace
reaches every "host" at its own address and all of them can use one port. Anything that
cannot be made raises ``NamespaceError``: the tests using it fail, never skip (CI runs as
root). Everything is removed on exit, and what a killed earlier run left (namespaces named
``finmon-*``) is removed before anything is made. An exclusive lock on a file in the
temporary folder makes concurrent test runs on one machine take turns, as they would
otherwise claim the same addresses.

Example::

    with Hosts(2) as hosts:
        subprocess.run(hosts.command(0, "python3", "-c", "..."))   # runs "on" 10.213.1.2
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

PREFIX = "finmon-"
#: The lock concurrent runs take turns on, and how long one waits for it.
LOCK_PATH = Path(tempfile.gettempdir()) / "finmon-netns-test.lock"
LOCK_TIMEOUT_SECONDS = 600.0


class NamespaceError(RuntimeError):
    """A namespace, link or address could not be made (not root? no `ip`?)."""


def ip(*args: str) -> str:
    """Run ``ip ARGS``; its output, or NamespaceError with its message."""
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NamespaceError(f"ip {' '.join(args)}: {error}") from error
    if done.returncode != 0:
        raise NamespaceError(f"ip {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}"
                             f" (these tests need root, as in CI)")
    return done.stdout


class Hosts:
    """``count`` namespaces with one address each; see the module's docstring."""

    def __init__(self, count: int) -> None:
        if not 1 <= count <= 250:
            raise ValueError(f"count must be in 1...250, got {count}")
        self.count = count
        self.tag = f"{os.getpid() % 0x10000:04x}"
        self.names = [f"{PREFIX}{self.tag}-{i}" for i in range(count)]
        self._lock: int | None = None

    def address(self, index: int) -> str:
        """The address host ``index`` has inside its namespace."""
        return f"10.213.{index + 1}.2"

    def command(self, index: int, *argv: str) -> list[str]:
        """``argv`` run inside namespace ``index`` (``ip netns exec`` execs it: the PID is argv's)."""
        return ["ip", "netns", "exec", self.names[index], *argv]

    def __enter__(self) -> Hosts:
        self._take_lock()
        try:
            self._remove_stale()
            for index, name in enumerate(self.names):
                self._make(index, name)
        except BaseException:
            self._remove(self.names)
            self._release_lock()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self._remove(self.names)
        finally:
            self._release_lock()

    def _make(self, index: int, name: str) -> None:
        outside, inside = f"fmh{self.tag}{index}", f"fmn{self.tag}{index}"
        ip("netns", "add", name)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", name)
        ip("addr", "add", f"10.213.{index + 1}.1/24", "dev", outside)
        ip("link", "set", outside, "up")
        ip("-n", name, "addr", "add", f"{self.address(index)}/24", "dev", inside)
        ip("-n", name, "link", "set", inside, "up")
        ip("-n", name, "link", "set", "lo", "up")

    def _remove_stale(self) -> None:
        # Under the lock, every finmon-* namespace is a killed run's: none is in use.
        stale = [line.split()[0] for line in ip("netns", "list").splitlines()
                 if line.startswith(PREFIX)]
        self._remove(stale)

    @staticmethod
    def _remove(names: list[str]) -> None:
        # Deleting a namespace deletes the veth end in it, and so the pair's root end.
        present = {line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()}
        for name in names:
            if name in present:
                ip("netns", "delete", name)

    def _take_lock(self) -> None:
        fd = os.open(LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock = fd
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise NamespaceError(f"another test run held {LOCK_PATH} for {LOCK_TIMEOUT_SECONDS:g} s")
                time.sleep(0.2)

    def _release_lock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
