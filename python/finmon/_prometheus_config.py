"""What ``python -m finmon stack`` takes from the monitoring config, and the Prometheus
configuration it renders from it (``config/prometheus.yml`` for the default ports).
Public through ``finmon.stack``; kept apart so each file reads in one sitting.

Example:
    >>> from finmon._prometheus_config import StackSettings, render_prometheus_config
    >>> "job_name: finmon" in render_prometheus_config(StackSettings())
    True
"""

from __future__ import annotations

import math
import os
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any
from urllib.parse import urlsplit

from ._promql import duration
from .config import default, setting

__all__ = ["StackSettings", "render_prometheus_config"]


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}: {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{what} must be a finite number > 0, got {value!r}")
    return number


@dataclass(frozen=True)
class StackSettings:
    """What the stack takes from the monitoring config; defaults are the documented ones.

    Example:
        >>> StackSettings().retention
        '30d'
        >>> StackSettings(exporter_address="0.0.0.0").scrape_target
        '127.0.0.1:8000'
        >>> StackSettings().prometheus_listen_address
        'localhost:9090'
    """

    scrape_interval_seconds: float = default("monitoring.prometheus.scrape_interval")
    evaluation_interval_seconds: float = default("monitoring.alerts.evaluation_interval")
    exporter_address: str = default("monitoring.prometheus.address")
    exporter_port: int = default("monitoring.prometheus.port")
    retention_days: float = default("monitoring.export.retention_days")
    metrics_path: str = default("monitoring.prometheus.metrics_path")
    prometheus_url: str = default("grafana.datasource_url")
    job_name: str = default("monitoring.prometheus.job_name")
    #: The target's ``instance`` label; None: Prometheus names it ``scrape_target``.
    instance: str | None = default("monitoring.prometheus.instance")
    #: ``monitoring.alerts.alertmanager.labels``: on the target, so Prometheus' alerts carry
    #: them as finmon's own do.
    target_labels: Mapping[str, str] = field(default_factory=lambda: types.MappingProxyType({}))
    #: ``monitoring.prometheus.file_sd_path``: the file_sd target file the loops announce
    #: themselves in; when set, Prometheus scrapes what it lists instead of one static target.
    file_sd_path: str | None = default("monitoring.prometheus.file_sd_path")

    def __post_init__(self) -> None:
        if not isinstance(self.job_name, str) or not self.job_name:
            raise ValueError(f"job_name must be a non-empty string, got {self.job_name!r}")
        if self.instance is not None and (not isinstance(self.instance, str) or not self.instance):
            raise ValueError(f"instance must be a non-empty string or None, got {self.instance!r}")
        if self.file_sd_path is not None and (not isinstance(self.file_sd_path, str) or not self.file_sd_path):
            raise ValueError(f"file_sd_path must be a non-empty string or None, got {self.file_sd_path!r}")
        if not isinstance(self.target_labels, Mapping):
            raise TypeError(f"target_labels must be a mapping, got {type(self.target_labels).__name__}")
        object.__setattr__(self, "target_labels", types.MappingProxyType(dict(self.target_labels)))
        _number(self.scrape_interval_seconds, "scrape_interval_seconds")
        _number(self.evaluation_interval_seconds, "evaluation_interval_seconds")
        _number(self.retention_days, "retention_days")
        if isinstance(self.exporter_port, bool) or not isinstance(self.exporter_port, int) \
                or not 0 <= self.exporter_port <= 65535:
            raise ValueError(f"exporter_port must be an int in 0...65535, got {self.exporter_port!r}")
        if not isinstance(self.exporter_address, str):
            raise TypeError(f"exporter_address must be a string, got {self.exporter_address!r}")
        if not isinstance(self.metrics_path, str) or not self.metrics_path.startswith("/"):
            raise ValueError(f"metrics_path must start with /, got {self.metrics_path!r}")
        url = urlsplit(self.prometheus_url) if isinstance(self.prometheus_url, str) else None
        if url is None or url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"prometheus_url must be an http:// URL with a host, got {self.prometheus_url!r}")

    @classmethod
    def from_config(cls, cfg: Any) -> StackSettings:
        """Read the settings from a ``finmon.MonitoringConfig`` (duck-typed).

        Example:
            >>> from types import SimpleNamespace as NS
            >>> cfg = NS(monitoring=NS(prometheus=NS(scrape_interval=2, address="127.0.0.1", port=9100,
            ...                                      metrics_path="/metrics", job_name="finmon", instance=None,
            ...                                      file_sd_path=None),
            ...                        alerts=NS(evaluation_interval=1, alertmanager=NS(labels={})),
            ...                        export=NS(retention_days=7)),
            ...          grafana=NS(datasource_url="http://127.0.0.1:9091"))
            >>> StackSettings.from_config(cfg).scrape_target
            '127.0.0.1:9100'
        """

        def read(path: str) -> Any:
            return setting(cfg, path)

        return cls(
            scrape_interval_seconds=read("monitoring.prometheus.scrape_interval"),
            evaluation_interval_seconds=read("monitoring.alerts.evaluation_interval"),
            exporter_address=read("monitoring.prometheus.address"),
            exporter_port=read("monitoring.prometheus.port"),
            retention_days=read("monitoring.export.retention_days"),
            metrics_path=read("monitoring.prometheus.metrics_path"),
            prometheus_url=read("grafana.datasource_url"),
            job_name=read("monitoring.prometheus.job_name"),
            instance=read("monitoring.prometheus.instance"),
            target_labels=read("monitoring.alerts.alertmanager.labels"),
            file_sd_path=read("monitoring.prometheus.file_sd_path"),
        )

    @property
    def labels(self) -> dict[str, str]:
        """The labels the generated config sets on the target: ``target_labels``, and
        ``instance`` when the config names one.

        Example:
            >>> StackSettings(instance="loop-a", target_labels={"env": "prod"}).labels
            {'env': 'prod', 'instance': 'loop-a'}
        """
        labels = dict(self.target_labels)
        if self.instance is not None:
            labels["instance"] = self.instance
        return labels

    @property
    def scrape_target(self) -> str:
        """``host:port`` Prometheus scrapes: a wildcard listen address is reached on loopback
        (the Swift core's ``ScrapeTarget.address``, which names finmon's own alerts alike)."""
        host = self.exporter_address
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.exporter_port}"

    @property
    def prometheus_listen_address(self) -> str:
        """``host:port`` Prometheus listens on: the host and port of ``prometheus_url``
        (port 9090 when it names none)."""
        url = urlsplit(self.prometheus_url)
        host = url.hostname or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{url.port or 9090}"

    @property
    def retention(self) -> str:
        """``--storage.tsdb.retention.time`` value: ``15d``, or hours for a fraction of a day."""
        days = float(self.retention_days)
        if days.is_integer():
            return f"{int(days)}d"
        return duration(days * 86400)


