"""Worker pools in one exporter: the workers' metric updates appear in the parent's.

A parent makes a multiprocess collector (``MetricsCollector(multiprocess=True)``, or
``monitoring.multiprocess: true`` for :func:`finmon.start`). That creates one shared-memory
segment for the run (``/dev/shm/finmon-<pid>-<random>``, of a fixed size: 256 process
slots by default) and puts its path in the ``FINMON_MULTIPROCESS`` environment variable,
which child processes inherit.

- A **forked** worker (``multiprocessing`` with the fork start method, a
  ``ProcessPoolExecutor`` on fork, ``os.fork``) keeps using the parent's collector: after
  the fork it claims a slot of its own, and every update it makes (``inc``, ``set``,
  ``observe``, the hooks) is written to that slot at once.
- A **spawned** worker (the spawn or forkserver start method) calls :func:`attach` (for
  example as the pool's ``initializer``): it maps the segment named by
  ``FINMON_MULTIPROCESS`` (or the ``path`` it is given, e.g. passed as an argument from
  ``collector.multiprocess_info()["path"]``) and returns a collector whose updates go to
  its slot.

Before each scrape the parent folds the slots of exited workers into the run's totals
(counters never go backwards, and the slot is reused by the next worker) and shows, per
series, the sum over the run for counters and histograms, and for gauges their mode
(:class:`GaugeMode`): ``latest`` (default: the value set last by any live process),
``sum``, ``max`` or ``min`` over live processes, or ``worker`` (one series per live
process, labeled ``worker="<slot>"``); ``collector.set_gauge_mode(name, mode)``. A worker
exiting normally folds its own slot (:func:`detach`, registered for it); one killed with
SIGKILL loses nothing it had written: the parent folds its slot once the process is gone.
Files: the one segment, whose size does not change with restarts, removed when the
parent's collector is closed (a segment left by a killed parent is removed by the next
run's parent).

With a pool::

    collector = finmon.MetricsCollector(multiprocess=True)
    with ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn"),
                             initializer=finmon.attach) as pool:
        pool.map(backtest, strategies)     # backtest() calls finmon.attach().strategy_success.inc()

Example:
    >>> import os, finmon
    >>> collector = finmon.MetricsCollector(multiprocess=True)
    >>> jobs = collector.counter("pool_jobs", "Jobs done by the workers.")
    >>> for _ in range(3):
    ...     pid = os.fork()
    ...     if pid == 0:                      # a worker: count, fold, leave
    ...         jobs.inc(2)
    ...         finmon.multiprocess.detach()
    ...         os._exit(0)
    ...     _ = os.waitpid(pid, 0)
    >>> _ = collector.generate_latest()       # a scrape merges the workers' slots
    >>> collector.get_sample_value("pool_jobs_total")
    6.0
    >>> collector.close()                     # removes the run's segment
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import threading
from ctypes import c_void_p
from typing import TYPE_CHECKING, Any, Callable

from . import _args, _native
from ._bindings import GaugeMode

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["ENVIRONMENT_VARIABLE", "GaugeMode", "MultiprocessMethods", "attach", "detach", "info"]

#: Where a multiprocess parent puts its segment's path for spawned workers.
ENVIRONMENT_VARIABLE = "FINMON_MULTIPROCESS"

_attached: MetricsCollector | None = None
_attached_pid = 0
_lock = threading.Lock()


def gauge_mode(mode: GaugeMode | str | None, what: str) -> GaugeMode:
    """A :class:`GaugeMode` from a member or its name ("sum"); None is ``latest``."""
    if mode is None:
        return GaugeMode.LATEST
    if isinstance(mode, GaugeMode):
        return mode
    if isinstance(mode, str) and mode.upper() in GaugeMode.__members__:
        return GaugeMode[mode.upper()]
    names = ", ".join(member.name.lower() for member in GaugeMode)
    raise ValueError(f"{what} must be a finmon.multiprocess.GaugeMode or one of {names}, got {mode!r}")


def parent_handle(slots: int, mode: GaugeMode | str | None) -> int:
    """A new multiprocess parent's collector handle (for ``MetricsCollector.__init__``)."""
    count = _args.int64(slots, "slots")
    if not 0 <= count <= 65536:
        raise ValueError(f"slots must be in 0...65536 (0: 256), got {count}")
    out = c_void_p()
    _native.check(_native.hot.finmon_collector_new_multiprocess(count, gauge_mode(mode, "gauge_mode"),
                                                                 ctypes.byref(out)))
    return out.value or 0


