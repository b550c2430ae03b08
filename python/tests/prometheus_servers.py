"""Real Prometheus and Alertmanager for finmon's integration tests (see ``servers``
for usage and for why Alertmanager's v2 API never lists resolved alerts)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from server_process import ServerAPIError, _HTTPServer, http_json


class PrometheusServer(_HTTPServer):
    """Prometheus scraping ``scrape_targets`` (job ``finmon``) with rules every 1 s.

    ``scrape_targets`` are ``host:port`` strings; ``file_sd_files`` are Prometheus
    file_sd target files (what loops with ``monitoring.prometheus.file_sd_path`` write),
    scraped as the same job. ``rule_files`` are loaded and
    evaluated every second (``global.evaluation_interval: 1s``); firing alerts
    go to ``alertmanager_url`` if given, resent every ``resend_delay``
    (``--rules.alert.resend-delay``, 1 s instead of 1 min) so tests see
    changes quickly. ``extra_args`` are appended to the command line (a flag
    may appear only once). ``scrape_options`` are merged into the job's scrape
    config (``scheme``, ``tls_config``, ``basic_auth`` for an exporter behind TLS). Note: Prometheus applies discovered targets on a
    5 s tick, so the first scrape lands ~5 s after start; wait with
    ``wait_for``.
    """

    name = "Prometheus"
    binary = "prometheus"
    job_name = "finmon"

    def __init__(
        self,
        scrape_targets: Sequence[str],
        scrape_interval: str = "1s",
        rule_files: Sequence[Path] = (),
        alertmanager_url: str | None = None,
        extra_args: Sequence[str] = (),
        *,
        metrics_path: str = "/metrics",
        evaluation_interval: str = "1s",
        resend_delay: str | None = "1s",
        file_sd_files: Sequence[Path] = (),
        scrape_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scrape_targets = list(scrape_targets)
        self.file_sd_files = [Path(p).resolve() for p in file_sd_files]
        self.scrape_interval = scrape_interval
        self.evaluation_interval = evaluation_interval
        self.rule_files = [Path(p).resolve() for p in rule_files]
        self.alertmanager_url = alertmanager_url
        self.extra_args = list(extra_args)
        self.resend_delay = resend_delay
        self.metrics_path = metrics_path
        self.scrape_options = dict(scrape_options or {})
        self.config_path = self.tmpdir / "prometheus.yml"
        self.data_path = self.tmpdir / "data"

    def config(self) -> dict[str, Any]:
        """The generated configuration (written as JSON, which is valid YAML)."""
        config: dict[str, Any] = {
            "global": {
                "scrape_interval": self.scrape_interval,
                "evaluation_interval": self.evaluation_interval,
            },
            "rule_files": [str(p) for p in self.rule_files],
            "scrape_configs": [
                {
                    "job_name": self.job_name,
                    "metrics_path": self.metrics_path,
                    "static_configs": [{"targets": self.scrape_targets}] if self.scrape_targets else [],
                }
            ],
        }
        config["scrape_configs"][0].update(self.scrape_options)
        if self.file_sd_files:
            # Prometheus watches the files' folder; the interval is the fallback re-read.
            config["scrape_configs"][0]["file_sd_configs"] = [
                {"files": [str(p) for p in self.file_sd_files], "refresh_interval": "1s"}]
        if self.alertmanager_url is not None:
            parsed = urllib.parse.urlsplit(self.alertmanager_url)
            if not parsed.scheme or not parsed.netloc:
                raise ValueError(f"alertmanager_url must be http(s)://host:port, got {self.alertmanager_url!r}")
            config["alerting"] = {
                "alertmanagers": [
                    {
                        "scheme": parsed.scheme,
                        "path_prefix": parsed.path or "/",
                        "timeout": "2s",
                        "api_version": "v2",
                        "static_configs": [{"targets": [parsed.netloc]}],
                    }
                ]
            }
        return config

    def _before_start(self) -> None:
        self.config_path.write_text(json.dumps(self.config(), indent=2) + "\n")

    def _command(self) -> list[str]:
        return [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.data_path}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            *([f"--rules.alert.resend-delay={self.resend_delay}"] if self.resend_delay else []),
            *self.extra_args,
        ]

    def _api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        payload = http_json(f"{self.url}{path}{query}")
        if payload.get("status") != "success":
            raise ServerAPIError(f"Prometheus {path}: {payload}")
        return payload["data"]

    def query(self, promql: str) -> list[Any]:
        """Instant query; returns ``data.result`` (for a vector: a list of
        ``{"metric": {...}, "value": [ts, "v"]}``)."""
        return list(self._api("/api/v1/query", query=promql)["result"])

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets (``health``, ``lastError``, ``labels``, ...)."""
        return list(self._api("/api/v1/targets", state="active")["activeTargets"])

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts from ``/api/v1/alerts``."""
        return list(self._api("/api/v1/alerts")["alerts"])

    def rules(self) -> list[dict[str, Any]]:
        """Rule groups from ``/api/v1/rules`` (with health and lastError)."""
        return list(self._api("/api/v1/rules")["groups"])


DEFAULT_ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
  group_by: ["alertname"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"""


class AlertmanagerServer(_HTTPServer):
    """Alertmanager without gossip (``--cluster.listen-address=``).

    ``config_text`` is the YAML config; the default routes everything to one
    receiver named ``null`` (every receiver needs a name) with 1 s grouping.
    The data folder (silences, notification log) survives ``stop()``/``start()``;
    alerts do not, as in production.
    """

    name = "Alertmanager"
    binary = "prometheus-alertmanager"

    def __init__(self, config_text: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config_text = DEFAULT_ALERTMANAGER_CONFIG if config_text is None else config_text
        self.config_path = self.tmpdir / "alertmanager.yml"
        self.data_path = self.tmpdir / "data"

    def _before_start(self) -> None:
        self.config_path.write_text(self.config_text)

    def _command(self) -> list[str]:
        return [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.path={self.data_path}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
        ]

    def alerts(
        self,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
        unprocessed: bool = True,
        filter: Sequence[str] = (),
        receiver: str | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts``: unresolved alerts only (see module docs).

        ``filter`` holds label matchers such as ``'alertname="X"'``.
        """
        params: list[tuple[str, str]] = [
            ("active", str(active).lower()),
            ("silenced", str(silenced).lower()),
            ("inhibited", str(inhibited).lower()),
            ("unprocessed", str(unprocessed).lower()),
        ]
        params += [("filter", f) for f in filter]
        if receiver is not None:
            params.append(("receiver", receiver))
        return list(http_json(f"{self.url}/api/v2/alerts?{urllib.parse.urlencode(params)}"))

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """``POST /api/v2/alerts`` (each alert: ``labels``, optional
        ``annotations``, ``startsAt``, ``endsAt``, ``generatorURL``)."""
        http_json(f"{self.url}/api/v2/alerts", method="POST", body=list(alerts))

    def status(self) -> dict[str, Any]:
        """``GET /api/v2/status`` (config, version info, cluster status)."""
        return dict(http_json(f"{self.url}/api/v2/status"))
