"""Exceptions raised by finmon.

Every failure of the native library carries its status code and message. Classes also
derive from the builtin a Python programmer would catch: a bad name or value is a
``ValueError``, a wrong metric type a ``TypeError``.

Example:
    >>> import finmon
    >>> try:
    ...     finmon.MetricsCollector().gauge("bad name!", "help")
    ... except ValueError as error:
    ...     print(type(error).__name__)
    InvalidNameError
"""

from __future__ import annotations

from ._bindings import Status

__all__ = [
    "FinmonError",
    "InvalidArgumentError",
    "InvalidHandleError",
    "InvalidNameError",
    "LabelError",
    "MetricTypeError",
    "ConflictError",
    "NotFoundError",
    "StateError",
    "FinmonIOError",
    "ConfigError",
    "FinmonTimeoutError",
    "DockerError",
    "LibraryLoadError",
]


class FinmonError(Exception):
    """Base class of every finmon error; ``code`` is the C status (a negative
    :class:`~finmon.Status`), by default the class's own."""

    code: int = Status.INTERNAL

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = Status(code) if code in Status._value2member_map_ else code


class InvalidArgumentError(FinmonError, ValueError):
    """A value out of range: NaN, a negative counter increment, NUL in a string..."""

    code = Status.INVALID_ARGUMENT


class InvalidHandleError(FinmonError, ValueError):
    """The object was closed, removed, or belongs to a freed collector."""

    code = Status.INVALID_HANDLE


class InvalidNameError(FinmonError, ValueError):
    """A metric or label name breaks Prometheus' naming rules."""

    code = Status.INVALID_NAME


class LabelError(FinmonError, ValueError):
    """Label names or their count do not match the metric's."""

    code = Status.LABELS


class MetricTypeError(FinmonError, TypeError):
    """The operation is not defined for this metric type (``set`` on a counter...)."""

    code = Status.WRONG_TYPE


class ConflictError(FinmonError, ValueError):
    """The name is already registered with another type, labels or buckets."""

    code = Status.CONFLICT


class NotFoundError(FinmonError, LookupError):
    """No such metric or sample."""

    code = Status.NOT_FOUND


class StateError(FinmonError, RuntimeError):
    """Not allowed in the current state (already started, unusable address...)."""

    code = Status.STATE


class FinmonIOError(FinmonError, OSError):
    """A file or socket operation failed."""

    code = Status.IO


class ConfigError(FinmonError, ValueError):
    """An invalid configuration file or value. The message names file, line and key path;
    the library also hands them over apart (finmon_error_last()), as attributes: ``file``,
    ``line``, ``column``, ``key_path`` and ``reason`` (the problem without its location),
    each None where the error has none.

    Example:
        >>> import finmon
        >>> try:
        ...     finmon.MonitoringConfig.from_text("alerts:\\n  memory_threshold_percent: 150\\n", "c.yaml")
        ... except finmon.ConfigError as error:
        ...     print(error.file, error.line, error.key_path)
        c.yaml 2 alerts.memory_threshold_percent
    """

    code = Status.CONFIG

    def __init__(self, message: str, code: int | None = None, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, key_path: str | None = None, reason: str | None = None) -> None:
        super().__init__(message, code)
        self.file = file
        self.line = line
        self.column = column
        self.key_path = key_path
        self.reason = reason


class FinmonTimeoutError(FinmonError, TimeoutError):
    """A request to a server (Docker Engine, Alertmanager) timed out."""

    code = Status.TIMEOUT


class DockerError(FinmonError, RuntimeError):
    """The container engine answered with an error."""

    code = Status.DOCKER


class LibraryLoadError(FinmonError, ImportError):
    """libfinmon.so could not be found or has an incompatible ABI."""


_BY_CODE: dict[int, type[FinmonError]] = {
    Status.NULL_POINTER: InvalidArgumentError,
    Status.INVALID_UTF8: InvalidArgumentError,
    **{cls.code: cls for cls in (InvalidArgumentError, InvalidHandleError, InvalidNameError, LabelError,
                                 MetricTypeError, ConflictError, NotFoundError, StateError, FinmonIOError,
                                 ConfigError, FinmonTimeoutError, DockerError)},
}


def error_for(code: int, message: str, **details: object) -> FinmonError:
    """The exception for a native status code; ``details`` (a config error's file, line,
    column, key_path and reason) go to a :class:`ConfigError`."""
    kind = _BY_CODE.get(code, FinmonError)
    if kind is ConfigError:
        return ConfigError(message, code, **details)  # type: ignore[arg-type]
    return kind(message, code)
