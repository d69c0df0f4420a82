"""`export`: one run, set by `train`'s flags, written as a standalone PyTorch script or notebook
that needs only torch and ends exactly as `train` does (`l1viz.export`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from l1viz.cli.arguments import CliError, finish, finite_float, flag, sets
from l1viz.cli.train import add_config_arguments, config_from, init_from
from l1viz.engine.config import PARAMETERS, TrainConfig
from l1viz.export import FORMATS, ExportError

STDOUT = "-"


def add_parser(commands):
    export = commands.add_parser(
        "export", help="write one run as a PyTorch script or notebook needing only torch"
    )
    for name in PARAMETERS:
        sets(export.add_argument(flag(name), dest=name, type=finite_float), "init")
    add_config_arguments(export, steps=TrainConfig().steps)
    export.add_argument("--no-early-stop", action="store_true", help="train the whole budget")
    export.add_argument(
        "--format",
        choices=tuple(FORMATS),
        help="py or ipynb (default: from the file's extension, else py)",
    )
    export.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=f"where to write it ({STDOUT}: stdout)",
    )
    return finish(export, run)


def file_format(args) -> str:
    if args.format:
        return args.format
    return "ipynb" if Path(args.output).suffix.lower() == ".ipynb" else "py"


def run(args):
    config = config_from(args, early_stop=not args.no_early_stop, history_rows=0)
    kind = file_format(args)
    try:
        text = FORMATS[kind](config, init_from(args, config.bias))
    except ExportError as error:
        raise CliError(f"cannot export this setup: {error}") from None
    if args.output == STDOUT:
        sys.stdout.write(text)
        return
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(
            f"argument -o/--output: cannot write {args.output!r}: {error.strerror}"
        ) from None
    path = shlex.quote(args.output)
    how = (
        f"jupyter nbconvert --execute --to notebook {path}" if kind == "ipynb" else f"python {path}"
    )
    print(f"wrote {args.output}; `{how}` trains the run and prints how it ended")
