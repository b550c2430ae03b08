"""finmon's configuration as frozen dataclasses, parsed and validated by the library.

The YAML is read by the Swift core only (one parser, one set of rules and defaults);
Python receives the full effective config as JSON and mirrors it as a tree of frozen
dataclasses whose attribute names are the YAML keys. A bad file raises
:class:`~finmon.ConfigError` whose message names the file, the line and the key path,
e.g. ``monitoring_config.yaml:14: alerts.diversity_collapse.window: must be a positive
integer, got -3``.

:class:`AlertConfig` is the original design's flat view of the ``alerts`` section.

Example:
    >>> import finmon
    >>> config = finmon.MonitoringConfig.from_yaml("config/monitoring_config.yaml")
    >>> config.alerts.diversity_collapse.window
    5
    >>> finmon.AlertConfig.from_yaml("config/monitoring_config.yaml").memory_threshold_percent
    80.0
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import types
import typing
from collections.abc import Mapping
from ctypes import c_void_p
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import _native
from .errors import FinmonError

__all__ = [
    "AlertConfig",
    "AlertmanagerSettings",
    "AlertsSettings",
    "ChampionStalenessSettings",
    "ContainerMonitorSettings",
    "DiversityCollapseSettings",
    "DiversityMonitorSettings",
    "ExportSettings",
    "GrafanaSettings",
    "LoopSettings",
    "MonitoringConfig",
    "MonitoringSettings",
    "OrphanedContainersSettings",
    "PrometheusSettings",
    "ResourceMonitorSettings",
    "SuccessRateSettings",
    "WebhookSettings",
    "render_rules",
    "setting",
]

_T = TypeVar("_T")


# ---- the mirror of monitoring_config.yaml ---------------------------------------------


@dataclass(frozen=True)
class PrometheusSettings:
    """``monitoring.prometheus``: the ``/metrics`` endpoint."""

    enabled: bool
    port: int
    address: str
    scrape_interval_seconds: float


@dataclass(frozen=True)
class ResourceMonitorSettings:
    """``monitoring.resource_monitor``: system and process resources."""

    enabled: bool
    interval_seconds: float
    disk_path: str
    rss_growth_window_seconds: float


@dataclass(frozen=True)
class DiversityMonitorSettings:
    """``monitoring.diversity_monitor``."""

    enabled: bool
    history_size: int


@dataclass(frozen=True)
class ContainerMonitorSettings:
    """``monitoring.container_monitor``: sandbox containers through the Docker Engine API."""

    enabled: bool
    docker_host: str | None
    label: str
    orphan_statuses: tuple[str, ...]
    stats_collection_interval_seconds: float
    request_timeout_seconds: float


@dataclass(frozen=True)
class LoopSettings:
    """``monitoring.loop``."""

    success_window: int


@dataclass(frozen=True)
class MonitoringSettings:
    """``monitoring``: the monitors and the exporter."""

    enabled: bool
    prometheus: PrometheusSettings
    resource_monitor: ResourceMonitorSettings
    diversity_monitor: DiversityMonitorSettings
    container_monitor: ContainerMonitorSettings
    loop: LoopSettings


@dataclass(frozen=True)
class DiversityCollapseSettings:
    """``alerts.diversity_collapse``: the last ``window`` values all below ``threshold``."""

    threshold: float
    window: int


@dataclass(frozen=True)
class ChampionStalenessSettings:
    """``alerts.champion_staleness``."""

    threshold_iterations: int


@dataclass(frozen=True)
class SuccessRateSettings:
    """``alerts.success_rate``."""

    threshold_percent: float
    window_iterations: int


@dataclass(frozen=True)
class OrphanedContainersSettings:
    """``alerts.orphaned_containers``."""

    threshold: int
    auto_cleanup: bool


@dataclass(frozen=True)
class AlertmanagerSettings:
    """``alerts.alertmanager``: Prometheus Alertmanager, API v2."""

    url: str | None
    resend_interval_seconds: float
    labels: Mapping[str, str]


@dataclass(frozen=True)
class WebhookSettings:
    """``alerts.webhook``: a generic JSON webhook."""

    url: str | None


@dataclass(frozen=True)
class AlertsSettings:
    """``alerts``: rules, severities, the alert log and the receivers."""

    enabled: bool
    evaluation_interval_seconds: float
    log_file: str | None
    memory_threshold_percent: float
    cpu_threshold_percent: float
    diversity_collapse: DiversityCollapseSettings
    champion_staleness: ChampionStalenessSettings
    success_rate: SuccessRateSettings
    orphaned_containers: OrphanedContainersSettings
    severities: Mapping[str, str]
    for_seconds: Mapping[str, float]
    alertmanager: AlertmanagerSettings
    webhook: WebhookSettings


@dataclass(frozen=True)
class ExportSettings:
    """``export``: the final snapshot written when monitoring stops."""

    directory: str
    json_file: str
    prometheus_file: str
    retention_days: int


@dataclass(frozen=True)
class GrafanaSettings:
    """``grafana``."""

    dashboard_file: str
    datasource: str


@dataclass(frozen=True)
class MonitoringConfig:
    """The whole ``monitoring_config.yaml``, with every default filled in.

    Build it with :meth:`from_yaml` (a file), :meth:`from_text` or :meth:`defaults`;
    change a copy with :func:`dataclasses.replace`. The library validates what it is given
    again when the config is applied.

    Example:
        >>> import finmon
        >>> finmon.MonitoringConfig.from_text("alerts: {memory_threshold_percent: 70}").alerts.memory_threshold_percent
        70.0
    """

    monitoring: MonitoringSettings
    alerts: AlertsSettings
    export: ExportSettings
    grafana: GrafanaSettings

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> MonitoringConfig:
        """Read and validate a config file; :class:`~finmon.ConfigError` names file, line and key."""
        out = c_void_p()
        _native.check(_native.hot.finmon_config_load(_native.encode(os.fspath(path), "path"), ctypes.byref(out)))
        return cls.from_json(_native.take_string(out))

    @classmethod
    def from_text(cls, text: str, name: str = "<config text>") -> MonitoringConfig:
        """Validate YAML (or JSON) text; ``name`` stands for the file in error messages."""
        out = c_void_p()
        _native.check(_native.hot.finmon_config_parse(
            _native.encode(text, "config text"), _native.encode(name, "name"), ctypes.byref(out)))
        return cls.from_json(_native.take_string(out))

    @classmethod
    def defaults(cls) -> MonitoringConfig:
        """The built-in defaults (what an empty file means)."""
        return cls.from_text("")

    @classmethod
    def from_json(cls, text: str | bytes) -> MonitoringConfig:
        """Build the tree from the library's JSON (see ``finmon_config_load``)."""
        return _build(cls, json.loads(text), "")

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists and scalars keyed like the YAML."""
        plain: dict[str, Any] = _plain(self)
        return plain

    def to_text(self) -> str:
        """The config as one line of JSON, which the library reads as YAML."""
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=True)

    def alert_config(self) -> AlertConfig:
        """The ``alerts`` section as the original design's flat :class:`AlertConfig`."""
        return AlertConfig.from_settings(self.alerts)


