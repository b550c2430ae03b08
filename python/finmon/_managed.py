"""The base of every Python object over a finmon handle, in wasmtime-py's manner (its
``Managed``): one place that holds the handle, refuses use after close, frees an owned
handle exactly once (``close``, ``with``, or garbage collection) and leaves a borrowed one
to its owner.

Owned: :class:`~finmon.MetricsCollector` (``finmon_collector_free``) and
:class:`~finmon.Runtime` (``finmon_runtime_free``). Borrowed: a metric family and its
children (freed with their collector), and the collector a runtime lends.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> collector.close()
    >>> collector.close()          # harmless
    >>> collector.generate_latest()
    Traceback (most recent call last):
    ...
    finmon.errors.InvalidHandleError: this MetricsCollector is closed
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import ClassVar

from .errors import InvalidHandleError

__all__ = ["Managed"]


class Managed:
    """Holds one handle of the C ABI. Subclasses that own their kind set ``_free`` (the C
    function releasing it) and get a finalizer; ``_release`` is where they stop what runs
    over the handle before it is freed."""

    # One slot: ``_owned`` is a class default (False) that only owners (classes with an
    # instance dict) set per object, so a borrowed slotted object (a Child per series)
    # carries one word less.
    __slots__ = ("_handle",)

    #: The C function that frees an owned handle; None for kinds only borrowed.
    _free: ClassVar[Callable[[int], object] | None] = None

    _handle: int | None
    #: Whether this object frees its handle (set by :meth:`_adopt`).
    _owned: bool = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Only owners pay for a finalizer: borrowed objects (a Child per labels() call)
        # are collected without one.
        if cls._free is not None and "__del__" not in cls.__dict__:
            cls.__del__ = Managed._finalize  # type: ignore[attr-defined]

    def _adopt(self, handle: int, *, owned: bool) -> None:
        self._handle = handle
        self._owned = owned and self._free is not None

    def _live_handle(self) -> int:
        handle = self._handle
        if handle is None:
            raise InvalidHandleError(f"this {type(self).__name__} is closed")
        return handle

    def _detach(self) -> int | None:
        """The handle, leaving this object closed; None if it already was."""
        handle, self._handle = self._handle, None
        return handle

    def _release(self, handle: int) -> None:
        """Frees an owned handle. Overridden to stop threads, pumps ... first."""
        free = type(self)._free
        if free is not None:
            free(handle)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the owner freed the handle)."""
        return self._handle is None

    def close(self) -> None:
        """Release the handle: freed when this object owns it, forgotten when borrowed.
        Closing twice is harmless; any other use afterwards raises InvalidHandleError."""
        handle = self._detach()
        if handle is not None and self._owned:
            self._release(handle)

    def __enter__(self) -> Managed:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _finalize(self) -> None:
        try:
            self.close()
        except Exception:  # never from a finalizer; an interpreter at exit may lack modules
            pass
