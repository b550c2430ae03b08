"""finmon and prometheus_client on one endpoint (finmon.bridge), both directions.

finmon in prometheus_client's registry: ``REGISTRY.register(collector)``, then
``generate_latest(REGISTRY)`` holds the catalog and the user's own metrics (parsed by
prometheus_client's parser, accepted by promtool but for the documented
unique_strategy_count), the loop's own ``start_http_server`` serves both, and a name both
sides define is refused at registration whichever side came first.

A prometheus_client registry on finmon's exporter (RegistryMirror): a real Prometheus
scraping finmon's port sees both sides' series, values follow the registry within the
interval, conflicts are refused or left out, and one collector cannot do both.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator

import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families
from scrape import get, wait_for
from servers import PrometheusServer, free_port

import finmon
from finmon.bridge import PROCESS_FAMILIES, ClientCollector, RegistryMirror

#: The catalog as prometheus_client's parser names families (counters without _total).
CATALOG_FAMILIES = {name.removesuffix("_total") for name in finmon.CATALOG.values()}


@pytest.fixture
def collector() -> Iterator[finmon.MetricsCollector]:
    with finmon.MetricsCollector() as created:
        yield created


def parsed(text: bytes | str) -> dict[str, prometheus_client.Metric]:
    body = text.decode() if isinstance(text, bytes) else text
    return {family.name: family for family in text_string_to_metric_families(body)}


def promtool_complaints(text: bytes) -> list[str]:
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, timeout=60)
    return [line for line in (result.stdout + result.stderr).decode().splitlines() if line.strip()]


# ---- finmon in prometheus_client's registry ----------------------------------------


def test_registered_in_the_default_registry_one_exposition_holds_both_sides(
        collector: finmon.MetricsCollector) -> None:
    registry = prometheus_client.REGISTRY
    jobs = prometheus_client.Counter("loop_jobs", "Jobs the loop ran.", ["kind"])
    latency = prometheus_client.Histogram("loop_step_seconds", "Time of one step.")
    try:
        registry.register(collector)
        try:
            jobs.labels(kind="backtest").inc(3)
            latency.observe(0.2)
            collector.record_iteration(1, True, 0.5, sharpe=1.25, max_drawdown=-0.1)
            collector.container_memory_usage.labels(container_id="abc").set(123456)
            text = prometheus_client.generate_latest(registry)
        finally:
            registry.unregister(collector)
    finally:
        registry.unregister(jobs)
        registry.unregister(latency)

    families = parsed(text)
    assert CATALOG_FAMILIES <= set(families), CATALOG_FAMILIES - set(families)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("loop_jobs_total", (("kind", "backtest"),))] == 3
    assert samples[("loop_step_seconds_count", ())] == 1
    assert samples[("strategy_sharpe_ratio", ())] == 1.25
    assert samples[("strategy_success_total", ())] == 1
    assert samples[("execution_time_seconds_count", ())] == 1
    assert samples[("container_memory_usage_bytes", (("container_id", "abc"),))] == 123456
    assert families["execution_time_seconds"].type == "histogram"
    assert families["strategy_success"].type == "counter"
    # The process_* families come once, from prometheus_client's ProcessCollector.
    assert text.decode().count("# TYPE process_cpu_seconds_total counter") == 1
    assert PROCESS_FAMILIES <= set(families)
    assert promtool_complaints(text) == [
        'unique_strategy_count non-histogram and non-summary metrics should not have "_count" suffix']


def test_the_loop_s_own_http_server_serves_finmon_beside_its_metrics(collector: finmon.MetricsCollector) -> None:
    registry = prometheus_client.CollectorRegistry()
    prometheus_client.Gauge("loop_generation", "The generation.", registry=registry).set(7)
    registry.register(collector)
    collector.population_diversity.set(0.375)
    port = free_port()
    server, thread = prometheus_client.start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        for accept in ("text/plain", "application/openmetrics-text; version=1.0.0"):
            status, headers, body = get(port, headers={"Accept": accept})
            assert status == 200
            samples = {s.name: s.value for f in parsed(body).values() for s in f.samples if not s.labels}
            assert samples["loop_generation"] == 7 and samples["population_diversity"] == 0.375, accept
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_a_name_both_sides_define_is_refused_at_registration(collector: finmon.MetricsCollector) -> None:
    # prometheus_client's metric first: registering finmon fails, naming it.
    registry = prometheus_client.CollectorRegistry()
    prometheus_client.Gauge("population_diversity", "The loop's own.", registry=registry)
    with pytest.raises(ValueError, match="Duplicated timeseries in CollectorRegistry: {'population_diversity'}"):
        registry.register(collector)
    # finmon first: the clashing prometheus_client metric fails, and so do counter names
    # that would clash through their suffixes (strategy_success -> strategy_success_total).
    registry = prometheus_client.CollectorRegistry()
    registry.register(collector)
    with pytest.raises(ValueError, match="population_diversity"):
        prometheus_client.Gauge("population_diversity", "The loop's own.", registry=registry)
    with pytest.raises(ValueError, match="strategy_success"):
        prometheus_client.Counter("strategy_success", "The loop's own.", registry=registry)
    prometheus_client.Gauge("loop_population_diversity", "Distinct name.", registry=registry).set(1)


def test_finmon_s_parser_reads_what_prometheus_client_s_parser_reads(collector: finmon.MetricsCollector) -> None:
    """collect() reads finmon's exposition with a parser of its own (faster than
    prometheus_client's); on awkward input both must agree."""
    odd = collector.gauge("odd_values", 'Help with "quotes", a \\ backslash\nand a newline.', ["text", "n"])
    for index, text in enumerate(["plain", 'q"uote', "back\\slash", "new\nline", "br{ace} x", "sp ace", "ünï",
                                  '=",', "trailing\\"]):
        odd.labels(text=text, n=str(index)).set(index + 0.5)
    odd.labels(text="nan", n="x").set(float("nan"))
    odd.labels(text="inf", n="y").set(float("-inf"))
    collector.counter("jobs", "A counter without the _total suffix.").inc(2)
    collector.histogram("step_seconds", "A histogram.", ["kind"]).labels(kind="a").observe(0.3)
    collector.record_iteration(1, True, 0.2, sharpe=1.0)
    text = collector.generate_latest().decode()

    def normalised(families: list[prometheus_client.Metric]) -> list[tuple[object, ...]]:
        return [(f.name, f.type, f.documentation,
                 [(s.name, s.labels, "nan" if s.value != s.value else float(s.value)) for s in f.samples])
                for f in families]

    ours = normalised(finmon.bridge.parse(text))
    assert ours == normalised(list(text_string_to_metric_families(text)))
    assert ("jobs", "counter", "A counter without the _total suffix.", [("jobs_total", {}, 2.0)]) in ours