def render_prometheus_config(
    settings: StackSettings,
    *,
    rule_files: Sequence[str] = ("alert_rules.yml",),
    alertmanager: str | None = "127.0.0.1:9093",
) -> str:
    """Prometheus's YAML configuration for finmon (job ``finmon``).

    ``rule_files`` are paths as Prometheus reads them: relative ones resolve against the
    folder of the configuration file. ``alertmanager`` is ``host:port``, or None for no
    alerting section.

    Example:
        >>> print(render_prometheus_config(StackSettings(), alertmanager=None).splitlines()[-1])
              - targets: ["127.0.0.1:8000"]
    """
    scrape = duration(float(settings.scrape_interval_seconds))
    evaluation = duration(float(settings.evaluation_interval_seconds))
    lines = [
        "# Prometheus configuration for finmon, rendered from monitoring_config.yaml by",
        "# finmon.stack (`python -m finmon stack --print-prometheus-config`); `python -m finmon stack`",
        "# runs the same configuration with the ports it is given.",
        "#",
        "# By hand, from the repository root (rule_files resolve relative to this file's folder;",
        "# the retention is monitoring.export.retention_days):",
        "#   prometheus --config.file=config/prometheus.yml --storage.tsdb.path=data/prometheus \\",
        f"#     --storage.tsdb.retention.time={settings.retention}",
        "global:",
        f"  scrape_interval: {scrape}",
        f"  evaluation_interval: {evaluation}",
    ]
    if rule_files:
        lines.append("rule_files:")
        lines += [f"  - {_yaml_string(path)}" for path in rule_files]
    if alertmanager is not None:
        lines += [
            "alerting:",
            "  alertmanagers:",
            "    - api_version: v2",
            "      static_configs:",
            f"        - targets: [{_yaml_string(alertmanager, force=True)}]",
        ]
    lines += [
        "scrape_configs:",
        "  # finmon's own alerts carry this job and the target's instance (address:port, or the",
        "  # instance label below), so Alertmanager merges them with the rules' alerts.",
        f"  - job_name: {_yaml_string(settings.job_name)}",
        f"    scrape_interval: {scrape}",
        f"    metrics_path: {_yaml_string(settings.metrics_path)}",
    ]
    if settings.file_sd_path is not None:
        # Each loop writes its own entry (instance, run_id, host and the alert labels), so
        # the file carries the labels; an absolute path, as the loops resolve theirs from
        # their working folder and Prometheus would resolve a relative one from this file's.
        lines += [
            "    # Every loop announces itself in this file (monitoring.prometheus.file_sd_path),",
            "    # with its instance, run_id and host labels, and removes itself at a clean stop.",
            "    file_sd_configs:",
            f"      - files: [{_yaml_string(os.path.abspath(settings.file_sd_path), force=True)}]",
            "        refresh_interval: 5s",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        "    static_configs:",
        f"      - targets: [{_yaml_string(settings.scrape_target, force=True)}]",
    ]
    if settings.labels:
        pairs = ", ".join(f"{name}: {_yaml_string(value, force=True)}" for name, value in sorted(settings.labels.items()))
        lines.append(f"        labels: {{{pairs}}}")
    return "\n".join(lines) + "\n"


def _yaml_string(text: str, force: bool = False) -> str:
    """A YAML scalar for a path or address; double-quoted (JSON-style) when it could be
    read as something else."""
    plain = text and all(c.isalnum() or c in "._/-" for c in text) and not text[0] in "-."
    if plain and not force:
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
