"""finmon's configuration: the library's settings table, a config's values, and the
original design's :class:`AlertConfig`.

The YAML is read by the Swift core only (one parser, one table of keys with their types,
bounds, defaults and documentation). Python receives the effective values as JSON and
shows them as a tree of read-only :class:`Settings` whose attribute names are the YAML
keys, so ``config.monitoring.alerts.diversity_collapse.window`` reads the file's
``monitoring.alerts.diversity_collapse.window``. A bad file raises
:class:`~finmon.ConfigError` naming the file, the line and the key path; a file in the
previous layout loads, and each old key is logged once on the ``finmon`` logger with its
new place (also in :attr:`MonitoringConfig.warnings`).

Example:
    >>> import finmon
    >>> config = finmon.MonitoringConfig.from_yaml("config/monitoring_config.yaml")
    >>> config.monitoring.alerts.diversity_collapse.window
    5
    >>> config.setting("monitoring.prometheus.metrics_path")
    '/metrics'
    >>> finmon.AlertConfig.from_yaml("config/monitoring_config.yaml").success_rate_threshold
    0.2
"""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import os
import types
from collections.abc import Mapping
from ctypes import c_void_p
from dataclasses import dataclass, field
from typing import Any

from . import _native
from ._settings import ConfigWarning, Settings, _kinds, _plain, _section, default, schema, schema_text
from .errors import ConfigError

__all__ = [
    "ALERT_NAMES",
    "AlertConfig",
    "ConfigWarning",
    "MonitoringConfig",
    "Settings",
    "default",
    "render_rules",
    "schema",
    "schema_text",
    "setting",
]

_log = logging.getLogger("finmon")


class MonitoringConfig:
    """The whole ``monitoring_config.yaml`` with every default filled in: ``monitoring``
    and ``grafana`` are :class:`Settings` trees.

    Build it with :meth:`from_yaml` (a file), :meth:`from_text` or :meth:`defaults`;
    :meth:`replace` returns a changed copy, checked by the library.

    Example:
        >>> import finmon
        >>> text = "monitoring: {alerts: {memory_threshold_percent: 70}}"
        >>> finmon.MonitoringConfig.from_text(text).monitoring.alerts.memory_threshold_percent
        70.0
    """

    monitoring: Settings
    grafana: Settings

    def __init__(self, values: Mapping[str, Any], warnings: tuple[ConfigWarning, ...] = ()) -> None:
        self._root = _section("", values)
        self.monitoring = self._root["monitoring"]
        self.grafana = self._root["grafana"]
        #: What the library accepted with a warning (each was logged once when loaded).
        self.warnings = warnings

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> MonitoringConfig:
        """Read and validate a config file; :class:`~finmon.ConfigError` names file, line and key."""
        out = c_void_p()
        _native.check(_native.hot.finmon_config_load(_native.encode(os.fspath(path), "path"), ctypes.byref(out)))
        return cls.from_json(_native.take_string(out), log_warnings=True)

    @classmethod
    def from_text(cls, text: str, name: str = "<config text>") -> MonitoringConfig:
        """Validate YAML (or JSON) text; ``name`` stands for the file in messages."""
        out = c_void_p()
        _native.check(_native.hot.finmon_config_parse(
            _native.encode(text, "config text"), _native.encode(name, "name"), ctypes.byref(out)))
        return cls.from_json(_native.take_string(out), log_warnings=True)

    @classmethod
    def defaults(cls) -> MonitoringConfig:
        """The built-in defaults (what an empty file means)."""
        return _defaults()

    @classmethod
    def from_json(cls, text: str | bytes, log_warnings: bool = False) -> MonitoringConfig:
        """Build from the library's JSON (``finmon_config_load``'s ``{"config", "warnings"}``)."""
        data = json.loads(text)
        warnings = tuple(ConfigWarning(**item) for item in data.get("warnings", []))
        if log_warnings:
            for warning in warnings:
                _log.warning("%s", warning.text)
        return cls(data["config"], warnings)

    def setting(self, path: str) -> Any:
        """The value at a dotted ``path`` (``"monitoring.prometheus.port"``)."""
        return setting(self, path)

    def replace(self, changes: Mapping[str, Any]) -> MonitoringConfig:
        """A copy with values changed by dotted path, validated by the library.

        Example:
            >>> import finmon
            >>> changed = finmon.MonitoringConfig.defaults().replace({"monitoring.prometheus.port": 0})
            >>> changed.monitoring.prometheus.port
            0
        """
        data = self.to_dict()
        for path, value in changes.items():
            if path not in _kinds():
                raise ConfigError(f"{path}: unknown key (a dotted path such as monitoring.prometheus.port)",
                                  key_path=path, reason="unknown key")
            *parents, name = path.split(".")
            node = data
            for part in parents:
                node = node[part]
            node[name] = _plain(value)
        return MonitoringConfig.from_text(json.dumps(data, allow_nan=True), "MonitoringConfig.replace")

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists and scalars keyed like the YAML."""
        return self._root.to_dict()

    def to_text(self) -> str:
        """The config as one line of JSON, which the library reads as YAML."""
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=True)

    def alert_config(self) -> AlertConfig:
        """The alert settings as the original design's flat :class:`AlertConfig`."""
        return AlertConfig.from_settings(self.monitoring.alerts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MonitoringConfig) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.to_text())

    def __repr__(self) -> str:
        return f"MonitoringConfig({self.to_text()})"


