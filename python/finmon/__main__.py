"""finmon's command line: ``python -m finmon <command> ...``.

Commands live in :data:`COMMANDS` (name -> :class:`Command`); adding one is adding an
entry. Each command prints its result on stdout; an invalid config prints the library's
message (``file:line: key.path: problem``) on stderr and exits with status 2.

Example::

    python -m finmon rules config/monitoring_config.yaml > config/alert_rules.yml
    python -m finmon config config/monitoring_config.yaml
    python -m finmon config --template > config/monitoring_config.yaml
    python -m finmon config --table       # the README's settings table
    python -m finmon report metrics_final.json   # report.html beside it
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import ConfigError, FinmonError

__all__ = ["COMMANDS", "Command", "main"]


@dataclass(frozen=True)
class Command:
    """One subcommand: its help line, how it declares its arguments, what it runs."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default=None,
                        help="path of monitoring_config.yaml (default: the built-in defaults)")


def _rules(args: argparse.Namespace) -> int:
    from .config import render_rules

    sys.stdout.write(render_rules(args.config))
    return 0


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    _config_argument(parser)
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--template", action="store_const", const="yaml", dest="form",
                      help="print a monitoring_config.yaml with every key at its default, commented")
    form.add_argument("--table", action="store_const", const="markdown", dest="form",
                      help="print the settings table (every key, its default, bounds and meaning) as Markdown")


def _config(args: argparse.Namespace) -> int:
    from .config import MonitoringConfig, schema_text

    if args.form is not None:
        sys.stdout.write(schema_text(args.form))
        return 0
    config = MonitoringConfig.defaults() if args.config is None else MonitoringConfig.from_yaml(args.config)
    sys.stdout.write(json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n")
    return 0


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("final_json", help="a metrics_final.json written at stop (it carries the run's history)")
    parser.add_argument("-o", "--output", default=None,
                        help="where to write the report (default: report.html beside the JSON)")


def _report(args: argparse.Namespace) -> int:
    from .livepage import write_report

    print(write_report(args.final_json, args.output))
    return 0


def _passthrough(module: str) -> Callable[[argparse.Namespace], int]:
    """A command whose module parses its own arguments (see ``main``)."""
    def run(args: argparse.Namespace) -> int:
        from importlib import import_module

        entry: Callable[[list[str]], int] = import_module(f"finmon.{module}").main
        return entry(list(args.arguments))
    return run


def _rest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the command's own arguments (try --help)")


#: Subcommand name -> Command.
COMMANDS: dict[str, Command] = {
    "rules": Command("print the Prometheus alerting rules for a config (for config/alert_rules.yml)",
                     _config_argument, _rules),
    "config": Command("validate a config and print it in full (defaults filled in) as JSON; "
                      "or print the settings table or a template",
                      _config_arguments, _config),
    "report": Command("rebuild report.html (the run's panels, alert timeline and summary) from metrics_final.json",
                      _report_arguments, _report),
    "dashboard": Command("print the Grafana dashboard for a config (for config/grafana_dashboard.json)",
                         _rest, _passthrough("dashboard")),
    "stack": Command("run a local Prometheus, Alertmanager and alert receiver with finmon's config until Ctrl-C",
                     _rest, _passthrough("stack")),
    "receiver": Command("receive Alertmanager's notifications: print them and append them to a file",
                        _rest, _passthrough("receiver")),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m finmon", description="finmon command line")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        command.arguments(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("dashboard", "stack", "receiver"):
        # These parse their own options; argparse would take their --flags for ours.
        return COMMANDS[argv[0]].run(argparse.Namespace(arguments=argv[1:]))
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except ConfigError as error:
        print(f"finmon: {error}", file=sys.stderr)
        return 2
    except FinmonError as error:
        print(f"finmon: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
