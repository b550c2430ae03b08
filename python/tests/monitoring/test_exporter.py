"""The exporter over real HTTP: formats, gzip, keep-alive, promtool, degraded mode, restarts."""

from __future__ import annotations

import gzip
import http.client
import logging
import socket
import subprocess

import pytest
from scrape import get, samples, wait_for

import finmon


def test_scrape_parses_with_prometheus_client(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0)
    assert port is not None and port > 0
    assert collector.exporter_port == port
    collector.population_diversity.set(0.4)
    collector.container_memory_usage.labels(container_id="abc").set(1e6)
    status, headers, _ = get(port)
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    scraped = samples(port)
    assert scraped[("population_diversity", ())] == 0.4
    assert scraped[("container_memory_usage_bytes", (("container_id", "abc"),))] == 1e6


def test_promtool_accepts_the_exposition(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0)
    assert port
    collector.execution_time.observe(2.0)
    collector.alerts_triggered.labels(alert_type="high_memory").inc()
    collector.container_cpu_usage.labels(container_id='we"ird\\id').set(12.5)
    _, _, body = get(port)
    result = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    problems = [line for line in (result.stdout + result.stderr).decode().splitlines() if line.strip()]
    # The one name kept from the original design despite promtool's advice (see README).
    assert problems == [
        'unique_strategy_count non-histogram and non-summary metrics should not have "_count" suffix'
    ], problems


def test_openmetrics_and_gzip_are_negotiated(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0)
    assert port
    collector.strategy_success.inc()
    accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    status, headers, body = get(port, headers={"Accept": accept, "Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8"
    assert headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(body).decode()
    assert "# TYPE strategy_success counter\n" in text
    assert text.endswith("# EOF\n")
    _, plain_headers, plain = get(port, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in plain_headers
    assert b"strategy_success_total 1.0" in plain


def test_keep_alive_serves_several_requests_on_one_connection(collector: finmon.MetricsCollector) -> None:
    port = collector.start_http_server(port=0)
    assert port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for path, expected in (("/metrics", 200), ("/healthz", 200), ("/missing", 404), ("/metrics", 200)):
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == expected, (path, body)
        connection.request("POST", "/metrics", body=b"x")
        response = connection.getresponse()
        response.read()
        assert response.status == 405
    finally:
        connection.close()


def test_busy_port_degrades_then_recovers(collector: finmon.MetricsCollector,
                                          caplog: pytest.LogCaptureFixture) -> None:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="finmon"):
        try:
            assert collector.start_http_server(port=port, retry_interval=0.2) is None
            collector.population_diversity.set(0.33)  # collecting goes on
            assert collector.get_sample_value("population_diversity") == 0.33
            wait_for(lambda: any("Metrics export disabled, Prometheus unavailable" in r.getMessage()
                                 for r in caplog.records), message="the degraded-mode warning")
            assert collector.exporter_port is None
        finally:
            holder.close()
        wait_for(lambda: collector.exporter_port == port, message="the exporter binding the freed port")
    assert samples(port)[("population_diversity", ())] == 0.33


def test_start_stop_start_again(collector: finmon.MetricsCollector) -> None:
    first = collector.start_http_server(port=0)
    assert first
    with pytest.raises(finmon.StateError, match="already started"):
        collector.start_http_server(port=0)
    collector.stop()
    assert collector.exporter_port is None
    second = collector.start_http_server(port=0)
    assert second
    assert get(second, "/healthz")[2] == b"ok\n"
    collector.stop_http_server()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", second), timeout=2).close()


def test_bad_address_is_a_clear_error(collector: finmon.MetricsCollector) -> None:
    with pytest.raises(finmon.StateError, match="cannot listen"):
        collector.start_http_server(port=0, addr="no.such.host.invalid")
    with pytest.raises(ValueError, match="0..65535"):
        collector.start_http_server(port=70000)
    assert collector.start_http_server(port=0) is not None


def test_a_counter_is_exposed_with_total_in_both_formats_as_prometheus_client_does(
        collector: finmon.MetricsCollector) -> None:
    import prometheus_client
    from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest

    port = collector.start_http_server(port=0)
    assert port
    collector.counter("jobs", "Jobs done.").inc(2)
    reference = prometheus_client.CollectorRegistry()
    prometheus_client.Counter("jobs", "Jobs done.", registry=reference).inc(2)
    _, _, text = get(port, headers={"Accept": "text/plain;version=0.0.4"})
    _, _, open_text = get(port, headers={"Accept": "application/openmetrics-text;version=1.0.0"})
    for ours, theirs in ((text.decode(), prometheus_client.generate_latest(reference).decode()),
                         (open_text.decode(), openmetrics_latest(reference).decode())):
        # The same HELP, TYPE and sample lines (prometheus_client adds a jobs_created gauge).
        wanted = [line for line in theirs.splitlines() if "jobs" in line and "created" not in line]
        assert wanted and all(line in ours.splitlines() for line in wanted), (wanted, ours)
        assert "\njobs 2.0" not in ours and "jobs_total 2.0" in ours
    assert collector.get_sample_value("jobs_total") == 2.0
    assert collector.get_sample_value("jobs") is None  # as prometheus_client's registry answers
    # The catalog keeps its names: already ending in _total, nothing is appended twice.
    assert b"strategy_success_total 0.0" in text and b"_total_total" not in text + open_text