def test_process_families_are_kept_for_a_registry_without_a_process_collector(
        collector: finmon.MetricsCollector) -> None:
    registry = prometheus_client.CollectorRegistry()
    registry.register(ClientCollector(collector, exclude=()))
    assert registry.get_sample_value("process_resident_memory_bytes") > 0  # type: ignore[operator]
    assert registry.get_sample_value("population_diversity") == 0.0


def test_prometheus_client_is_imported_only_when_used() -> None:
    program = ("import sys, finmon\n"
               "c = finmon.MetricsCollector(); c.population_diversity.set(0.5); c.generate_latest()\n"
               "print('before', 'prometheus_client' in sys.modules)\n"
               "families = list(c.collect())\n"
               "print('after', 'prometheus_client' in sys.modules, len(families) > 30)\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                            env={**os.environ})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["before", "False", "after", "True", "True"]


# ---- a prometheus_client registry on finmon's exporter ------------------------------


def test_finmon_s_exporter_serves_a_mirrored_registry_to_prometheus(
        collector: finmon.MetricsCollector, prometheus_factory: Callable[..., PrometheusServer]) -> None:
    registry = prometheus_client.CollectorRegistry()
    jobs = prometheus_client.Counter("loop_jobs", "Jobs the loop ran.", ["kind"], registry=registry)
    jobs.labels(kind="backtest").inc(2)
    mirror = RegistryMirror(collector, registry, interval=0.2)
    try:
        port = collector.start_http_server(port=0)
        assert port
        collector.population_diversity.set(0.4242)
        # Both formats hold both sides; OpenMetrics ends with exactly one # EOF.
        for accept in ("text/plain", "application/openmetrics-text; version=1.0.0"):
            status, headers, body = get(port, headers={"Accept": accept})
            assert status == 200
            samples = {s.name: s.value for f in parsed(body).values() for s in f.samples}
            assert samples["loop_jobs_total"] == 2 and samples["population_diversity"] == 0.4242
            if "openmetrics" in accept:
                assert body.endswith(b"\n# EOF\n") and body.count(b"# EOF") == 1
        # finmon's own exposition and final record stay finmon's.
        assert b"loop_jobs" not in collector.generate_latest()
        # Values follow the registry within the interval.
        jobs.labels(kind="backtest").inc(40)
        wait_for(lambda: b'loop_jobs_total{kind="backtest"} 42.0' in get(port)[2], timeout=10,
                 message="the mirrored counter at 42")
        prometheus = prometheus_factory([f"127.0.0.1:{port}"], scrape_interval="1s")
        result = prometheus.wait_for(lambda: prometheus.query('loop_jobs_total{kind="backtest"}'), timeout=30,
                                     message="the mirrored counter in Prometheus")
        assert float(result[0]["value"][1]) == 42
        assert float(prometheus.query("population_diversity")[0]["value"][1]) == 0.4242
    finally:
        mirror.stop()
    assert b"loop_jobs" not in get(port)[2]  # detached


def test_the_mirror_refuses_conflicts_and_leaves_out_later_ones(
        collector: finmon.MetricsCollector, caplog: pytest.LogCaptureFixture) -> None:
    registry = prometheus_client.CollectorRegistry()
    clash = prometheus_client.Gauge("champion_sharpe_ratio", "The loop's own.", registry=registry)
    with pytest.raises(finmon.ConflictError, match="both define champion_sharpe_ratio"):
        RegistryMirror(collector, registry)
    registry.unregister(clash)

    mirror = RegistryMirror(collector, registry, interval=0.1)
    try:
        port = collector.start_http_server(port=0)
        assert port
        with caplog.at_level(logging.WARNING, logger="finmon"):
            late = prometheus_client.Counter("champion_updates", "Registered after the mirror.", registry=registry)
            late.inc(99)
            prometheus_client.Gauge("loop_ok", "No clash.", registry=registry).set(1)
            wait_for(lambda: b"loop_ok 1.0" in get(port)[2], timeout=10, message="the mirror refreshed")
        body = get(port)[2].decode()
        assert "champion_updates_total 99.0" not in body and "champion_updates_total 0.0" in body
        assert "prometheus_client's champion_updates is also a finmon metric" in caplog.text
        # One direction per registry.
        with pytest.raises(finmon.ConflictError, match="mirrors a prometheus_client registry"):
            registry.register(collector)
        with pytest.raises(finmon.ConflictError, match="already mirrors"):
            RegistryMirror(collector, prometheus_client.CollectorRegistry())
    finally:
        mirror.stop()
    other = prometheus_client.CollectorRegistry()
    other.register(collector)
    with pytest.raises(finmon.ConflictError, match="is registered in that registry"):
        RegistryMirror(collector, other)


def test_closing_the_collector_ends_the_mirror_thread() -> None:
    collector = finmon.MetricsCollector()
    mirror = RegistryMirror(collector, prometheus_client.CollectorRegistry(), interval=0.05)
    collector.close()
    mirror._thread.join(timeout=10)
    assert not mirror._thread.is_alive()
    mirror.stop()  # after close: nothing to detach, no error
    with finmon.MetricsCollector() as fresh, pytest.raises(ValueError, match="interval must be > 0"):
        RegistryMirror(fresh, prometheus_client.CollectorRegistry(), interval=0)


def test_urllib_is_enough_to_read_the_mirror(collector: finmon.MetricsCollector) -> None:
    """A plain client without Accept headers gets the text format with both sides."""
    registry = prometheus_client.CollectorRegistry()
    prometheus_client.Info("loop_build", "Build of the loop.", registry=registry).info({"version": "1.2"})
    mirror = RegistryMirror(collector, registry)
    try:
        port = collector.start_http_server(port=0)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            body = response.read().decode()
        assert 'loop_build_info{version="1.2"} 1.0' in body and "population_diversity" in body
    finally:
        mirror.stop()