def _build(kind: type[_T], data: Any, path: str) -> _T:
    """``data`` (from the library's JSON) as ``kind``, converting by the field types."""
    if not isinstance(data, dict):
        raise FinmonError(f"config JSON: {path or 'the top level'} is not an object")
    hints = typing.get_type_hints(kind)
    names = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    missing = sorted(names - set(data))
    if unknown or missing:
        # The package and its library disagree about the config's shape: a build mix-up.
        raise FinmonError(f"config JSON does not match finmon.config at {path or 'the top level'}: "
                          f"unknown {unknown}, missing {missing}; rebuild the library and package together")
    values = {name: _convert(hints[name], data[name], f"{path}.{name}" if path else name) for name in names}
    return kind(**values)


def _convert(hint: Any, value: Any, path: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, path)
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        return _convert(next(a for a in arguments if a is not type(None)), value, path)
    if origin is tuple:
        return tuple(_convert(arguments[0], item, path) for item in value)
    if origin is Mapping or origin is typing.Mapping:
        return types.MappingProxyType({str(k): _convert(arguments[1], v, f"{path}.{k}") for k, v in value.items()})
    if hint is float:
        return float(value)
    if hint is int:
        return int(value)
    if hint is bool:
        return bool(value)
    if hint is str:
        return str(value)
    raise FinmonError(f"config JSON: no conversion for {path} ({hint})")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# ---- the original design's AlertConfig ----------------------------------------------

_DEFAULT_SEVERITIES: Mapping[str, str] = types.MappingProxyType({
    "high_memory": "critical", "high_cpu": "warning", "diversity_collapse": "warning",
    "champion_staleness": "warning", "low_success_rate": "critical", "orphaned_containers": "warning",
})
_NO_DELAYS: Mapping[str, float] = types.MappingProxyType({name: 0.0 for name in _DEFAULT_SEVERITIES})


