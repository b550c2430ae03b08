"""What finmon's dashboard shows, independent of Grafana's JSON: the template variables,
the row of current values, the four quadrants with their graphs, queries, units and
threshold lines. ``finmon._grafana`` renders it; the exporter's live page (issue 15)
draws the same quadrants, graphs, units and thresholds.

Every query is written against ``SELECTOR`` (the variables' label matchers) and
aggregates ``by`` their labels, so adding a variable (as ``run_id`` was) is one entry in
``VARIABLES``: every query, the variable queries after it and the alert state follow.

Example:
    >>> from finmon._panels import selector, variables
    >>> [v.name for v in variables()], selector()
    (['job', 'instance', 'run_id'], '{job=~"$job",instance=~"$instance",run_id=~"$run_id"}')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ._promql import duration

__all__ = ["Panel", "Quadrant", "Stat", "Threshold", "Variable", "alert_state", "by", "champion_annotation",
           "layout", "plain", "selector", "stats", "variables"]


class Limits(Protocol):
    """The config values the layout needs (``finmon.dashboard.DashboardThresholds``)."""

    @property
    def memory_percent(self) -> float: ...
    @property
    def cpu_percent(self) -> float: ...
    @property
    def diversity(self) -> float: ...
    @property
    def staleness_iterations(self) -> int: ...
    @property
    def success_rate_percent(self) -> float: ...
    @property
    def orphaned_containers(self) -> int: ...
    @property
    def scrape_interval_seconds(self) -> float: ...


@dataclass(frozen=True)
class Variable:
    """A template variable over one target label: its values are that label's values on
    ``loop_iteration`` (a series every finmon loop exports), restricted by the variables
    before it. Multi-valued with "All"."""

    name: str
    label: str

    @property
    def matcher(self) -> str:
        return f'{self.name}=~"${self.name}"'


#: In order; each narrows the next. ``run_id`` is a label of the loops' file_sd entries
#: (``monitoring.prometheus.file_sd_path``); a statically scraped loop has none, which
#: "All" (``.*``) still matches.
VARIABLES: tuple[Variable, ...] = (Variable("job", "Job"), Variable("instance", "Instance"), Variable("run_id", "Run"))


def variables() -> tuple[Variable, ...]:
    return VARIABLES


def selector(extra: str = "") -> str:
    """The label matchers of every variable, plus ``extra`` ones: ``{job=~"$job",...}``."""
    matchers = [v.matcher for v in VARIABLES] + ([extra] if extra else [])
    return "{" + ",".join(matchers) + "}"


def by(*more: str) -> str:
    """``by (job, instance, ...)``: aggregations keep each loop apart."""
    return "by (" + ", ".join([v.name for v in VARIABLES] + list(more)) + ")"


def variable_query(index: int) -> str:
    """``label_values`` of variable ``index``, restricted by the variables before it."""
    before = VARIABLES[:index]
    matchers = "{" + ",".join(v.matcher for v in before) + "}" if before else ""
    return f"label_values(loop_iteration{matchers}, {VARIABLES[index].name})"


def plain(value: float) -> int | float:
    """80.0 -> 80 (as a person wrote it, and as the alert rules print it)."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


@dataclass(frozen=True)
class Threshold:
    """A threshold line: ``value``, whether values above it (else below) are bad, and for
    a line that follows another series (memory at 80% of the total), that series: the
    line is then drawn as a query, ``of * value / 100``."""

    value: float
    bad_above: bool = True
    of: str | None = None


@dataclass(frozen=True)
class Panel:
    """One graph: (legend, PromQL) pairs, a Grafana unit, an optional threshold line and
    axis bounds."""

    title: str
    description: str
    queries: tuple[tuple[str, str], ...]
    unit: str
    threshold: Threshold | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Quadrant:
    """One of the design's four panels: its place, title and three graphs."""

    place: str
    title: str
    description: str
    panels: tuple[Panel, Panel, Panel]


@dataclass(frozen=True)
class Stat:
    """One current value of the top row."""

    title: str
    description: str
    expr: str
    legend: str
    unit: str
    threshold: Threshold | None = None
    #: Value -> text (and color) for states, e.g. up 1 -> "up".
    mappings: tuple[tuple[int, str, str], ...] = ()
    decimals: int | None = None


