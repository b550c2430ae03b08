"""Real servers for finmon's integration tests: Prometheus, Alertmanager, podman.

Each class starts the real binary (installed by ``scripts/setup.sh``) on a free
loopback port with its own temporary data folder, waits until an HTTP readiness
endpoint answers (with a deadline, never a blind sleep), and stops it by PID
(SIGTERM, then SIGKILL after a deadline). If a server does not come up, the
error carries the tail of its log so the cause is visible in the test report.

Usage (the pytest fixtures in ``conftest.py`` wrap exactly this)::

    with AlertmanagerServer() as am, \\
         PrometheusServer(["127.0.0.1:9101"], alertmanager_url=am.url) as prom:
        prom.wait_for(lambda: prom.query('up{job="finmon"} == 1'))
        am.post_alerts([{"labels": {"alertname": "X"}}])
        assert am.alerts(filter=['alertname="X"'])

    with PodmanService() as engine:
        client = engine.docker_client()
        c = client.containers.run("finlab-sandbox:latest", ["sleep", "30"],
                                  labels={"finlab-sandbox": "true"}, detach=True)

``stop()`` then ``start()`` restarts a server on the same port (and, for
podman, the same socket), for "server down, then back" tests. ``close()`` (or
leaving the ``with`` block) stops it for good and deletes its data folder.

Alertmanager's v2 API (``GET /api/v2/alerts``) never lists resolved alerts: it
drops every alert whose ``endsAt`` is in the past, whatever the
``active``/``silenced``/``inhibited``/``unprocessed`` filters say (those only
select among unresolved alerts). To see that a resolve reached Alertmanager,
wait for the alert to disappear from the list.

The code lives in one module per server: ``server_process`` (the process
lifecycle and HTTP helpers), ``prometheus_servers`` (Prometheus, Alertmanager)
and ``podman_service`` (podman); this module re-exports them so tests import
from one place.
"""

from __future__ import annotations

from podman_service import CONTAINERS_CONF, REPO_ROOT, SANDBOX_IMAGE, SANDBOX_LABEL, PodmanService
from prometheus_servers import DEFAULT_ALERTMANAGER_CONFIG, AlertmanagerServer, PrometheusServer
from server_process import (
    ManagedServer,
    ServerAPIError,
    ServerStartError,
    free_port,
    http_json,
    unix_http_get,
    wait_for,
)

__all__ = [
    "CONTAINERS_CONF",
    "DEFAULT_ALERTMANAGER_CONFIG",
    "REPO_ROOT",
    "SANDBOX_IMAGE",
    "SANDBOX_LABEL",
    "AlertmanagerServer",
    "ManagedServer",
    "PodmanService",
    "PrometheusServer",
    "ServerAPIError",
    "ServerStartError",
    "free_port",
    "http_json",
    "unix_http_get",
    "wait_for",
]