@dataclass(frozen=True)
class AlertConfig:
    """Alert thresholds and receivers, flat as in the original design.

    Every value is checked by the library when the object is made, so an invalid one
    raises :class:`~finmon.ConfigError` at once (the message names the YAML key path).

    Example:
        >>> import finmon
        >>> finmon.AlertConfig(memory_threshold_percent=70).cpu_threshold_percent
        90.0
        >>> finmon.AlertConfig(memory_threshold_percent=0)
        Traceback (most recent call last):
        ...
        finmon.errors.ConfigError: AlertConfig:1: alerts.memory_threshold_percent: must be a percentage in (0, 100], got 0
    """

    memory_threshold_percent: float = 80.0
    cpu_threshold_percent: float = 90.0
    diversity_collapse_threshold: float = 0.1
    diversity_collapse_window: int = 5
    champion_staleness_threshold: int = 20
    success_rate_threshold_percent: float = 20.0
    success_rate_window: int = 10
    orphaned_containers_threshold: int = 3
    auto_cleanup: bool = True
    enabled: bool = True
    evaluation_interval_seconds: float = 5.0
    #: JSON-lines alert log; None disables it. Relative paths are taken against the
    #: working directory when the config is applied.
    log_file: str | None = "alerts.jsonl"
    #: Per alert type, "warning" or "critical"; types not given keep their default.
    severities: Mapping[str, str] = field(default_factory=lambda: _DEFAULT_SEVERITIES)
    #: Per alert type, how long its condition must hold before it fires (0: at once);
    #: types not given are 0.
    for_seconds: Mapping[str, float] = field(default_factory=lambda: _NO_DELAYS)
    alertmanager_url: str | None = None
    resend_interval_seconds: float = 60.0
    alertmanager_labels: Mapping[str, str] = field(default_factory=lambda: types.MappingProxyType({}))
    webhook_url: str | None = None

    def __post_init__(self) -> None:
        # Partial tables are completed, as the YAML's are, so equal settings compare equal.
        tables = {"severities": _DEFAULT_SEVERITIES, "for_seconds": _NO_DELAYS, "alertmanager_labels": {}}
        for name, base in tables.items():
            given = getattr(self, name)
            if not isinstance(given, Mapping):
                raise TypeError(f"{name} must be a mapping, got {type(given).__name__}")
            object.__setattr__(self, name, types.MappingProxyType({**base, **given}))
        # Validated by the library's parser, so Python and YAML accept exactly the same values.
        MonitoringConfig.from_text(self.to_text(), "AlertConfig")

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> AlertConfig:
        """The ``alerts`` section of a config file."""
        return MonitoringConfig.from_yaml(path).alert_config()

    @classmethod
    def from_settings(cls, alerts: AlertsSettings) -> AlertConfig:
        """The flat view of a parsed ``alerts`` section."""
        return cls(
            memory_threshold_percent=alerts.memory_threshold_percent,
            cpu_threshold_percent=alerts.cpu_threshold_percent,
            diversity_collapse_threshold=alerts.diversity_collapse.threshold,
            diversity_collapse_window=alerts.diversity_collapse.window,
            champion_staleness_threshold=alerts.champion_staleness.threshold_iterations,
            success_rate_threshold_percent=alerts.success_rate.threshold_percent,
            success_rate_window=alerts.success_rate.window_iterations,
            orphaned_containers_threshold=alerts.orphaned_containers.threshold,
            auto_cleanup=alerts.orphaned_containers.auto_cleanup,
            enabled=alerts.enabled,
            evaluation_interval_seconds=alerts.evaluation_interval_seconds,
            log_file=alerts.log_file,
            severities=alerts.severities,
            for_seconds=alerts.for_seconds,
            alertmanager_url=alerts.alertmanager.url,
            resend_interval_seconds=alerts.alertmanager.resend_interval_seconds,
            alertmanager_labels=alerts.alertmanager.labels,
            webhook_url=alerts.webhook.url,
        )

    def alerts_section(self) -> dict[str, Any]:
        """The ``alerts`` mapping of a config file with these values."""
        return {
            "enabled": self.enabled,
            "evaluation_interval_seconds": self.evaluation_interval_seconds,
            "log_file": self.log_file,
            "memory_threshold_percent": self.memory_threshold_percent,
            "cpu_threshold_percent": self.cpu_threshold_percent,
            "diversity_collapse": {"threshold": self.diversity_collapse_threshold,
                                   "window": self.diversity_collapse_window},
            "champion_staleness": {"threshold_iterations": self.champion_staleness_threshold},
            "success_rate": {"threshold_percent": self.success_rate_threshold_percent,
                             "window_iterations": self.success_rate_window},
            "orphaned_containers": {"threshold": self.orphaned_containers_threshold,
                                    "auto_cleanup": self.auto_cleanup},
            "severities": dict(self.severities),
            "for_seconds": dict(self.for_seconds),
            "alertmanager": {"url": self.alertmanager_url,
                             "resend_interval_seconds": self.resend_interval_seconds,
                             "labels": dict(self.alertmanager_labels)},
            "webhook": {"url": self.webhook_url},
        }

    def to_text(self) -> str:
        """A config text (one line of JSON, read by the library as YAML) with this
        ``alerts`` section and every other section at its defaults."""
        # The loop keeps the one success-rate window the rule reads: they move together.
        loop = {"loop": {"success_window": self.success_rate_window}}
        return json.dumps({"monitoring": loop, "alerts": self.alerts_section()}, allow_nan=True)

    def monitoring_config(self) -> MonitoringConfig:
        """A full :class:`MonitoringConfig` with this ``alerts`` section, other sections default."""
        return MonitoringConfig.from_text(self.to_text(), "AlertConfig")


def setting(config: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a config tree (a :class:`MonitoringConfig`, or any
    object with the same attributes), with an error that names what is missing.

    Example:
        >>> import finmon
        >>> finmon.config.setting(finmon.MonitoringConfig.defaults(), "alerts.diversity_collapse.window")
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
