"""The live page and the report in a real headless Chromium (Debian's chromium and
chromium-driver, through WebDriver), as a person would use them: the example loop runs,
the page at / draws each of the four panels, the values it shows are the exporter's
/metrics, and the report written at stop draws the same panels over the whole run with
its summary. Screenshots go to the test's folder (and, with FINMON_DOCS_SCREENSHOT=1, to
docs/page.png for the README). A browser that cannot start fails the test."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = REPO_ROOT / "python" / "examples"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
QUADRANTS = ["Resource Usage", "Strategy Performance", "Diversity", "Container Stats"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, at a laptop's window size."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1440,1000", "--lang=en-US"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as exc:  # noqa: BLE001 - any failure to start is the test's failure
        pytest.fail(f"headless Chromium could not start (run scripts/setup.sh): {exc}")
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def load_example() -> ModuleType:
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location("autonomous_loop", EXAMPLES / "autonomous_loop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {sample.name: sample.value for family in text_string_to_metric_families(text)
            for sample in family.samples if not sample.labels}


def graphs(driver: Any) -> dict[str, dict[str, Any]]:
    """Each graph's title -> its quadrant, points drawn, last values and whether a canvas exists."""
    return driver.execute_script("""
        var out = {};
        document.querySelectorAll('.quadrant').forEach(function (q) {
          q.querySelectorAll('.graph').forEach(function (g) {
            out[g.dataset.title] = {quadrant: q.dataset.title, points: +g.dataset.points,
                                    last: g.dataset.last ? JSON.parse(g.dataset.last) : {},
                                    lastTime: g.dataset.lastTime ? +g.dataset.lastTime : null,
                                    canvas: g.querySelectorAll('canvas').length > 0};
          });
        });
        return out;""")


def stats(driver: Any) -> dict[str, tuple[str, float | None]]:
    """The row of current values: title -> (text shown, value)."""
    raw = driver.execute_script("""
        return Array.from(document.querySelectorAll('.stat')).map(function (s) {
          return [s.dataset.title, s.querySelector('.value').textContent, s.dataset.value]; });""")
    return {title: (text, float(value) if value else None) for title, text, value in raw}


def every_quadrant_drew(driver: Any) -> bool:
    drawn = graphs(driver)
    return len(drawn) == 12 and all(g["points"] > 0 and g["canvas"] for g in drawn.values())


def no_script_errors(driver: Any) -> None:
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
              and "favicon" not in entry["message"] and ".map" not in entry["message"]]
    assert not severe, severe


def screenshot(driver: Any, path: Path) -> None:
    assert driver.save_screenshot(str(path)), f"no screenshot at {path}"
    assert path.stat().st_size > 20_000, "a blank page"


