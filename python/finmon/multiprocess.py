"""Worker pools in one exporter: the workers' metric updates appear in the parent's.

A parent makes a multiprocess collector (``MetricsCollector(multiprocess=True)``, or
``monitoring.multiprocess: true`` for :func:`finmon.start`). That creates one shared-memory
segment for the run (``/dev/shm/finmon-<pid>-<random>``, a fixed size: 256 worker slots by
default) and puts its path in the ``FINMON_MULTIPROCESS`` environment variable, which
child processes inherit.

- A **forked** worker (``multiprocessing`` with the fork start method, a
  ``ProcessPoolExecutor`` on fork, ``os.fork``) keeps using the parent's collector: after
  the fork it claims a slot of its own, and every update it makes (``inc``, ``set``,
  ``observe``, the hooks) is written to that slot at once.
- A **spawned** worker (the spawn or forkserver start method) calls :func:`attach` (for
  example as the pool's ``initializer``): it maps the segment named by
  ``FINMON_MULTIPROCESS`` (or the ``path`` it is given, e.g. passed as an argument from
  ``collector.multiprocess_info()["path"]``) and returns a collector whose updates go to
  its slot.

Before each scrape the parent's exporter folds the slots of exited workers into the run's
totals (so counters never go backwards, and the slot is reused by the next worker) and
shows, per series, the sum over the run for counters and histograms, and for gauges the
``gauge mode``: ``latest`` (default: the value set last by any live process), ``sum``,
``max`` or ``min`` over live processes (``collector.set_gauge_mode(name, mode)``). A worker
exiting normally folds its own slot (``detach``, registered for it); a worker killed with
SIGKILL loses nothing it had written: the parent folds its slot once the process is gone.
Files on disk: none besides the one segment, whose size does not change with restarts.

Example::

    collector = finmon.MetricsCollector(multiprocess=True)
    with ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn"),
                             initializer=finmon.attach) as pool:
        pool.map(backtest, strategies)     # backtest() calls finmon.attach().strategy_success.inc()
"""

from __future__ import annotations

import atexit
import ctypes
import json
import multiprocessing.util
import os
import threading
from ctypes import c_void_p
from typing import TYPE_CHECKING, Any

from . import _native

if TYPE_CHECKING:
    from .collector import MetricsCollector

__all__ = ["ENVIRONMENT_VARIABLE", "GAUGE_MODES", "attach", "detach", "info"]

#: Where a multiprocess parent puts its segment's path for spawned workers.
ENVIRONMENT_VARIABLE = "FINMON_MULTIPROCESS"
GAUGE_MODES = ("latest", "sum", "max", "min")

_attached: MetricsCollector | None = None
_attached_pid = 0
_lock = threading.Lock()


def _check_mode(mode: str | None) -> bytes | None:
    if mode is None:
        return None
    if mode not in GAUGE_MODES:
        raise ValueError(f"gauge mode must be one of {', '.join(GAUGE_MODES)}, got {mode!r}")
    return mode.encode()


def attach(path: str | os.PathLike[str] | None = None, gauge_mode: str | None = None) -> MetricsCollector:
    """This process as a worker of the multiprocess run at ``path`` (default: the
    ``FINMON_MULTIPROCESS`` environment variable its parent set). Returns the worker's
    collector; a second call in the same process returns the same one.

    Raises ``ValueError`` when no run is named, :class:`~finmon.FinmonError` when the
    segment cannot be mapped or has no free slot.
    """
    global _attached, _attached_pid
    from .collector import MetricsCollector

    with _lock:
        if _attached is not None and _attached_pid == os.getpid():
            return _attached
        location = os.fspath(path) if path is not None else os.environ.get(ENVIRONMENT_VARIABLE)
        if not location:
            raise ValueError(f"no multiprocess run to attach to: pass its path or set {ENVIRONMENT_VARIABLE} "
                             "(a MetricsCollector(multiprocess=True) in the parent sets it)")
        out = c_void_p()
        _native.check(_native.hot.finmon_worker_attach(location.encode(), _check_mode(gauge_mode), ctypes.byref(out)))
        collector = MetricsCollector._adopted(out.value or 0)
        _attached, _attached_pid = collector, os.getpid()
        _register_exit()
        return collector


def detach() -> None:
    """Fold this worker's counters and histograms into the run's totals and free its slot
    (idempotent; registered to run at the worker's exit)."""
    _native.hot.finmon_worker_detach()


def info(collector: MetricsCollector) -> dict[str, Any] | None:
    """The run's segment: ``path``, ``size_bytes``, ``slots``, ``live_slots``, ``entries``,
    ``folded_workers``, ``claims``, ``dropped_entries``, ``unmirrored_writes``; None for a
    collector that is not multiprocess."""
    out = c_void_p()
    _native.check(_native.hot.finmon_collector_multiprocess_info(collector._live_handle(), ctypes.byref(out)))
    found = json.loads(_native.take_string(out))
    return found if isinstance(found, dict) else None


def _register_exit() -> None:
    # multiprocessing's workers leave with os._exit after running its finalizers (atexit
    # does not run in forked ones); plain processes run atexit.
    multiprocessing.util.Finalize(None, detach, exitpriority=0)
    atexit.register(detach)


def _after_fork_in_child() -> None:
    """A forked child of a multiprocess parent: register the exit fold (the library has
    already claimed its slot in ``finmon_after_fork_child``)."""
    if os.environ.get(ENVIRONMENT_VARIABLE):
        _register_exit()


def _publish(collector: MetricsCollector) -> None:
    """A parent's multiprocess collector: spawned children find the run in the environment."""
    found = info(collector)
    if found is not None:
        os.environ[ENVIRONMENT_VARIABLE] = str(found["path"])


# Forked multiprocessing workers clear the finalizers they inherit, then run these.
multiprocessing.util.register_after_fork(_register_exit, lambda _: _after_fork_in_child())
