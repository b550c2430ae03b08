"""ContainerMonitor: the original design's sandbox-container hooks over the library's monitor.

The Docker Engine API is spoken by the library, on its own thread: the hooks
(``record_container_created``, ``record_container_stats``, ``record_container_cleanup``)
only schedule work and return at once, whatever state the engine is in. The calls that
must wait for an answer (``scan_orphaned_containers``, ``cleanup_orphaned_containers``,
``remove_container``) release the GIL while they wait, up to the request timeout.

A collector has one container monitor; creating a ``ContainerMonitor`` (re)configures it.

Metrics: ``active_containers``, ``orphaned_containers``,
``container_memory_usage_bytes{container_id}`` (usage without inactive file cache, as
``docker stats`` shows), ``container_cpu_usage_percent{container_id}`` (the docker CLI's
formula against the previous sample), ``container_cleanup_success_total``,
``container_cleanup_failure_total``, ``finmon_container_stats_cycle_seconds`` and
``finmon_collection_errors_total{collector="docker"}``. A cleaned-up container's series
are removed, so a loop running 100,000 sandboxes does not grow the process.

Example:
    >>> import docker, finmon                                      # doctest: +SKIP
    >>> client = docker.from_env()                                 # doctest: +SKIP
    >>> collector = finmon.MetricsCollector()                      # doctest: +SKIP
    >>> monitor = finmon.ContainerMonitor(collector, client)       # doctest: +SKIP
    >>> monitor.start_polling(interval_seconds=10)                 # doctest: +SKIP
    >>> sandbox = client.containers.run("finlab-sandbox:latest", ["sleep", "5"],
    ...                                 labels={"finlab-sandbox": "true"}, detach=True)  # doctest: +SKIP
    >>> with monitor.track(sandbox):                               # doctest: +SKIP
    ...     sandbox.wait()
    >>> monitor.scan_orphaned_containers()                         # doctest: +SKIP
    []
"""

from __future__ import annotations

import ctypes
import json
import logging
from collections.abc import Iterable
from ctypes import c_int, c_int64, c_void_p
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _args, _native
from .errors import FinmonError, InvalidArgumentError

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["ContainerMonitor", "TrackedContainer"]

_hot = _native.hot
_blocking = _native.blocking
_INT_MAX = 2**31 - 1
_log = logging.getLogger("finmon")


def _container_id(container: object) -> str:
    """A container id from a string or anything with a string ``id`` (docker-py's Container)."""
    if isinstance(container, str):
        return container
    identifier = getattr(container, "id", None)
    if isinstance(identifier, str):
        return identifier
    raise TypeError(f"expected a container id (str) or an object with an `id`, got {type(container).__name__}")


def endpoint_of(docker_client: Any) -> str | None:
    """The engine address of a docker-py ``DockerClient`` (or ``APIClient``).

    docker-py reports every unix socket as ``http+docker://localhost`` and keeps the path
    only in its connection adapter, so the path is read from there when present.

    Example:
        >>> endpoint_of(None) is None
        True
    """
    if docker_client is None:
        return None
    api = getattr(docker_client, "api", docker_client)
    base_url = getattr(api, "base_url", None)
    if not isinstance(base_url, str):
        raise TypeError(f"docker_client has no api.base_url: {type(docker_client).__name__}")
    if base_url.startswith("http+docker://"):
        socket_path = getattr(getattr(api, "_custom_adapter", None), "socket_path", None)
        if isinstance(socket_path, str) and socket_path.startswith("/"):
            return "unix://" + socket_path
    return base_url


class TrackedContainer:
    """What ``ContainerMonitor.track`` yields: one sandbox between creation and cleanup.

    ``remove`` (default True): when the block ends the container is force-removed by
    the library and the cleanup recorded as a success once it is gone (removed then, or
    already removed by the block), as a failure if the engine refused or could not be
    reached (logged as a warning; the block's own exception, if any, still propagates).
    With ``remove=False`` the block owns the removal and the cleanup is recorded as a
    success unless the block raised.
    """

    __slots__ = ("_monitor", "id", "remove", "removed")

    def __init__(self, monitor: ContainerMonitor, container_id: str, remove: bool) -> None:
        self._monitor = monitor
        self.id = container_id
        self.remove = remove
        #: After the block: True if the library removed it, False if it was already gone,
        #: None if it was not removed by the library.
        self.removed: bool | None = None

    def stats(self) -> None:
        """Schedule a stats query now (``record_container_stats``)."""
        self._monitor.record_container_stats(self.id)

    def __enter__(self) -> TrackedContainer:
        self._monitor.record_container_created(self.id)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if not self.remove:
            self._monitor.record_container_cleanup(self.id, success=kind is None)
            return
        try:
            self.removed = self._monitor.remove_container(self.id)
        except FinmonError as failure:
            # Already recorded as a cleanup failure; the loop goes on.
            _log.warning("finmon could not remove sandbox container %s: %s", self.id, failure)


