"""A local Prometheus + Alertmanager next to the loop, in one command.

``python -m finmon stack`` (for now ``python -m finmon.stack``) starts, on loopback:

- Prometheus at ``grafana.datasource_url`` (the address the dashboard reads), scraping
  finmon's exporter (``monitoring.prometheus.address``/``port``/``metrics_path`` of the
  config, every ``monitoring.prometheus.scrape_interval`` seconds), loading
  ``alert_rules.yml`` from the config's folder when it is there, keeping
  ``monitoring.export.retention_days`` days of metrics (``--storage.tsdb.retention.time``),
  sending alerts to the Alertmanager below;
- Alertmanager, with ``alertmanager.yml`` from the config's folder, or a minimal
  built-in config (one ``null`` receiver), without gossip (``--cluster.listen-address=``).

It prints their URLs once both answer ``/-/ready``, and stops them (by PID) on Ctrl-C or
SIGTERM, exiting 0. A server whose binary is not installed is skipped with a message:
the loop's own exporter serves ``/metrics`` without either.

The Prometheus configuration it runs is rendered by ``render_prometheus_config`` with
the ports given on the command line; ``config/prometheus.yml`` is the same rendering for
the default ports, for running Prometheus by hand::

    python -m finmon.stack --print-prometheus-config > config/prometheus.yml

Example:
    >>> from finmon.stack import StackSettings, render_prometheus_config
    >>> text = render_prometheus_config(StackSettings(scrape_interval_seconds=10))
    >>> "scrape_interval: 10s" in text
    True
"""

from __future__ import annotations

import argparse
import http.client
import math
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from urllib.parse import urlsplit
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from ._promql import duration
from .config import MonitoringConfig, default, setting

__all__ = [
    "DEFAULT_ALERTMANAGER_CONFIG",
    "StackSettings",
    "main",
    "render_prometheus_config",
]

DEFAULT_CONFIG = Path("config") / "monitoring_config.yaml"

#: Used when the config folder has no alertmanager.yml: every alert goes to a receiver
#: that does nothing (Alertmanager requires at least one, with a name). Alerts are still
#: listed in its UI and API.
DEFAULT_ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
  group_by: ["alertname"]
receivers:
  - name: "null"