@functools.cache
def _defaults() -> MonitoringConfig:
    return MonitoringConfig.from_text("", "<defaults>")


def setting(config: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a config tree (a :class:`MonitoringConfig`, or any
    object with the same attributes), with an error that names what is missing.

    Example:
        >>> import finmon
        >>> finmon.config.setting(finmon.MonitoringConfig.defaults(), "monitoring.alerts.diversity_collapse.window")
        5
    """
    value = config
    for part in path.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise TypeError(f"config has no {path} (missing {part!r})") from None
    return value


def render_rules(path: str | os.PathLike[str] | None = None) -> str:
    """The Prometheus alerting rules for a config file (None: the defaults), as YAML text.

    Example:
        >>> import finmon
        >>> "alert: diversity_collapse" in finmon.config.render_rules()
        True
    """
    out = c_void_p()
    raw_path = None if path is None else _native.encode(os.fspath(path), "path")
    _native.check(_native.hot.finmon_alerts_render_rules(raw_path, ctypes.byref(out)))
    return _native.take_string(out).decode()


# ---- the original design's AlertConfig ----------------------------------------------

_ALERTS = "monitoring.alerts"
#: Every alert name of the severities and for_seconds tables: the in-process alerts, then
#: the ones only Prometheus raises (about the scrape target).
ALERT_NAMES = ("high_memory", "high_cpu", "diversity_collapse", "champion_staleness", "low_success_rate",
               "orphaned_containers", "memory_leak", "loop_stuck", "loop_down", "loop_absent",
               "alert_log_failing")
#: The alerts with hysteresis (the resource alerts).
_HYSTERESIS_TYPES = ("high_memory", "high_cpu")
_TABLES = {"severities": ALERT_NAMES, "for_seconds": ALERT_NAMES, "hysteresis": _HYSTERESIS_TYPES}


def _table(group: str) -> Mapping[str, Any]:
    return types.MappingProxyType({name: default(f"{_ALERTS}.{group}.{name}") for name in _TABLES[group]})


#: AlertConfig field -> the key it stands for (the fraction is the key's percent / 100).
_FIELD_KEYS: Mapping[str, str] = types.MappingProxyType({
    "memory_threshold_percent": f"{_ALERTS}.memory_threshold_percent",
    "diversity_collapse_threshold": f"{_ALERTS}.diversity_collapse.threshold",
    "diversity_collapse_window": f"{_ALERTS}.diversity_collapse.window",
    "champion_staleness_threshold": f"{_ALERTS}.champion_staleness.threshold_iterations",
    "success_rate_threshold": f"{_ALERTS}.success_rate.threshold_percent",
    "success_rate_window": f"{_ALERTS}.success_rate.window_iterations",
    "orphaned_container_threshold": f"{_ALERTS}.orphaned_containers.threshold",
    "cpu_threshold_percent": f"{_ALERTS}.cpu_threshold_percent",
    "memory_leak_horizon": f"{_ALERTS}.memory_leak.horizon",
    "loop_stuck_expected_iteration_time": f"{_ALERTS}.loop_stuck.expected_iteration_time",
    "loop_stuck_multiple": f"{_ALERTS}.loop_stuck.multiple",
    "auto_cleanup": f"{_ALERTS}.orphaned_containers.auto_cleanup",
    "enabled": f"{_ALERTS}.enabled",
    "evaluation_interval": f"{_ALERTS}.evaluation_interval",
    "log_file": f"{_ALERTS}.log_file",
    "alertmanager_url": f"{_ALERTS}.alertmanager.url",
    "resend_interval": f"{_ALERTS}.alertmanager.resend_interval",
    "alertmanager_labels": f"{_ALERTS}.alertmanager.labels",
    "webhook_url": f"{_ALERTS}.webhook.url",
})


@dataclass(frozen=True)
class AlertConfig:
    """Alert thresholds, as the original design's data model: its seven fields first with
    its names, units and defaults (``success_rate_threshold`` is a fraction, 0.2 = 20%),
    then finmon's (receivers, severities, the log), each a key of ``monitoring.alerts``.

    Every value is checked by the library when the object is made, so an invalid one
    raises :class:`~finmon.ConfigError` at once, naming the field.

    Example:
        >>> import finmon
        >>> finmon.AlertConfig(success_rate_threshold=0.2, orphaned_container_threshold=3).memory_threshold_percent
        80.0
        >>> finmon.AlertConfig(memory_threshold_percent=0)
        Traceback (most recent call last):
        ...
        finmon.errors.ConfigError: AlertConfig.memory_threshold_percent: must be a number in (0, 100], got 0
    """

    memory_threshold_percent: float = default(_FIELD_KEYS["memory_threshold_percent"])
    diversity_collapse_threshold: float = default(_FIELD_KEYS["diversity_collapse_threshold"])
    diversity_collapse_window: int = default(_FIELD_KEYS["diversity_collapse_window"])
    champion_staleness_threshold: int = default(_FIELD_KEYS["champion_staleness_threshold"])
    success_rate_threshold: float = default(_FIELD_KEYS["success_rate_threshold"]) / 100
    success_rate_window: int = default(_FIELD_KEYS["success_rate_window"])
    orphaned_container_threshold: int = default(_FIELD_KEYS["orphaned_container_threshold"])
    # finmon's, after the design's.
    cpu_threshold_percent: float = default(_FIELD_KEYS["cpu_threshold_percent"])
    #: memory_leak: seconds within which the resident memory's trend reaches the limit.
    memory_leak_horizon: float = default(_FIELD_KEYS["memory_leak_horizon"])
    #: loop_stuck: no iteration for ``loop_stuck_multiple`` x this many seconds.
    loop_stuck_expected_iteration_time: float = default(_FIELD_KEYS["loop_stuck_expected_iteration_time"])
    loop_stuck_multiple: float = default(_FIELD_KEYS["loop_stuck_multiple"])
    auto_cleanup: bool = default(_FIELD_KEYS["auto_cleanup"])
    enabled: bool = default(_FIELD_KEYS["enabled"])
    #: Seconds between evaluations on the library's thread.
    evaluation_interval: float = default(_FIELD_KEYS["evaluation_interval"])
    #: JSON-lines alert log; None disables it. A relative path is taken against the
    #: working directory when the config is applied.
    log_file: str | None = default(_FIELD_KEYS["log_file"])
    #: Per alert type, "warning" or "critical"; types not given keep their default.
    severities: Mapping[str, str] = field(default_factory=lambda: _table("severities"))
    #: Per alert type, seconds its condition must hold before it fires (0: at once).
    for_seconds: Mapping[str, float] = field(default_factory=lambda: _table("for_seconds"))
    #: high_memory and high_cpu: a firing alert resolves only at or below its threshold
    #: minus this many percentage points.
    hysteresis: Mapping[str, float] = field(default_factory=lambda: _table("hysteresis"))
    alertmanager_url: str | None = default(_FIELD_KEYS["alertmanager_url"])
    resend_interval: float = default(_FIELD_KEYS["resend_interval"])
    alertmanager_labels: Mapping[str, str] = field(default_factory=lambda: types.MappingProxyType({}))
    webhook_url: str | None = default(_FIELD_KEYS["webhook_url"])

    def __post_init__(self) -> None:
        # Partial tables are completed, as the YAML's are, so equal settings compare equal.
        tables = {**{name: _table(name) for name in _TABLES}, "alertmanager_labels": {}}
        for name, base in tables.items():
            given = getattr(self, name)
            if not isinstance(given, Mapping):
                raise TypeError(f"{name} must be a mapping, got {type(given).__name__}")
            object.__setattr__(self, name, types.MappingProxyType({**base, **given}))
        # Validated by the library's parser, so Python and YAML accept exactly the same values.
        self.monitoring_config()

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> AlertConfig:
        """The alert settings of a config file (the design's ``AlertConfig.from_yaml``)."""
        return MonitoringConfig.from_yaml(path).alert_config()

    @classmethod
    def from_settings(cls, alerts: Settings) -> AlertConfig:
        """The flat view of a parsed ``monitoring.alerts`` section."""
        values = {name: setting(alerts, key[len(_ALERTS) + 1:]) for name, key in _FIELD_KEYS.items()}
        values["success_rate_threshold"] = values["success_rate_threshold"] / 100
        return cls(severities=alerts.severities, for_seconds=alerts.for_seconds, hysteresis=alerts.hysteresis, **values)

    def alerts_section(self) -> dict[str, Any]:
        """The ``monitoring.alerts`` mapping of a config file with these values."""
        section: dict[str, Any] = {name: dict(getattr(self, name)) for name in _TABLES}
        for name, key in _FIELD_KEYS.items():
            value = getattr(self, name)
            if name == "success_rate_threshold" and _is_number(value):
                value = round(value * 100, 12)
            node = section
            *parents, last = key[len(_ALERTS) + 1:].split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = dict(value) if isinstance(value, Mapping) else value
        return section

    def to_text(self) -> str:
        """A config text (one line of JSON, read by the library as YAML) with this
        alert section and every other setting at its default."""
        return json.dumps({"monitoring": {"alerts": self.alerts_section()}}, allow_nan=True)

    def monitoring_config(self) -> MonitoringConfig:
        """A full :class:`MonitoringConfig` with these alert settings, others default."""
        try:
            return MonitoringConfig.from_text(self.to_text(), "AlertConfig")
        except ConfigError as error:
            raise _field_error(error, self) from None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field_error(error: ConfigError, config: AlertConfig) -> ConfigError:
    """The library's message about a key, as a message about the AlertConfig field."""
    key = error.key_path or ""
    detail = error.reason or str(error)
    for name, path in _FIELD_KEYS.items():
        if key == path:
            if name == "success_rate_threshold":
                detail = f"must be a fraction in (0, 1], got {config.success_rate_threshold!r}"
            return ConfigError(f"AlertConfig.{name}: {detail}", error.code, key_path=key, reason=detail)
    for group in (*_TABLES, "alertmanager.labels"):
        prefix = f"{_ALERTS}.{group}"
        if key.startswith(prefix):
            field_name = group.replace(".", "_")
            return ConfigError(f"AlertConfig.{field_name}[{key[len(prefix) + 1:]!r}]: {detail}", error.code,
                               key_path=key, reason=detail)
    return error