class ContainerMonitor:
    """Sandbox containers of one collector: stats, active and orphaned counts, cleanups.

    The engine is ``docker_host`` if given (``unix:///path``, ``tcp://host:port``), else
    ``docker_client``'s (a docker-py ``DockerClient``), else ``DOCKER_HOST``, else
    ``/var/run/docker.sock``. Orphans are containers with the ``label`` (a key, or
    ``key=value``) whose state is one of ``orphan_statuses``. Every engine request gives
    up after ``request_timeout`` seconds. While polling, once ``orphan_threshold`` orphans
    are found and ``auto_cleanup`` is on, the orphans this monitor does not track are
    removed (tracked ones belong to the loop, which may still read their logs).

    Arguments are checked here and in the library: a bad value raises
    :class:`~finmon.InvalidArgumentError` (a ValueError).

    Example:
        >>> import finmon
        >>> with finmon.MetricsCollector() as collector:
        ...     monitor = finmon.ContainerMonitor(collector, docker_host="unix:///nonexistent.sock")
        ...     monitor.record_container_created("sandbox-1")   # returns at once
        ...     collector.get_sample_value("active_containers")
        1.0
    """

    def __init__(self, collector: MetricsCollector, docker_client: Any = None, *, docker_host: str | None = None,
                 label: str = "finlab-sandbox", orphan_statuses: Iterable[str] = ("exited", "dead"),
                 request_timeout: float = 2.0, orphan_threshold: int = 3, auto_cleanup: bool = True) -> None:
        self.collector = collector
        self.docker_client = docker_client
        endpoint = docker_host if docker_host is not None else endpoint_of(docker_client)
        if isinstance(orphan_statuses, str):
            raise TypeError("orphan_statuses must be a sequence of states, not a string")
        statuses = [_native.encode(status, "an orphan status") for status in orphan_statuses]
        threshold = _args.int64(orphan_threshold, "orphan_threshold")
        if not 1 <= threshold <= _INT_MAX:
            raise InvalidArgumentError(f"orphan_threshold must be in 1..{_INT_MAX}, got {threshold}")
        rc = _hot.finmon_containers_configure(
            collector._live_handle(), None if endpoint is None else _native.encode(endpoint, "docker_host"),
            _native.encode(label, "label"), _native.string_array(statuses), len(statuses),
            _args.real(request_timeout, "request_timeout"), threshold, 1 if auto_cleanup else 0)
        if rc:
            _native.raise_last(rc)

    @classmethod
    def _attached(cls, collector: MetricsCollector, docker_client: Any = None) -> ContainerMonitor:
        """The monitor a :class:`~finmon.Runtime` started, as it is (not reconfigured)."""
        monitor = cls.__new__(cls)
        monitor.collector = collector
        monitor.docker_client = docker_client
        return monitor

    # ---- hooks (never wait for the engine) -----------------------------------------

    def record_container_created(self, container_id: str) -> None:
        """A sandbox was created: count it in ``active_containers`` and schedule a first
        stats query (the CPU baseline). Returns at once.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.ContainerMonitor(collector, docker_host="unix:///x.sock").record_container_created("c1")
        """
        rc = _hot.finmon_containers_record_created(
            self.collector._live_handle(), _native.encode(_container_id(container_id), "container_id"))
        if rc:
            _native.raise_last(rc)

    def record_container_stats(self, container_id: str) -> None:
        """Schedule a stats query for the container on the library's thread and return at
        once; the answer sets ``container_memory_usage_bytes`` and (from the second
        sample) ``container_cpu_usage_percent``. An unknown id is tracked from now on.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     finmon.ContainerMonitor(collector, docker_host="unix:///x.sock").record_container_stats("c1")
        """
        rc = _hot.finmon_containers_record_stats(
            self.collector._live_handle(), _native.encode(_container_id(container_id), "container_id"))
        if rc:
            _native.raise_last(rc)

    def record_container_cleanup(self, container_id: str, success: bool) -> None:
        """The loop removed the sandbox (``success``) or failed to: counts
        ``container_cleanup_success_total`` or ``_failure_total`` and removes the
        container's series.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     monitor = finmon.ContainerMonitor(collector, docker_host="unix:///x.sock")
            ...     monitor.record_container_cleanup("c1", success=True)
            ...     collector.get_sample_value("container_cleanup_success_total")
            1.0
        """
        rc = _hot.finmon_containers_record_cleanup(
            self.collector._live_handle(), _native.encode(_container_id(container_id), "container_id"),
            1 if success else 0)
        if rc:
            _native.raise_last(rc)

    def track(self, container: Any, *, remove: bool = True) -> TrackedContainer:
        """A context manager around one sandbox: created when the block starts, cleaned
        up when it ends (see :class:`TrackedContainer` for ``remove``). ``container`` is a
        docker-py Container (its ``id`` is used) or an id.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     monitor = finmon.ContainerMonitor(collector, docker_host="unix:///x.sock")
            ...     with monitor.track("c1", remove=False):
            ...         collector.get_sample_value("active_containers")
            1.0
        """
        return TrackedContainer(self, _container_id(container), remove)

    # ---- engine calls that wait (GIL released) -------------------------------------

    def scan_orphaned_containers(self) -> list[str]:
        """Ids of the labelled containers in an orphan state; sets ``orphaned_containers``.

        Raises :class:`~finmon.FinmonTimeoutError`, :class:`~finmon.FinmonIOError` (engine
        unreachable) or :class:`~finmon.DockerError`, each also counted in
        ``finmon_collection_errors_total{collector="docker"}``.
        """
        out = c_void_p()
        rc = _blocking.finmon_containers_scan_orphans(self.collector._live_handle(), ctypes.byref(out))
        if rc:
            _native.raise_last(rc)
        ids: list[str] = json.loads(_native.take_string(out))
        return ids

    def cleanup_orphaned_containers(self) -> int:
        """Force-remove every orphan (tracked ones too) and return how many were removed;
        each removal counts in ``container_cleanup_success_total`` or ``_failure_total``.
        Errors as :meth:`scan_orphaned_containers`."""
        removed = c_int64()
        rc = _blocking.finmon_containers_cleanup_orphans(self.collector._live_handle(), ctypes.byref(removed))
        if rc:
            _native.raise_last(rc)
        return removed.value

    def remove_container(self, container_id: str) -> bool:
        """Force-remove one container and record its cleanup (success once it is gone).
        True if this call removed it, False if it was already gone. Errors as
        :meth:`scan_orphaned_containers` (the cleanup is then recorded as a failure)."""
        removed = c_int()
        rc = _blocking.finmon_containers_remove(
            self.collector._live_handle(), _native.encode(_container_id(container_id), "container_id"),
            ctypes.byref(removed))
        if rc:
            _native.raise_last(rc)
        return bool(removed.value)

    # ---- polling and status --------------------------------------------------------

    def start_polling(self, interval_seconds: float = 10) -> None:
        """Query every tracked container and scan for orphans now and every
        ``interval_seconds`` on the library's thread (replaces an earlier schedule).

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     monitor = finmon.ContainerMonitor(collector, docker_host="unix:///x.sock")
            ...     monitor.start_polling(interval_seconds=30)
            ...     monitor.get_status()["polling"]
            True
        """
        rc = _hot.finmon_containers_start_polling(
            self.collector._live_handle(), _args.real(interval_seconds, "interval_seconds"))
        if rc:
            _native.raise_last(rc)

    def stop_polling(self) -> None:
        """Stop the periodic queries (values and tracked containers stay)."""
        rc = _blocking.finmon_containers_stop_polling(self.collector._live_handle())
        if rc:
            _native.raise_last(rc)

    def get_status(self) -> dict[str, Any]:
        """The monitor's bookkeeping: ``tracked_containers``, ``polling``,
        ``cycles_completed``, ``last_cycle_seconds``, ``engine_failing``, ``errors``,
        ``orphaned_containers``... (see finmon.h, finmon_containers_status)."""
        out = c_void_p()
        rc = _hot.finmon_containers_status(self.collector._live_handle(), ctypes.byref(out))
        if rc:
            _native.raise_last(rc)
        status: dict[str, Any] = json.loads(_native.take_string(out))
        return status