def test_the_live_page_and_the_report_show_the_runs_panels(browser: Any, tmp_path: Path) -> None:
    example = load_example()
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(f"""
monitoring:
  alerts:
    evaluation_interval: 0.5
    log_file: "{tmp_path / 'alerts.jsonl'}"
  export:
    directory: "{tmp_path}"
grafana:
  refresh_interval: "500ms"
""")
    checked: dict[str, Any] = {}

    def on_iteration(report: Any) -> None:
        if report.iteration == 1:
            browser.get(f"http://127.0.0.1:{report.port}/")
            assert browser.title == "finmon"
        if report.iteration != 12:
            return
        # The loop waits here, so the loop's own values stand still while they are compared.
        paused = time.time()
        wait(lambda: every_quadrant_drew(browser), 30, "every graph of the four quadrants to draw data")
        drawn = wait(lambda: (lambda g: g if all((x["lastTime"] or 0) > paused for x in g.values()
                                                 if x["quadrant"] != "Container Stats") else None)(graphs(browser)),
                     30, "a refresh with a sample taken after the loop paused")
        assert {g["quadrant"] for g in drawn.values()} == set(QUADRANTS)
        metrics = scrape(report.port)
        shown = stats(browser)
        assert shown["Iteration"] == ("12", 12.0) and metrics["loop_iteration"] == 12
        assert shown["Champion Sharpe"][1] == metrics["champion_sharpe_ratio"]
        assert shown["Champion Sharpe"][0] == f"{metrics['champion_sharpe_ratio']:.3f}"
        assert shown["Diversity"][1] == metrics["population_diversity"]
        assert shown["Success rate"][0] == f"{100 * metrics['strategy_success_rate']:.1f}%"
        assert shown["Loop up"][0] == "UP"
        assert shown["Active alerts"][1] == len(json.loads(browser.find_element("id", "alerts").get_attribute(
            "data-active")))
        last = {title: g["last"] for title, g in drawn.items()}
        assert last["Memory (GB)"]["total"] == pytest.approx(metrics["system_memory_total_bytes"] / 1e9, rel=1e-12)
        assert last["Unique vs total strategies"] == {"unique": metrics["unique_strategy_count"],
                                                       "total": metrics["population_size"]}
        assert last["Champion age (iterations)"]["iterations since update"] == metrics["champion_staleness_iterations"]
        assert last["Sharpe ratio"]["champion"] == metrics["champion_sharpe_ratio"]
        assert last["Success rate (%, rolling)"]["success rate"] == pytest.approx(
            100 * metrics["strategy_success_rate"])
        champions = int(browser.find_element("id", "champions").get_attribute("data-count"))
        assert champions == metrics["champion_updates_total"]
        # Local time on the axes: the x axis labels are the browser's local clock times.
        no_script_errors(browser)
        wait(lambda: browser.execute_script("return document.querySelectorAll('.dygraph-axis-label-x').length") > 0,
             10, "time labels on the x axes")
        # Hover values: moving over a chart fills its legend with the values at that time.
        from selenium.webdriver import ActionChains
        # (A refresh redraws the chart and may clear the highlight: point again until it shows.)
        def hovered() -> str:
            chart = browser.find_elements("css selector", ".graph .chart")[0]
            ActionChains(browser).move_to_element_with_offset(chart, 20, 0).perform()
            text = browser.find_elements("css selector", ".graph .legend")[0].text
            return text if "GB" in text else ""
        legend = wait(hovered, 10, "the Memory graph's legend to show the values under the pointer")
        assert "used:" in legend and "total:" in legend
        no_script_errors(browser)
        screenshot(browser, tmp_path / "live_page.png")
        if os.environ.get("FINMON_DOCS_SCREENSHOT") == "1":
            screenshot(browser, REPO_ROOT / "docs" / "page.png")
        checked["live"] = True

    status = example.main(["--no-containers", "--iterations", "20", "--seed", "3", "--port", "0",
                           "--config", str(config), "--iteration-delay", "0.05"], on_iteration=on_iteration)
    assert status == 0
    assert checked.get("live"), "the live page was checked during the run"

    # The loop stopped and its exporter with it: the open page says so instead of going blank.
    wait(lambda: "cannot reach the exporter" in browser.find_element("id", "status").text, 30,
         "the page to notice the exporter is gone")
    browser.get_log("browser")  # its failed polls are expected; the report starts a clean log

    # The report, written at stop beside metrics_final.json, without any server.
    final = json.loads((tmp_path / "metrics_final.json").read_text())
    report = tmp_path / "report.html"
    browser.get(report.as_uri())
    wait(lambda: browser.execute_script("return document.body.dataset.ready") == "true", 30, "the report to load")
    wait(lambda: every_quadrant_drew(browser), 30, "every graph of the report to draw data")
    summary = dict(browser.execute_script("""
        return Array.from(document.querySelectorAll('#summary-table tr')).slice(1).map(function (r) {
          return [r.cells[0].textContent, r.cells[1].textContent]; });"""))
    assert summary["Iterations"] == "20" == str(final["run"]["iterations"])
    champion = final["history"]["champions"][-1]
    assert summary["Champion"].startswith(f"Sharpe {champion['sharpe']:.3f} at iteration {champion['iteration']}")
    assert summary["Alerts fired"] == str(final["history"]["alerts"]["fired"])
    assert summary["Successes / failures"] == "20 / 0"
    rss_peak = next(s["peak"] for s in final["history"]["series"] if s["name"] == "process_resident_memory_bytes")
    assert f"loop process RSS {rss_peak / 1e9:.2f} GB" in summary["Peak memory"]
    drawn = graphs(browser)
    assert drawn["Sharpe ratio"]["last"]["champion"] == champion["sharpe"]
    shown = stats(browser)
    assert shown["Iteration"] == ("20", 20.0)
    assert shown["Loop up"][0] == "ended"
    no_script_errors(browser)
    screenshot(browser, tmp_path / "report.png")
