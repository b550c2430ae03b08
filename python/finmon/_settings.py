"""The settings table as the library renders it, and a config's values as read-only
:class:`Settings` (split from ``config``, which re-exports the public names).

Example:
    >>> from finmon import config
    >>> config.default("monitoring.prometheus.port")
    8000
"""

from __future__ import annotations

import ctypes
import functools
import json
import types
from collections.abc import Iterator, Mapping
from ctypes import c_void_p
from dataclasses import dataclass
from typing import Any

from . import _native
from ._bindings import ConfigSchemaFormat
from .errors import FinmonError

__all__ = ["ConfigWarning", "Settings", "default", "schema", "schema_text"]


# ---- the table --------------------------------------------------------------------


@functools.cache
def schema() -> tuple[Mapping[str, Any], ...]:
    """The library's settings table: one read-only mapping per key, with ``path``,
    ``kind``, ``type``, ``default``, ``doc``, ``design`` and bounds (``min``, ``max``...).

    Example:
        >>> import finmon
        >>> row = next(r for r in finmon.config.schema() if r["path"] == "monitoring.alerts.evaluation_interval")
        >>> row["default"], row["min"], row["design"]
        (10, 0.01, True)
    """
    rows = json.loads(schema_text("json"))
    return tuple(types.MappingProxyType(row) for row in rows)


def schema_text(form: str) -> str:
    """The table rendered by the library: ``"json"``, ``"markdown"`` (the README's
    settings table) or ``"yaml"`` (``config/monitoring_config.yaml``).

    Example:
        >>> import finmon
        >>> finmon.config.schema_text("markdown").splitlines()[0]
        '| Key | Default | Type and bounds | Meaning |'
    """
    forms = {member.name.lower(): member for member in ConfigSchemaFormat}
    code = forms.get(form)
    if code is None:
        raise ValueError(f"form must be one of {sorted(forms)}, got {form!r}")
    out = c_void_p()
    _native.check(_native.hot.finmon_config_schema(code, ctypes.byref(out)))
    return _native.take_string(out).decode()


@functools.cache
def _kinds() -> Mapping[str, str]:
    return {row["path"]: row["kind"] for row in schema()}


def default(path: str) -> Any:
    """The default of the setting at ``path``, typed as :class:`MonitoringConfig` gives it.

    Example:
        >>> import finmon
        >>> finmon.config.default("monitoring.alerts.memory_threshold_percent")
        80.0
    """
    for row in schema():
        if row["path"] == path:
            return _typed(path, row["default"])
    raise KeyError(f"no setting {path!r} in the settings table")


def _typed(path: str, value: Any) -> Any:
    """A JSON value as the table types it: floats for numbers and seconds, tuples for lists."""
    kind = _kinds().get(path)
    if value is None:
        return None
    if kind in ("number", "seconds"):
        return float(value)
    if kind == "integer":
        return int(value)
    if kind == "list":
        return tuple(str(item) for item in value)
    if kind == "labels":
        return types.MappingProxyType({str(k): str(v) for k, v in value.items()})
    return value


# ---- a config's values ------------------------------------------------------------


class Settings(Mapping[str, Any]):
    """One section of a config, read-only: ``section.key`` or ``section["key"]``; a
    subsection is a :class:`Settings` too.

    Example:
        >>> import finmon
        >>> alerts = finmon.MonitoringConfig.defaults().monitoring.alerts
        >>> alerts.success_rate.threshold_percent, "champion_staleness" in alerts
        (20.0, True)
    """

    __slots__ = ("_path", "_values")

    def __init__(self, path: str, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            where = self._path or "the config"
            raise AttributeError(f"{where} has no setting {name!r} (it has: {', '.join(self._values)})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only; change the file or use MonitoringConfig.replace")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({self._path!r}, {self.to_dict()!r})"

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists and scalars keyed like the YAML."""
        return {name: _plain(value) for name, value in self._values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Settings):
        return value.to_dict()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _section(path: str, data: Mapping[str, Any]) -> Settings:
    values: dict[str, Any] = {}
    for name, value in data.items():
        child = f"{path}.{name}" if path else name
        if child in _kinds():
            values[name] = _typed(child, value)
        elif isinstance(value, Mapping):
            values[name] = _section(child, value)
        else:
            # The package and its library disagree about the table: a build mix-up.
            raise FinmonError(f"config JSON has {child}, which the settings table does not; "
                              "rebuild the library and package together")
    return Settings(path, values)


@dataclass(frozen=True)
class ConfigWarning:
    """A key the library accepted with a warning: a key of the previous layout (the
    message names its new place), or two settings that disagree."""

    file: str
    line: int
    key_path: str
    message: str
    text: str

    def __str__(self) -> str:
        return self.text
