"""The central Prometheus of several sites, as config/ documents it: promtool accepts the
site, remote_write and federation configs and their rules; then the committed files run
for real (only addresses, paths and intervals changed): a loop announced in a file_sd
file, a site Prometheus scraping it and writing remotely to a central Prometheus, a second
central one federating the site; both central ones hold the loop's series with its
instance, run_id and the site's label, and compute the recording rules."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import PrometheusServer, wait_for

import finmon

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG_DIR = REPO_ROOT / "config"
SITE = "prometheus_site.yml"
CENTRAL_REMOTE_WRITE = "prometheus_central_remote_write.yml"
CENTRAL_FEDERATION = "prometheus_central_federation.yml"
CENTRAL_RULES = "prometheus_central_rules.yml"


class CommittedConfigPrometheus(PrometheusServer):
    """A real Prometheus running a committed config file's text, edited by ``edits``
    (pairs of exact old and new text, each of which must occur)."""

    def __init__(self, text: str, edits: list[tuple[str, str]], folder: Path, name: str, **kwargs: Any) -> None:
        super().__init__([], **kwargs)
        for old, new in edits:
            assert old in text, f"{old!r} is no longer in the committed {name}: update the test"
            text = text.replace(old, new)
        self.text = text
        # In the copy of config/, so rule_files resolve as they do beside the committed file.
        self.config_path = folder / f"running-{name}"

    def _before_start(self) -> None:
        self.config_path.write_text(self.text)


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, copy)
    return copy


@pytest.mark.parametrize("name", [SITE, CENTRAL_REMOTE_WRITE, CENTRAL_FEDERATION])
def test_promtool_accepts_the_central_and_site_configs(name: str) -> None:
    checked = subprocess.run(["promtool", "check", "config", str(CONFIG_DIR / name)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {CONFIG_DIR / name} is valid prometheus config file syntax" in checked.stdout, checked.stdout
    assert "SUCCESS: 1 rule files found" in checked.stdout


def test_promtool_accepts_the_central_rules() -> None:
    checked = subprocess.run(["promtool", "check", "rules", str(CONFIG_DIR / CENTRAL_RULES)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "SUCCESS: 3 rules found" in checked.stdout, checked.stdout + checked.stderr


def series(prometheus: PrometheusServer, promql: str) -> list[dict[str, Any]]:
    return prometheus.query(promql)


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[tuple[finmon.Runtime, Path]]:
    targets = tmp_path / "targets.json"
    config = tmp_path / "loop.yaml"
    config.write_text(f"""
monitoring:
  prometheus: {{port: 0, file_sd_path: "{targets}", run_id: central-test}}
  resource_monitor: {{enabled: false}}
  container_monitor: {{enabled: false}}
  alerts: {{log_file: null}}
  export: {{enabled: false}}
""")
    runtime = finmon.start(config)
    try:
        runtime.record_iteration(42, True, 0.1)
        yield runtime, targets
    finally:
        runtime.stop()


def test_a_site_feeds_one_central_prometheus_by_remote_write_and_another_by_federation(
        loop: tuple[finmon.Runtime, Path], config_copy: Path) -> None:
    runtime, targets = loop
    servers: list[PrometheusServer] = []
    try:
        fast_rules = [("evaluation_interval: 1m", "evaluation_interval: 1s")]
        central_rw = CommittedConfigPrometheus(
            (config_copy / CENTRAL_REMOTE_WRITE).read_text(), fast_rules, config_copy, CENTRAL_REMOTE_WRITE,
            extra_args=["--web.enable-remote-write-receiver"])
        servers.append(central_rw)
        central_rw.start()
        site = CommittedConfigPrometheus(
            (config_copy / SITE).read_text(),
            [('"/var/lib/finmon/targets.json"', f'"{targets}"'), ("scrape_interval: 5s", "scrape_interval: 1s"),
             ("refresh_interval: 30s", "refresh_interval: 1s"),
             ("http://central.example:9090", central_rw.url),
             # Send each second, not when the batch fills.
             ("max_samples_per_send: 2000", "max_samples_per_send: 2000\n      batch_send_deadline: 1s")],
            config_copy, SITE)
        servers.append(site)
        site.start()
        central_fed = CommittedConfigPrometheus(
            (config_copy / CENTRAL_FEDERATION).read_text(),
            [*fast_rules, ("scrape_interval: 30s", "scrape_interval: 1s"),
             ('targets: ["site-a.example:9090", "site-b.example:9090"]', f'targets: ["127.0.0.1:{site.port}"]')],
            config_copy, CENTRAL_FEDERATION)
        servers.append(central_fed)
        central_fed.start()

        instance = f"127.0.0.1:{runtime.port}"
        expected = {"__name__": "loop_iteration", "job": "finmon", "instance": instance, "run_id": "central-test",
                    "site": "site-a"}
        for central in (central_rw, central_fed):
            found = wait_for(lambda c=central: series(c, 'loop_iteration{run_id="central-test"}'), timeout=90,
                             message=f"the loop's series at {central.url}")
            (sample,) = found
            labels = {k: v for k, v in sample["metric"].items() if k != "host"}
            assert labels == expected and sample["metric"]["host"], sample
            assert float(sample["value"][1]) == 42
            rule = wait_for(lambda c=central: series(c, 'site:finmon_loops_up:sum{site="site-a"}'), timeout=60,
                            message=f"the recording rule at {central.url}")
            assert float(rule[0]["value"][1]) == 1
        # The loop is still announced (it stops after the servers).
        assert re.search(r'"run_id":"central-test"', targets.read_text())
    finally:
        for server in reversed(servers):
            server.close()
