"""The final record of :class:`~finmon.MetricsCollector`: ``metrics_final.json`` and the
Prometheus text snapshot, written now or at :meth:`~finmon.MetricsCollector.stop`.

Example:
    >>> import finmon, tempfile
    >>> with tempfile.TemporaryDirectory() as folder, finmon.MetricsCollector() as collector:
    ...     json_path, text_path = collector.export_final(folder)
    ...     (json_path.name, text_path.name, json_path.exists())
    ('metrics_final.json', 'prometheus_metrics_final.txt', True)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from . import _native

__all__ = ["FinalExportMethods", "PathArg"]

#: A folder or file argument of the final record; None takes the configured value.
PathArg = str | os.PathLike[str] | None


class FinalExportMethods:
    """Mixed into MetricsCollector, whose handle the calls use and which sets ``_final``
    (the paths :meth:`configure_final_export` was given) when it is made."""

    __slots__ = ()

    _live_handle: Callable[[], int]
    _final: tuple[PathArg, PathArg, PathArg]

    def export_final(self, directory: PathArg = None, json_file: PathArg = None,
                     prometheus_file: PathArg = None) -> tuple[Path, Path]:
        """Write ``metrics_final.json`` and the Prometheus text snapshot now (atomically).

        Unset arguments take the values given to :meth:`configure_final_export`, else
        ``"."``, ``"metrics_final.json"`` and ``"prometheus_metrics_final.txt"``.
        Returns the two paths written.

        A file name is written inside the folder; an absolute path is taken as given. A
        relative path with folders (``../x``), a target that is not a regular file (a
        device, a FIFO, a symbolic link) and the same file for both are refused before
        anything is written.
        """
        args = self._final_args(directory, json_file, prometheus_file)
        _native.check(_native.blocking.finmon_collector_export_final(self._live_handle(), *args))
        return self._final_paths(directory, json_file, prometheus_file)

    def configure_final_export(self, directory: PathArg = None, json_file: PathArg = None,
                               prometheus_file: PathArg = None) -> None:
        """Make :meth:`stop` write the final record to these paths."""
        args = self._final_args(directory, json_file, prometheus_file)
        _native.check(_native.hot.finmon_collector_configure_final_export(self._live_handle(), *args))
        self._final = (directory, json_file, prometheus_file)

    def _final_args(self, directory: PathArg, json_file: PathArg,
                    prometheus_file: PathArg) -> tuple[bytes | None, bytes | None, bytes | None]:
        # Checked here, so `export_final(d, 1)` is refused before anything is written
        # (str(1) would otherwise name a file "1").
        return (path_arg(directory, "directory"), path_arg(json_file, "json_file"),
                path_arg(prometheus_file, "prometheus_file"))

    def _final_paths(self, directory: PathArg, json_file: PathArg, prometheus_file: PathArg) -> tuple[Path, Path]:
        saved = self._final
        folder = Path(os.fspath(directory if directory is not None else (saved[0] or ".")))
        return (folder / os.fspath(json_file or saved[1] or "metrics_final.json"),
                folder / os.fspath(prometheus_file or saved[2] or "prometheus_metrics_final.txt"))


def path_arg(value: object, what: str) -> bytes | None:
    """None, or a str or path-like as the C string of a path; TypeError for anything else."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{what} must be a str or a path, got {type(value).__name__}: {value!r}")
    path = os.fspath(value)
    if not isinstance(path, str):
        raise TypeError(f"{what} must be a str path, got {type(path).__name__}")
    return _native.encode(path, what)