def attach(path: str | os.PathLike[str] | None = None) -> MetricsCollector:
    """This process as a worker of the multiprocess run at ``path`` (default: the
    ``FINMON_MULTIPROCESS`` environment variable its parent set). Returns the worker's
    collector; a second call in the same process returns the same one.

    Raises ``ValueError`` when no run is named, :class:`~finmon.FinmonError` when the
    segment cannot be mapped (:class:`~finmon.FinmonIOError`) or has no free slot
    (:class:`~finmon.StateError`).
    """
    global _attached, _attached_pid
    from .collector import MetricsCollector

    with _lock:
        if _attached is not None and _attached_pid == os.getpid() and not _attached.closed:
            return _attached
        location = os.fspath(path) if path is not None else os.environ.get(ENVIRONMENT_VARIABLE)
        if not location:
            raise ValueError(f"no multiprocess run to attach to: pass its path or set {ENVIRONMENT_VARIABLE} "
                             "(a MetricsCollector(multiprocess=True) in the parent sets it)")
        out = c_void_p()
        _native.check(_native.hot.finmon_worker_attach(_native.encode(location, "path"), ctypes.byref(out)))
        collector = MetricsCollector.__new__(MetricsCollector)
        collector._setup(out.value or 0, owned=True)
        _attached, _attached_pid = collector, os.getpid()
        _register_exit()
        _hook_forked_workers()
        return collector


def detach() -> None:
    """Fold this worker's counters and histograms into the run's totals and free its slot
    (idempotent; registered to run at the worker's exit; does nothing in the parent)."""
    _native.hot.finmon_worker_detach()


def info(collector: MetricsCollector) -> dict[str, Any] | None:
    """The run's segment: ``path``, ``slot``, ``size_bytes``, ``slots``, ``live_slots``,
    ``entries``, ``folded_workers``, ``claims``, ``dropped_entries``, ``unmirrored_writes``;
    None for a collector that is not in a multiprocess run."""
    out = c_void_p()
    _native.check(_native.hot.finmon_collector_multiprocess_info(collector._live_handle(), ctypes.byref(out)))
    found = json.loads(_native.take_string(out))
    return found if isinstance(found, dict) else None


class MultiprocessMethods:
    """Mixed into MetricsCollector, whose handle the calls use."""

    __slots__ = ()

    _live_handle: Callable[[], int]

    def set_gauge_mode(self, name: str, mode: GaugeMode | str) -> None:
        """How this multiprocess parent shows gauge ``name`` over its processes: a
        :class:`GaugeMode` or its name (``latest``, ``sum``, ``max``, ``min``, ``worker``).
        :class:`~finmon.StateError` for a collector that is not a multiprocess parent;
        ValueError for the ``worker`` mode on a family with a label named ``worker``."""
        chosen = gauge_mode(mode, "mode")
        _native.check(_native.hot.finmon_collector_set_gauge_mode(self._live_handle(), _native.encode(name, "name"),
                                                                   chosen))

    def multiprocess_info(self) -> dict[str, Any] | None:
        """The run's shared segment (path, size, slots in use, folded workers, ...), or
        None for a collector that is not multiprocess."""
        return info(self)  # type: ignore[arg-type]


def _register_exit() -> None:
    import multiprocessing.util

    # multiprocessing's workers leave with os._exit after running its finalizers (atexit
    # does not run in forked ones); plain processes run atexit.
    multiprocessing.util.Finalize(None, detach, exitpriority=0)
    atexit.register(detach)


def _after_fork_in_child() -> None:
    """A forked child of a multiprocess parent: register the exit fold (the library has
    already claimed its slot in ``finmon_after_fork_child``)."""
    if os.environ.get(ENVIRONMENT_VARIABLE):
        _register_exit()


_published: dict[int, str] = {}


def _publish(collector: MetricsCollector) -> None:
    """A parent's multiprocess collector: spawned children find the run in the environment."""
    found = info(collector)
    if found is not None:
        os.environ[ENVIRONMENT_VARIABLE] = _published[collector._live_handle()] = str(found["path"])
        _hook_forked_workers()


def _unpublish(handle: int) -> None:
    """The parent's collector is closing: later children must not look for its segment."""
    path = _published.pop(handle, None)
    if path is not None and os.environ.get(ENVIRONMENT_VARIABLE) == path:
        del os.environ[ENVIRONMENT_VARIABLE]


_hooked = False
_hook_lock = threading.Lock()


def _hook_forked_workers() -> None:
    """Forked multiprocessing workers clear the finalizers they inherit, then run the
    functions registered with ``register_after_fork``: there the exit fold is registered
    again. Hooked once a run exists (inherited in the environment, published by a parent,
    or attached to), not at import: a loop without one does not load multiprocessing and
    what it imports (pickle, socket, subprocess: ~1.5 MiB)."""
    global _hooked
    with _hook_lock:
        if _hooked:
            return
        import multiprocessing.util

        multiprocessing.util.register_after_fork(_register_exit, lambda _: _after_fork_in_child())
        _hooked = True


if os.environ.get(ENVIRONMENT_VARIABLE):
    _hook_forked_workers()