def alert_state() -> str:
    """One series per loop and alert name, 1 while firing, from either source: finmon's
    ``alert_active`` (its in-process evaluation) or Prometheus' ``ALERTS`` (the rules,
    with loop_down and loop_absent, which only Prometheus sees)."""
    s = selector()
    firing = selector('alertstate="firing"')
    return (f'max {by("alertname")} (label_replace(alert_active{s}, "alertname", "$1", "alert_type", "(.+)") '
            f"or ALERTS{firing})")


def champion_annotation(limits: Limits) -> str:
    # changes() counts each increment of the counter (a rate would smear it); the window
    # spans two scrapes so every update lands in it at one step at least.
    window = duration(2 * float(limits.scrape_interval_seconds))
    return f"changes(champion_updates_total{selector()}[{window}]) > 0"


def stats(limits: Limits) -> tuple[Stat, ...]:
    """The top row: is the loop up, where it is, and the numbers an operator checks first."""
    s = selector()
    up, down = "green", "red"
    return (
        Stat("Loop up", "Prometheus reaches the loop's exporter (up); DOWN is what loop_down alerts on.",
             f"up{s}", "{{instance}}", "none", mappings=((1, "UP", up), (0, "DOWN", down))),
        Stat("Iteration", "The latest iteration the loop recorded.", f"loop_iteration{s}", "{{instance}}", "none",
             decimals=0),
        Stat("Champion Sharpe", "Sharpe ratio of the current champion.", f"champion_sharpe_ratio{s}",
             "{{instance}}", "none", decimals=3),
        Stat("Diversity", f"Population diversity; red below the diversity_collapse threshold ({plain(limits.diversity)}).",
             f"population_diversity{s}", "{{instance}}", "none",
             Threshold(float(limits.diversity), bad_above=False), decimals=3),
        Stat("Success rate", "Successful strategies over the rolling window; red below the low_success_rate "
             f"threshold ({plain(limits.success_rate_percent)}%).",
             f"100 * strategy_success_rate{s}", "{{instance}}", "percent",
             Threshold(float(limits.success_rate_percent), bad_above=False), decimals=1),
        Stat("Active alerts", "Alerts firing now, from finmon and from Prometheus' rules, each counted once.",
             f"count {by()} ({alert_state()} == 1) or (up{s} * 0)", "{{instance}}", "none", Threshold(1), decimals=0),
    )


