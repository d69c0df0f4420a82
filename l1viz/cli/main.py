"""The entry point: parse, run the subcommand, and turn every kind of bad input into one line.

Bad input never shows a traceback: one line on stderr naming the argument, exit status 2. A run
that trained but could not be logged to MLflow prints its results, then one line on stderr naming
the tracking URI, exit status 1.
"""

from __future__ import annotations

import sys

from l1viz import tracking
from l1viz.cli import boundary, export, notebook, schemes, sweep, table, train
from l1viz.cli.arguments import CliError, Parser
from l1viz.engine.config import ConfigError
from l1viz.study.cluster.place import ClusterError

DESCRIPTION = "`python -m l1viz`: headless runs with readable or JSON output."
USAGE_ERROR = 2
TRACKING_FAILED = 1
CLUSTER_FAILED = 1  # the cluster asked for cannot run the study (unreachable, refused)
# Each module owns one subcommand: add_parser(commands) defines its flags and handler.
SUBCOMMANDS = (train, notebook, table, sweep, schemes, boundary, export)


def build_parser() -> Parser:
    parser = Parser(prog="python -m l1viz", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for subcommand in SUBCOMMANDS:
        subcommand.add_parser(commands)
    return parser


def main(argv=None) -> int:
    flags: dict[str, str] = {}
    try:
        args = build_parser().parse_args(argv)
        flags = args.config_flags
        args.handler(args)
    except CliError as error:
        print(f"l1viz: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except ConfigError as error:
        flag, message = flags.get(error.field, error.field), str(error).split(": ", 1)[-1]
        print(f"l1viz: error: argument {flag}: {message}", file=sys.stderr)
        return USAGE_ERROR
    except tracking.TrackingError as error:
        print(f"l1viz: error: {error}", file=sys.stderr)
        return TRACKING_FAILED
    except ClusterError as error:
        print(f"l1viz: error: {error}", file=sys.stderr)
        return CLUSTER_FAILED
    return 0
