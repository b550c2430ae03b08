"""A real Prometheus scrapes finmon's exporter."""

from __future__ import annotations

from collections.abc import Callable

from servers import PrometheusServer

import finmon


def test_prometheus_scrapes_the_exporter(prometheus_factory: Callable[..., PrometheusServer]) -> None:
    with finmon.MetricsCollector() as collector:
        port = collector.start_http_server(port=0)
        assert port
        collector.population_diversity.set(0.4242)
        collector.container_memory_usage.labels(container_id="abc").set(123456)
        prometheus = prometheus_factory([f"127.0.0.1:{port}"], scrape_interval="1s")

        def up() -> list:
            return [r for r in prometheus.query('up{job="finmon"}') if r["value"][1] == "1"]

        prometheus.wait_for(up, timeout=30, message="target up == 1")
        diversity = prometheus.wait_for(lambda: prometheus.query("population_diversity"), timeout=30,
                                        message="population_diversity in Prometheus")
        assert float(diversity[0]["value"][1]) == 0.4242
        memory = prometheus.query('container_memory_usage_bytes{container_id="abc"}')
        assert float(memory[0]["value"][1]) == 123456
        targets = prometheus.targets()
        active = [t for t in targets if t["labels"].get("job") == "finmon"]
        assert active and active[0]["health"] == "up" and not active[0]["lastError"]