def layout(limits: Limits) -> tuple[Quadrant, Quadrant, Quadrant, Quadrant]:
    """The design's four panels as quadrants, in reading order, each with its three graphs.

    Example:
        >>> from finmon.dashboard import DashboardThresholds
        >>> [(q.place, q.title) for q in layout(DashboardThresholds())][:2]
        [('top left', 'Resource Usage'), ('top right', 'Strategy Performance')]
    """
    s = selector()
    # GB are 10^9 bytes (SI, Grafana unit `decgbytes`, as `free --si -g` and the Docker
    # CLI count), not 2^30.
    gb = "1e9"
    # Grafana's $__rate_interval: at least 4 x the query's min step, which every target
    # sets to the scrape interval, so a rate always spans several samples.
    window = "$__rate_interval"
    memory = plain(limits.memory_percent)
    return (
        Quadrant("top left", "Resource Usage", "Host memory, CPU, and the time one iteration takes.", (
            Panel("Memory (GB)",
                  f"Host memory in use and in total, the loop process' resident memory, and the high_memory alert "
                  f"threshold ({memory}% of the total), in GB (10^9 bytes).",
                  (("used {{instance}}", f"system_memory_usage_bytes{s} / {gb}"),
                   ("total {{instance}}", f"system_memory_total_bytes{s} / {gb}"),
                   ("loop process RSS {{instance}}", f"process_resident_memory_bytes{s} / {gb}")),
                  unit="decgbytes", min=0,
                  threshold=Threshold(float(limits.memory_percent), of=f"system_memory_total_bytes{s} / {gb}")),
            Panel("CPU (%)",
                  f"Host CPU busy time in percent of all CPUs; the line is the high_cpu alert threshold "
                  f"({plain(limits.cpu_percent)}%).",
                  (("cpu {{instance}}", f"system_cpu_usage_percent{s}"),),
                  unit="percent", threshold=Threshold(float(limits.cpu_percent)), min=0, max=100),
            Panel("Execution time per iteration (s)",
                  "Wall-clock time of one loop iteration: the mean and the 95th percentile over the rate window.",
                  (("mean {{instance}}",
                    f"rate(execution_time_seconds_sum{s}[{window}]) / rate(execution_time_seconds_count{s}[{window}])"),
                   ("p95 {{instance}}",
                    f"histogram_quantile(0.95, sum {by('le')} (rate(execution_time_seconds_bucket{s}[{window}])))")),
                  unit="s", min=0),
        )),
        Quadrant("top right", "Strategy Performance", "Outcomes of the backtests; champion updates are annotated.", (
            Panel("Success rate (%, rolling)",
                  f"Successful strategies over the rolling success window, in percent; the line is the "
                  f"low_success_rate alert threshold ({plain(limits.success_rate_percent)}%).",
                  (("success rate {{instance}}", f"100 * strategy_success_rate{s}"),),
                  unit="percent", threshold=Threshold(float(limits.success_rate_percent), bad_above=False),
                  min=0, max=100),
            Panel("Sharpe ratio",
                  "Sharpe ratio of the latest evaluated strategy and of the champion.",
                  (("latest strategy {{instance}}", f"strategy_sharpe_ratio{s}"),
                   ("champion {{instance}}", f"champion_sharpe_ratio{s}")),
                  unit="none"),
            Panel("Max drawdown",
                  "Maximum drawdown of the latest evaluated strategy (a negative fraction of the peak).",
                  (("max drawdown {{instance}}", f"strategy_max_drawdown{s}"),),
                  unit="percentunit", max=0),
        )),
        Quadrant("bottom left", "Diversity", "The population's spread and the champion's age.", (
            Panel("Population diversity",
                  f"Diversity of the population's parameters (0-1); the line is the diversity_collapse alert "
                  f"threshold ({plain(limits.diversity)}).",
                  (("diversity {{instance}}", f"population_diversity{s}"),),
                  unit="none", threshold=Threshold(float(limits.diversity), bad_above=False), min=0, max=1),
            Panel("Unique vs total strategies",
                  "Distinct strategies in the population against the population size.",
                  (("unique {{instance}}", f"unique_strategy_count{s}"),
                   ("total {{instance}}", f"population_size{s}")),
                  unit="none", min=0),
            Panel("Champion age (iterations)",
                  f"Iterations since the champion last changed; the line is the champion_staleness alert "
                  f"threshold ({plain(limits.staleness_iterations)} iterations).",
                  (("iterations since update {{instance}}", f"champion_staleness_iterations{s}"),),
                  unit="none", threshold=Threshold(float(limits.staleness_iterations)), min=0),
        )),
        Quadrant("bottom right", "Container Stats", "The backtests' sandbox containers.", (
            Panel("Active containers",
                  "Sandbox containers created and not yet cleaned up.",
                  (("active {{instance}}", f"active_containers{s}"),),
                  unit="none", min=0),
            Panel("Container memory (GB)",
                  "Memory of all sandbox containers of a loop together, in GB (0 while none runs).",
                  # `or ... * 0`: with no container the family has no series, and an
                  # operator should see 0 for that loop, not "No data".
                  (("total {{instance}}",
                    f"sum {by()} (container_memory_usage_bytes{s}) / {gb} or active_containers{s} * 0"),),
                  unit="decgbytes", min=0),
            Panel("Orphaned containers",
                  f"Exited sandbox containers left behind; the line is the orphaned_containers alert "
                  f"threshold ({plain(limits.orphaned_containers)}).",
                  (("orphaned {{instance}}", f"orphaned_containers{s}"),),
                  unit="none", threshold=Threshold(float(limits.orphaned_containers)), min=0),
        )),
    )