"""

_READY_POLL_SECONDS = 0.1
_STOP_TIMEOUT_SECONDS = 10.0


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

    def __post_init__(self) -> None:
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
            ...                                      metrics_path="/metrics"),
            ...                        alerts=NS(evaluation_interval=1), export=NS(retention_days=7)),
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
        )

    @property
    def scrape_target(self) -> str:
        """``host:port`` Prometheus scrapes: a wildcard listen address is reached on loopback."""
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
        "# finmon.stack (`python -m finmon.stack --print-prometheus-config`); `python -m finmon.stack`",
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
        "  - job_name: finmon",
        f"    scrape_interval: {scrape}",
        f"    metrics_path: {_yaml_string(settings.metrics_path)}",
        "    static_configs:",
        f"      - targets: [{_yaml_string(settings.scrape_target, force=True)}]",
    ]
    return "\n".join(lines) + "\n"


def _yaml_string(text: str, force: bool = False) -> str:
    """A YAML scalar for a path or address; double-quoted (JSON-style) when it could be
    read as something else."""
    plain = text and all(c.isalnum() or c in "._/-" for c in text) and not text[0] in "-."
    if plain and not force:
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# ---- running the servers --------------------------------------------------------------


class StackError(RuntimeError):
    """A server did not start; the message carries the tail of its log."""


class _Service:
    """One server process: started in its own session (a terminal Ctrl-C reaches the
    stack, which stops it in order), logging to a file, stopped by PID."""

    def __init__(self, name: str, command: list[str], address: str, log_path: Path) -> None:
        self.name = name
        self.command = command
        self.url = f"http://{address}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"--- starting: {' '.join(self.command)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def exited(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1.0) as response:
                return bool(response.status == 200)
        except (OSError, http.client.HTTPException):
            return False

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after a deadline; returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=_STOP_TIMEOUT_SECONDS)
        return proc.returncode


def _alertmanager_binary() -> str | None:
    # Debian names it prometheus-alertmanager; upstream's tarball, alertmanager.
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m finmon stack",
        description="Run a local Prometheus (scraping finmon's exporter) and Alertmanager until Ctrl-C.")
    parser.add_argument("--config", type=Path, default=None,
                        help=f"monitoring config (default: {DEFAULT_CONFIG} if it exists, else built-in "
                             "defaults); alert_rules.yml and alertmanager.yml are taken from its folder")
    parser.add_argument("--prometheus-port", type=int, default=None,
                        help="Prometheus port on 127.0.0.1 (default: host and port of grafana.datasource_url)")
    parser.add_argument("--alertmanager-port", type=int, default=9093, help="Alertmanager port (default 9093)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep the servers' data and logs here (default: a temporary folder, "
                             "deleted on exit)")
    parser.add_argument("--startup-timeout", type=float, default=30.0,
                        help="seconds to wait for each server to answer /-/ready (default 30)")
    parser.add_argument("--print-prometheus-config", action="store_true",
                        help="print the Prometheus configuration for these settings (as "
                             "config/prometheus.yml holds it) and exit")
    args = parser.parse_args(argv)
    for option in ("prometheus_port", "alertmanager_port"):
        if getattr(args, option) is not None and not 1 <= getattr(args, option) <= 65535:
            parser.error(f"--{option.replace('_', '-')} must be in 1...65535")
    if not (math.isfinite(args.startup_timeout) and args.startup_timeout > 0):
        parser.error("--startup-timeout must be a number > 0")
    return args


def _settings(args: argparse.Namespace, err: TextIO) -> tuple[StackSettings, Path | None]:
    """The settings and the config folder (None: no config file)."""
    path: Path | None = args.config
    if path is None:
        if not DEFAULT_CONFIG.is_file():
            print(f"finmon stack: no {DEFAULT_CONFIG} here; using the built-in defaults", file=err)
            return StackSettings(), None
        path = DEFAULT_CONFIG
    if not path.is_file():
        raise StackError(f"config file {path} not found")
    try:
        cfg = MonitoringConfig.from_yaml(path)
    except (OSError, ValueError) as error:  # ConfigError is a ValueError
        raise StackError(str(error)) from error
    try:
        return StackSettings.from_config(cfg), path.parent
    except (TypeError, ValueError) as error:
        raise StackError(f"{path}: {error}") from error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stack until Ctrl-C / SIGTERM; returns the exit status (0 after a stop
    request, 1 when a server fails, 2 for a bad config or arguments).

    Example (a missing config file is an error, reported on standard error):
        >>> main(["--config", "/nonexistent.yaml"])
        2
    """
    args = _parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        settings, config_dir = _settings(args, err)
    except StackError as error:
        print(f"finmon stack: {error}", file=err)
        return 2

    if args.print_prometheus_config:
        out.write(render_prometheus_config(settings, alertmanager=f"127.0.0.1:{args.alertmanager_port}"))
        return 0

    if settings.exporter_port == 0:
        print("finmon stack: the exporter port is 0 (picked at start), so Prometheus cannot know it; "
              "set monitoring.prometheus.port", file=err)
        return 2

    prometheus_binary = shutil.which("prometheus")
    alertmanager_binary = _alertmanager_binary()
    if prometheus_binary is None:
        print("finmon stack: `prometheus` is not installed; skipping it", file=out, flush=True)
    if alertmanager_binary is None:
        print("finmon stack: `prometheus-alertmanager` / `alertmanager` is not installed; skipping it",
              file=out, flush=True)
    if prometheus_binary is None and alertmanager_binary is None:
        print(f"finmon stack: nothing to run; the loop's exporter still serves "
              f"http://{settings.scrape_target}/metrics", file=out, flush=True)
        return 1

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = ({s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
                if in_main_thread else {})

    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="finmon-stack-")) if temporary else args.data_dir
    services: list[_Service] = []
    status = 0
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if alertmanager_binary is not None:
            services.append(_alertmanager(alertmanager_binary, args, config_dir, data_dir, out))
        if prometheus_binary is not None:
            services.append(_prometheus(prometheus_binary, args, settings, config_dir, data_dir,
                                        alertmanager_binary is not None, out))
        # Alertmanager first, so Prometheus's first notifications have somewhere to go.
        for service in services:
            service.start()
            deadline = time.monotonic() + args.startup_timeout
            while not service.ready():
                code = service.exited()
                if code is not None:
                    raise StackError(f"{service.name} exited with code {code} during start-up:\n"
                                     f"{service.log_tail()}")
                if time.monotonic() >= deadline:
                    raise StackError(f"{service.name} did not answer {service.url}/-/ready within "
                                     f"{args.startup_timeout:g} s:\n{service.log_tail()}")
                if stop.wait(_READY_POLL_SECONDS):
                    break
            if stop.is_set():
                break
            print(f"{service.name} ready: {service.url}/ (pid {service.pid}, log {service.log_path})",
                  file=out, flush=True)
        if not stop.is_set():
            print(f"finmon stack: running; Prometheus scrapes {settings.scrape_target} every "
                  f"{duration(float(settings.scrape_interval_seconds))}. Ctrl-C stops it.",
                  file=out, flush=True)
        while not stop.wait(0.2):
            for service in services:
                code = service.exited()
                if code is not None:
                    raise StackError(f"{service.name} exited with code {code}:\n{service.log_tail()}")
    except StackError as error:
        print(f"finmon stack: {error}", file=err, flush=True)
        status = 1
    finally:
        # Prometheus first: it sends its last notifications to a still running Alertmanager.
        for service in reversed(services):
            service.stop()
        if services:
            print("finmon stack: stopped", file=out, flush=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)
    return status


