"""The exporter behind TLS and basic auth from an exporter-toolkit web config: a real
Prometheus scrapes it over https with credentials; everything served needs them; plain
HTTP to the TLS port gets no answer; a bad certificate or hash is a ConfigError naming
the key. Certificates come from openssl and hashes from bcrypt, made per test."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import subprocess
import sys
import textwrap
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest
from server_process import wait_for
from servers import PrometheusServer

import finmon
from finmon.errors import ConfigError

USER, PASSWORD = "prometheus", "scrape-secret"


@dataclass
class WebFiles:
    folder: Path
    ca: Path
    web_config: Path


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


@pytest.fixture
def web_files(tmp_path: Path) -> WebFiles:
    """A CA, a server certificate it signed for 127.0.0.1, and a web config naming them by
    paths relative to its own folder (as exporter-toolkit resolves them)."""
    tls = tmp_path / "tls"
    tls.mkdir()
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
             "-subj", "/CN=finmon test CA", "-keyout", tls / "ca.key", "-out", tls / "ca.crt")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-subj", "/CN=127.0.0.1", "-keyout", tls / "server.key", "-out", tls / "server.csr")
    (tls / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", tls / "server.csr", "-CA", tls / "ca.crt", "-CAkey", tls / "ca.key",
             "-CAcreateserial", "-days", "1", "-extfile", tls / "san.ext", "-out", tls / "server.crt")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(10)).decode()
    web = tmp_path / "web.yml"
    web.write_text(textwrap.dedent(f"""\
        tls_server_config:
          cert_file: tls/server.crt
          key_file: tls/server.key
        basic_auth_users:
          {USER}: '{hashed}'
        """))
    return WebFiles(tmp_path, tls / "ca.crt", web)


def _get(port: int, path: str, ca: Path, credentials: tuple[str, str] | None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                             context=ssl.create_default_context(cafile=str(ca)))
    headers = {}
    if credentials:
        headers["Authorization"] = "Basic " + b64encode(":".join(credentials).encode()).decode()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _rejected(collector: finmon.MetricsCollector, reason: str) -> float:
    return collector.get_sample_value("finmon_exporter_connections_rejected_total", {"reason": reason}) or 0.0


def test_prometheus_scrapes_over_tls_with_basic_auth(web_files: WebFiles,
                                                     prometheus_factory: Callable[..., PrometheusServer]) -> None:
    with finmon.MetricsCollector() as collector:
        port = collector.start_http_server(port=0, web_config_file=web_files.web_config)
        assert port
        collector.population_diversity.set(0.3131)
        prometheus = prometheus_factory([f"127.0.0.1:{port}"], scrape_interval="1s", scrape_options={
            "scheme": "https", "tls_config": {"ca_file": str(web_files.ca)},
            "basic_auth": {"username": USER, "password": PASSWORD}})

        def up() -> list:
            return [r for r in prometheus.query('up{job="finmon"}') if r["value"][1] == "1"]

        prometheus.wait_for(up, timeout=30, message="the https target up == 1")
        diversity = prometheus.wait_for(lambda: prometheus.query("population_diversity"), timeout=30,
                                        message="population_diversity in Prometheus over https")
        assert float(diversity[0]["value"][1]) == 0.3131
        [target] = [t for t in prometheus.targets() if t["labels"].get("job") == "finmon"]
        assert target["scrapeUrl"].startswith("https://") and not target["lastError"]


def test_every_path_needs_the_credentials(web_files: WebFiles) -> None:
    with finmon.MetricsCollector() as collector:
        port = collector.start_http_server(port=0, web_config_file=web_files.web_config)
        assert port
        for path in ("/metrics", "/", "/api/history", "/healthz"):
            status, headers, _ = _get(port, path, web_files.ca, None)
            assert status == 401, path
            assert headers["www-authenticate"].startswith("Basic"), path
            status, headers, _ = _get(port, path, web_files.ca, (USER, "wrong-password"))
            assert status == 401, path
            status, headers, body = _get(port, path, web_files.ca, (USER, PASSWORD))
            assert status == 200, path
        assert b"finmon_exporter_connections_rejected_total" in _get(port, "/metrics", web_files.ca,
                                                                     (USER, PASSWORD))[2]
        status, _, _ = _get(port, "/metrics", web_files.ca, ("someone-else", PASSWORD))
        assert status == 401
        assert _rejected(collector, "unauthorized") == 9.0


def test_a_wrong_password_in_prometheus_marks_the_target_down(
        web_files: WebFiles, prometheus_factory: Callable[..., PrometheusServer]) -> None:
    with finmon.MetricsCollector() as collector:
        port = collector.start_http_server(port=0, web_config_file=web_files.web_config)
        prometheus = prometheus_factory([f"127.0.0.1:{port}"], scrape_interval="1s", scrape_options={
            "scheme": "https", "tls_config": {"ca_file": str(web_files.ca)},
            "basic_auth": {"username": USER, "password": "not-the-password"}})

        def refused() -> list:
            return [t for t in prometheus.targets()
                    if t["labels"].get("job") == "finmon" and "401" in (t.get("lastError") or "")]

        [target] = prometheus.wait_for(refused, timeout=30, message="the target's last error is a 401")
        assert target["health"] == "down"
        assert _rejected(collector, "unauthorized") >= 1


def test_plain_http_to_the_tls_port_gets_no_http_answer(web_files: WebFiles) -> None:
    with finmon.MetricsCollector() as collector:
        port = collector.start_http_server(port=0, web_config_file=web_files.web_config)
        assert port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
            plain.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            while chunk := plain.recv(4096):  # until the exporter closes the connection
                received += chunk
        assert not received.startswith(b"HTTP/")
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/metrics")
            connection.getresponse()
        wait_for(lambda: _rejected(collector, "tls_handshake") >= 2, timeout=10, message="both failed handshakes counted")


def test_a_missing_certificate_or_a_bad_hash_is_a_config_error(web_files: WebFiles) -> None:
    collector = finmon.MetricsCollector()
    try:
        missing = web_files.folder / "missing.yml"
        missing.write_text("tls_server_config:\n  cert_file: tls/nowhere.crt\n  key_file: tls/server.key\n")
        with pytest.raises(ConfigError) as error:
            collector.start_http_server(port=0, web_config_file=missing)
        assert error.value.key_path == "tls_server_config.cert_file"
        assert error.value.file == str(missing) and "nowhere.crt" in str(error.value)
        (web_files.folder / "bad.crt").write_text("not a certificate\n")
        invalid = web_files.folder / "invalid.yml"
        invalid.write_text("tls_server_config: {cert_file: bad.crt, key_file: tls/server.key}\n")
        with pytest.raises(ConfigError) as error:
            collector.start_http_server(port=0, web_config_file=invalid)
        assert error.value.key_path == "tls_server_config.cert_file" and "no PEM certificate" in str(error.value)
        plain_password = web_files.folder / "hash.yml"
        plain_password.write_text("basic_auth_users:\n  alice: hunter2\n")
        with pytest.raises(ConfigError) as error:
            collector.start_http_server(port=0, web_config_file=plain_password)
        assert error.value.key_path == "basic_auth_users.alice" and error.value.line == 2
        assert collector.exporter_port is None  # nothing listens after a refused config
    finally:
        collector.close()


def test_the_config_key_puts_the_runtimes_exporter_behind_tls(web_files: WebFiles, tmp_path: Path) -> None:
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(f"monitoring:\n  prometheus:\n    web_config_file: '{web_files.web_config}'\n")
    runtime = finmon.start(config, port=0, final_export=False, enable_containers=False)
    try:
        assert runtime.port
        assert _get(runtime.port, "/metrics", web_files.ca, None)[0] == 401
        assert _get(runtime.port, "/metrics", web_files.ca, (USER, PASSWORD))[0] == 200
    finally:
        runtime.stop()
    broken = tmp_path / "broken.yml"
    broken.write_text(f"monitoring:\n  prometheus:\n    web_config_file: '{tmp_path / 'absent.yml'}'\n")
    with pytest.raises(ConfigError) as error:
        finmon.start(broken, port=0, final_export=False, enable_containers=False)
    assert "absent.yml" in str(error.value)


def test_a_library_built_without_tls_refuses_a_web_config(web_files: WebFiles) -> None:
    library = os.environ.get("FINMON_NOTLS_LIB")
    if not library:
        pytest.fail("FINMON_NOTLS_LIB is not set: scripts/test.sh builds the default (no TLS) library and sets it")
    program = textwrap.dedent(f"""\
        import finmon
        from finmon.errors import ConfigError
        collector = finmon.MetricsCollector()
        try:
            collector.start_http_server(port=0, web_config_file={str(web_files.web_config)!r})
        except ConfigError as error:
            print("refused:", error, "| port:", collector.exporter_port)
        """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "FINMON_LIB": library})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused:") and "built without TLS" in result.stdout
    assert result.stdout.rstrip().endswith("port: None")
