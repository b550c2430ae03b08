"""A local Prometheus + Alertmanager + alert receiver next to the loop, in one command.

``python -m finmon stack`` starts, on loopback:

- the alert receiver (``finmon.receiver``) at ``127.0.0.1:5001``, where
  ``config/alertmanager.yml`` sends every notification: it prints each alert and appends
  each notification to ``alert_notifications.jsonl`` in the data folder (``--notifications``
  names another file). It starts before Alertmanager and stops after it, so Alertmanager
  never retries against a dead port;
- Alertmanager, with ``alertmanager.yml`` from the config's folder (its receiver URL moved
  to ``--receiver-port`` when that is not 5001), or a minimal built-in config that sends
  everything to the receiver, without gossip (``--cluster.listen-address=``);
- Prometheus at ``grafana.datasource_url`` (the address the dashboard reads), scraping
  finmon's exporter (``monitoring.prometheus.address``/``port``/``metrics_path`` of the
  config, every ``monitoring.prometheus.scrape_interval`` seconds) as job
  ``monitoring.prometheus.job_name`` with the target labels finmon's own alerts carry,
  loading ``alert_rules.yml`` from the config's folder when it is there, keeping
  ``monitoring.export.retention_days`` days of metrics (``--storage.tsdb.retention.time``),
  sending alerts to the Alertmanager above. With ``monitoring.prometheus.file_sd_path`` set
  it scrapes every loop listed in that file_sd file instead (each loop announces itself
  there with its instance, run_id and host labels), so the exporter port may be 0.

It prints their URLs once each answers, and stops them (by PID) on Ctrl-C or SIGTERM,
exiting 0. A server whose binary is not installed is skipped with a message: the loop's
own exporter serves ``/metrics`` without either.

The Prometheus configuration it runs is rendered by ``render_prometheus_config`` with
the ports given on the command line; ``config/prometheus.yml`` is the same rendering for
the default ports, for running Prometheus by hand::

    python -m finmon stack --print-prometheus-config > config/prometheus.yml

Example:
    >>> from finmon.stack import StackSettings, render_prometheus_config
    >>> text = render_prometheus_config(StackSettings(scrape_interval_seconds=10))
    >>> "scrape_interval: 10s" in text
    True
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

from ._prometheus_config import StackSettings, render_prometheus_config
from ._promql import duration
from ._services import Service, StackError, alertmanager_binary, alertmanager_config
from .config import MonitoringConfig
from .receiver import DEFAULT_PORT as RECEIVER_PORT
from .receiver import AlertReceiver

__all__ = [
    "StackError",
    "StackSettings",
    "main",
    "render_prometheus_config",
]

DEFAULT_CONFIG = Path("config") / "monitoring_config.yaml"

_READY_POLL_SECONDS = 0.1


# ---- the command -----------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m finmon stack",
        description="Run a local Prometheus (scraping finmon's exporter), Alertmanager and alert receiver "
                    "until Ctrl-C.")
    parser.add_argument("--config", type=Path, default=None,
                        help=f"monitoring config (default: {DEFAULT_CONFIG} if it exists, else built-in "
                             "defaults); alert_rules.yml and alertmanager.yml are taken from its folder")
    parser.add_argument("--prometheus-port", type=int, default=None,
                        help="Prometheus port on 127.0.0.1 (default: host and port of grafana.datasource_url)")
    parser.add_argument("--alertmanager-port", type=int, default=9093, help="Alertmanager port (default 9093)")
    parser.add_argument("--receiver-port", type=int, default=RECEIVER_PORT,
                        help=f"port of the alert receiver alertmanager.yml names (default {RECEIVER_PORT})")
    parser.add_argument("--notifications", type=Path, default=None,
                        help="file the receiver appends each notification to (default: "
                             "alert_notifications.jsonl in the data folder)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep the servers' data and logs here (default: a temporary folder, "
                             "deleted on exit)")
    parser.add_argument("--startup-timeout", type=float, default=30.0,
                        help="seconds to wait for each server to answer /-/ready (default 30)")
    parser.add_argument("--print-prometheus-config", action="store_true",
                        help="print the Prometheus configuration for these settings (as "
                             "config/prometheus.yml holds it) and exit")
    args = parser.parse_args(argv)
    for option in ("prometheus_port", "alertmanager_port", "receiver_port"):
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

    if settings.exporter_port == 0 and settings.file_sd_path is None:
        print("finmon stack: the exporter port is 0 (picked at start), so Prometheus cannot know it; "
              "set monitoring.prometheus.port", file=err)
        return 2

    prometheus_binary = shutil.which("prometheus")
    alertmanager = alertmanager_binary()
    if prometheus_binary is None:
        print("finmon stack: `prometheus` is not installed; skipping it", file=out, flush=True)
    if alertmanager is None:
        print("finmon stack: `prometheus-alertmanager` / `alertmanager` is not installed; skipping it",
              file=out, flush=True)
    if prometheus_binary is None and alertmanager is None:
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
    services: list[Service] = []
    receiver: AlertReceiver | None = None
    status = 0
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if alertmanager is not None:
            # Before Alertmanager, so its first notification has somewhere to go.
            receiver = _start_receiver(args, data_dir, out)
            services.append(_alertmanager(alertmanager, args, config_dir, data_dir, out))
        if prometheus_binary is not None:
            services.append(_prometheus(prometheus_binary, args, settings, config_dir, data_dir,
                                        alertmanager is not None, out))
        # Alertmanager first, so Prometheus's first notifications have somewhere to go.
        for service in services:
            if not _start(service, args.startup_timeout, stop):
                break
            print(f"{service.name} ready: {service.url}/ (pid {service.pid}, log {service.log_path})",
                  file=out, flush=True)
        if not stop.is_set():
            scraped = settings.scrape_target if settings.file_sd_path is None \
                else f"the loops listed in {os.path.abspath(settings.file_sd_path)}"
            print(f"finmon stack: running; Prometheus scrapes {scraped} every "
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
        # Prometheus first: it sends its last notifications to a still running Alertmanager,
        # which sends its own to a still running receiver.
        for service in reversed(services):
            service.stop()
        if receiver is not None:
            receiver.stop()
        if services:
            print("finmon stack: stopped", file=out, flush=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)
    return status


def _start(service: Service, timeout: float, stop: threading.Event) -> bool:
    """Start ``service`` and wait until it answers; False when a stop was requested meanwhile."""
    service.start()
    deadline = time.monotonic() + timeout
    while not service.ready():
        code = service.exited()
        if code is not None:
            raise StackError(f"{service.name} exited with code {code} during start-up:\n{service.log_tail()}")
        if time.monotonic() >= deadline:
            raise StackError(f"{service.name} did not answer {service.url}/-/ready within "
                             f"{timeout:g} s:\n{service.log_tail()}")
        if stop.wait(_READY_POLL_SECONDS):
            return False
    return True


def _start_receiver(args: argparse.Namespace, data_dir: Path, out: TextIO) -> AlertReceiver:
    path = args.notifications if args.notifications is not None else data_dir / "alert_notifications.jsonl"
    try:
        receiver = AlertReceiver(port=args.receiver_port, path=path, out=out).start()
    except OSError as error:
        raise StackError(f"the alert receiver cannot listen on 127.0.0.1:{args.receiver_port} ({error}); "
                         "free the port or pass --receiver-port") from error
    print(f"Receiver ready: {receiver.url} (appending to {path})", file=out, flush=True)
    return receiver


def _alertmanager(binary: str, args: argparse.Namespace, config_dir: Path | None, data_dir: Path,
                  out: TextIO) -> Service:
    config, note = alertmanager_config(config_dir, data_dir, args.receiver_port)
    print(f"finmon stack: {note}", file=out, flush=True)
    storage = data_dir / "alertmanager"
    storage.mkdir(exist_ok=True)
    command = [binary, f"--config.file={config.resolve()}", f"--storage.path={storage.resolve()}",
               f"--web.listen-address=127.0.0.1:{args.alertmanager_port}",
               "--cluster.listen-address="]  # empty: no gossip port
    return Service("Alertmanager", command, f"127.0.0.1:{args.alertmanager_port}", data_dir / "alertmanager.log")


def _prometheus(binary: str, args: argparse.Namespace, settings: StackSettings, config_dir: Path | None,
                data_dir: Path, with_alertmanager: bool, out: TextIO) -> Service:
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
    return Service("Prometheus", command, listen, data_dir / "prometheus.log")


if __name__ == "__main__":
    sys.exit(main())
