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
    """Base class of every finmon error; ``code`` is the C status (negative)."""

    code: int = -99

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidArgumentError(FinmonError, ValueError):
    """A value out of range: NaN, a negative counter increment, NUL in a string..."""


class InvalidHandleError(FinmonError, ValueError):
    """The object was closed, removed, or belongs to a freed collector."""


class InvalidNameError(FinmonError, ValueError):
    """A metric or label name breaks Prometheus' naming rules."""


class LabelError(FinmonError, ValueError):
    """Label names or their count do not match the metric's."""


class MetricTypeError(FinmonError, TypeError):
    """The operation is not defined for this metric type (``set`` on a counter...)."""


class ConflictError(FinmonError, ValueError):
    """The name is already registered with another type, labels or buckets."""


class NotFoundError(FinmonError, LookupError):
    """No such metric or sample."""


class StateError(FinmonError, RuntimeError):
    """Not allowed in the current state (already started, unusable address...)."""


class FinmonIOError(FinmonError, OSError):
    """A file or socket operation failed."""


class ConfigError(FinmonError, ValueError):
    """An invalid configuration file or value; the message names file, key and line, which
    are also attributes (``file``, ``line``, ``key_path``; None where the error has none).

    Example:
        >>> error = ConfigError("c.yaml:14: alerts.diversity_collapse.window: must be a positive integer")
        >>> error.file, error.line, error.key_path
        ('c.yaml', 14, 'alerts.diversity_collapse.window')
    """

    @property
    def file(self) -> str | None:
        return self._parts()[0]

    @property
    def line(self) -> int | None:
        return self._parts()[1]

    @property
    def key_path(self) -> str | None:
        return self._parts()[2]

    def _parts(self) -> tuple[str | None, int | None, str | None]:
        import re

        # "file:line: key.path: message", "file:line:column: message" or "file: message".
        found = re.match(r"(?P<file>.+?):(?P<line>\d+)(?::\d+)?: (?:(?P<key>[A-Za-z_][\w.]*): )?", str(self))
        if found:
            return found["file"], int(found["line"]), found["key"]
        plain = re.match(r"(?P<file>[^:]+): ", str(self))
        return (plain["file"] if plain else None), None, None


class FinmonTimeoutError(FinmonError, TimeoutError):
    """A request to a server (Docker Engine, Alertmanager) timed out."""


class DockerError(FinmonError, RuntimeError):
    """The container engine answered with an error."""


class LibraryLoadError(FinmonError, ImportError):
    """libfinmon.so could not be found or has an incompatible ABI."""


_BY_CODE: dict[int, type[FinmonError]] = {
    -1: InvalidArgumentError,
    -2: InvalidArgumentError,
    -3: InvalidHandleError,
    -4: InvalidArgumentError,
    -5: InvalidNameError,
    -6: LabelError,
    -7: MetricTypeError,
    -8: ConflictError,
    -9: NotFoundError,
    -10: StateError,
    -11: FinmonIOError,
    -12: ConfigError,
    -13: FinmonTimeoutError,
    -14: DockerError,
}


def error_for(code: int, message: str) -> FinmonError:
    """The exception for a native status code."""
    return _BY_CODE.get(code, FinmonError)(message, code)
