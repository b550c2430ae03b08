"""A small Alertmanager webhook receiver: prints each notification and appends it to a file.

``config/alertmanager.yml`` routes every alert to ``http://127.0.0.1:5001/alerts``, and
``python -m finmon stack`` runs this receiver there before it starts Alertmanager (and
stops it after), so notifications reach a terminal and a file out of the box and
Alertmanager never retries against a dead port. It also runs on its own::

    python -m finmon receiver --port 5001 --file alert_notifications.jsonl

Each notification (Alertmanager's webhook payload: ``receiver``, ``status``, ``alerts``,
``groupLabels``...) is appended to the file as one line of JSON, and each of its alerts is
printed on one line::

    2026-11-29T13:45:12Z FIRING high_memory critical 127.0.0.1:8000 - Memory usage 85.0% is above 80%

Example:
    >>> import io, json, urllib.request
    >>> from finmon.receiver import AlertReceiver
    >>> out = io.StringIO()
    >>> with AlertReceiver(port=0, path=None, out=out) as receiver:
    ...     body = json.dumps({"status": "firing", "alerts": [{"status": "firing",
    ...         "labels": {"alertname": "high_cpu", "severity": "warning", "instance": "loop-a"},
    ...         "annotations": {"description": "CPU usage 97% is above 90%"}}]}).encode()
    ...     urllib.request.urlopen(urllib.request.Request(receiver.url, data=body)).status
    ...     len(receiver.notifications())
    200
    1
    >>> out.getvalue().split(" ", 1)[1]
    'FIRING high_cpu warning loop-a - CPU usage 97% is above 90%\\n'
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

__all__ = ["DEFAULT_PORT", "AlertReceiver", "main"]

#: The port config/alertmanager.yml's receiver URL names.
DEFAULT_PORT = 5001
#: Notifications larger than this are refused (413): Alertmanager's are a few kB.
MAX_BODY_BYTES = 4 * 1024 * 1024
#: Notifications kept in memory for ``notifications()``; the file keeps every one.
KEPT = 1000


class AlertReceiver:
    """An HTTP server on ``host:port`` that takes Alertmanager's webhook POSTs (any path).

    ``path`` is the JSON-lines file each notification is appended to (None: none); ``out``
    is where the one-line summaries go. ``port=0`` picks a free port (see ``port``).
    ``start`` raises ``OSError`` when the port is taken.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 path: str | os.PathLike[str] | None = "alert_notifications.jsonl", out: TextIO | None = None) -> None:
        self.host = host
        self.requested_port = port
        self.path = None if path is None else Path(path)
        self.out = sys.stdout if out is None else out
        self._lock = threading.Lock()
        self._received: list[dict[str, Any]] = []
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the requested one until ``start``)."""
        return int(self._server.server_address[1]) if self._server is not None else self.requested_port

    @property
    def url(self) -> str:
        """The URL Alertmanager's ``webhook_configs`` should name."""
        return f"http://{self.host}:{self.port}/alerts"

    def start(self) -> AlertReceiver:
        """Bind and serve on a thread of its own; returns self."""
        if self._server is not None:
            return self
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self._answer(413)
                    return
                try:
                    payload = json.loads(self.rfile.read(length))
                    if not isinstance(payload, dict):
                        raise ValueError("not a JSON object")
                except ValueError:
                    self._answer(400)
                    return
                receiver._take(payload)
                self._answer(200)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- quiet
                pass

        self._server = http.server.ThreadingHTTPServer((self.host, self.requested_port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="finmon-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; returns once the server thread ended."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def notifications(self) -> list[dict[str, Any]]:
        """The notifications received so far (the newest ``KEPT``), oldest first."""
        with self._lock:
            return list(self._received)

    def _take(self, payload: dict[str, Any]) -> None:
        lines = [self.summary(alert) for alert in payload.get("alerts") or [] if isinstance(alert, dict)]
        with self._lock:
            self._received.append(payload)
            del self._received[:-KEPT]
            if self.path is not None:
                with open(self.path, "a", encoding="utf-8") as file:
                    file.write(json.dumps(payload, sort_keys=True) + "\n")
            for line in lines:
                self.out.write(line + "\n")
            self.out.flush()

    @staticmethod
    def summary(alert: dict[str, Any]) -> str:
        """One line for one alert of a notification: time, status, name, severity,
        instance and description."""
        labels = alert.get("labels") or {}
        annotations = alert.get("annotations") or {}
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        text = annotations.get("description") or annotations.get("summary") or ""
        fields = [stamp, str(alert.get("status", "?")).upper(), labels.get("alertname", "?"),
                  labels.get("severity", "-"), labels.get("instance", "-")]
        return " ".join(fields) + (f" - {text}" if text else "")

    def __enter__(self) -> AlertReceiver:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m finmon receiver [--port P] [--file F]``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m finmon receiver",
        description="Receive Alertmanager's webhook notifications: print each alert, append each "
                    "notification to a JSON-lines file.")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--file", default="alert_notifications.jsonl",
                        help="JSON-lines file notifications are appended to (default alert_notifications.jsonl)")
    args = parser.parse_args(argv)
    try:
        receiver = AlertReceiver(args.host, args.port, args.file).start()
    except OSError as error:
        print(f"finmon receiver: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(f"finmon receiver: {receiver.url}, appending to {args.file}. Ctrl-C stops it.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
