"""The loop hooks of :class:`~finmon.MetricsCollector`: one native call per iteration,
the success window, and the rolling sizes.

Example:
    >>> import finmon
    >>> with finmon.MetricsCollector() as collector:
    ...     collector.record_iteration(1, True, 0.5)
    ...     collector.success_rate
    1.0
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from ctypes import c_double, c_int

from . import _args, _native
from ._bindings import LoopFlag
from .iteration import Iteration

__all__ = ["LoopHooks"]

# Plain ints: combining IntFlag members costs more than the native call itself (callgrind).
_HAS_SHARPE = int(LoopFlag.SHARPE)
_HAS_MAX_DRAWDOWN = int(LoopFlag.MAX_DRAWDOWN)


class LoopHooks:
    """Mixed into MetricsCollector, whose handle the calls use."""

    __slots__ = ()

    _live_handle: Callable[[], int]

    def configure_loop(self, success_window: int = 10, history_size: int = 1000) -> None:
        """Set the rolling success-rate window (iterations) and the diversity history size.

        Meant for start-up (:func:`finmon.start` calls it from the config): a changed size
        starts that rolling state over; counters keep their values.
        """
        # The library checks the ranges: the same as the config keys' (see the README's settings table).
        _native.check(_native.hot.finmon_loop_configure(
            self._live_handle(), _args.int64(success_window, "success_window"), _args.int64(history_size, "history_size")))

    # ---- loop hooks ----------------------------------------------------------------

    def record_iteration(self, iteration: int, success: bool, execution_time_seconds: float,
                         sharpe: float | None = None, max_drawdown: float | None = None) -> None:
        """Record one iteration's outcome in one native call.

        Observes ``execution_time_seconds``, counts ``strategy_success_total`` or
        ``strategy_failure_total``, sets ``strategy_success_rate`` (over the last N outcomes,
        N from the config, default 10), ``strategy_sharpe_ratio`` and ``strategy_max_drawdown``
        (when given), ``loop_iteration``, and moves ``champion_staleness_iterations`` on.

        A value it cannot use is skipped and counted (see the class documentation): a NaN or
        infinite Sharpe ratio or drawdown is not set, a negative or non-finite execution
        time not observed, a negative iteration leaves ``loop_iteration``; an iteration
        before the last one recorded is a loop restart. With ``strict=True`` these raise
        :class:`~finmon.InvalidArgumentError` (a ValueError) and change nothing.

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     collector.record_iteration(1, True, 0.8, sharpe=1.3, max_drawdown=-0.12)
            ...     collector.record_iteration(2, False, 0.1)
            ...     collector.success_rate
            0.5
        """
        flags = 0
        sharpe_value = max_drawdown_value = 0.0
        if sharpe is not None:
            sharpe_value = _args.real(sharpe, "sharpe")
            flags |= _HAS_SHARPE
        if max_drawdown is not None:
            max_drawdown_value = _args.real(max_drawdown, "max_drawdown")
            flags |= _HAS_MAX_DRAWDOWN
        rc = _native.hot.finmon_loop_record_iteration(
            self._live_handle(), _args.hook_int64(iteration, "iteration", self), 1 if success else 0,
            _args.real(execution_time_seconds, "execution_time_seconds"), sharpe_value, max_drawdown_value, flags)
        if rc:
            _native.raise_last(rc)

    def iteration(self, iteration: int) -> Iteration:
        """A context manager that times its block and records the outcome when it ends.

        A block that raises is recorded as a failure and the exception propagates;
        ``it.result(sharpe=..., max_drawdown=...)`` sets the figures of a success and
        ``it.fail()`` records a failure without raising (see :class:`~finmon.Iteration`).

        Example:
            >>> import finmon
            >>> with finmon.MetricsCollector() as collector:
            ...     with collector.iteration(7) as it:
            ...         it.result(sharpe=1.3, max_drawdown=-0.12)
            ...     collector.get_sample_value("loop_iteration")
            7.0
        """
        return Iteration(self, iteration)  # type: ignore[arg-type]

    @property
    def success_rate(self) -> float | None:
        """Success fraction over the last N outcomes (over all so far while fewer than N
        were recorded), as ``strategy_success_rate`` shows; None before the first outcome."""
        rate = c_double()
        _native.check(_native.hot.finmon_loop_success_rate(self._live_handle(), ctypes.byref(rate), None))
        return None if rate.value != rate.value else rate.value

    @property
    def success_window_full(self) -> bool:
        """True once N outcomes were recorded: from then on ``success_rate`` covers exactly
        the window the success-rate alert evaluates."""
        rate = c_double()
        full = c_int()
        _native.check(_native.hot.finmon_loop_success_rate(self._live_handle(), ctypes.byref(rate),
                                                          ctypes.byref(full)))
        return bool(full.value)