def _alertmanager(binary: str, args: argparse.Namespace, config_dir: Path | None, data_dir: Path,
                  out: TextIO) -> _Service:
    config = config_dir / "alertmanager.yml" if config_dir is not None else None
    if config is None or not config.is_file():
        config = data_dir / "alertmanager.yml"
        config.write_text(DEFAULT_ALERTMANAGER_CONFIG)
        print("finmon stack: no alertmanager.yml next to the config; Alertmanager routes alerts to a "
              "`null` receiver", file=out, flush=True)
    storage = data_dir / "alertmanager"
    storage.mkdir(exist_ok=True)
    command = [binary, f"--config.file={config.resolve()}", f"--storage.path={storage.resolve()}",
               f"--web.listen-address=127.0.0.1:{args.alertmanager_port}",
               "--cluster.listen-address="]  # empty: no gossip port
    return _Service("Alertmanager", command, f"127.0.0.1:{args.alertmanager_port}", data_dir / "alertmanager.log")


def _prometheus(binary: str, args: argparse.Namespace, settings: StackSettings, config_dir: Path | None,
                data_dir: Path, with_alertmanager: bool, out: TextIO) -> _Service:
    rules = config_dir / "alert_rules.yml" if config_dir is not None else None
    rule_files: tuple[str, ...] = ()
    if rules is not None and rules.is_file():
        rule_files = (str(rules.resolve()),)
    else:
        print("finmon stack: no alert_rules.yml next to the config; Prometheus runs without alert rules",
              file=out, flush=True)
    listen = settings.prometheus_listen_address if args.prometheus_port is None \
        else f"127.0.0.1:{args.prometheus_port}"
    config = data_dir / "prometheus.yml"
    config.write_text(render_prometheus_config(
        settings, rule_files=rule_files,
        alertmanager=f"127.0.0.1:{args.alertmanager_port}" if with_alertmanager else None))
    storage = data_dir / "prometheus"
    storage.mkdir(exist_ok=True)
    command = [binary, f"--config.file={config.resolve()}", f"--storage.tsdb.path={storage.resolve()}",
               f"--storage.tsdb.retention.time={settings.retention}",
               f"--web.listen-address={listen}"]
    return _Service("Prometheus", command, listen, data_dir / "prometheus.log")


if __name__ == "__main__":
    sys.exit(main())
