"""`python -m l1viz`: headless runs with readable or JSON output.

Bad input never shows a traceback: one line on stderr naming the argument, exit status 2. A run
that trained but could not be logged to MLflow prints its results, then one line on stderr naming
the tracking URI, exit status 1.
"""

from __future__ import annotations

import argparse
import math
import sys

from l1viz import tracking
from l1viz.engine.config import (
    CRITERIA,
    OPTIMIZERS,
    PARAMETERS,
    SETUP_FIELDS,
    TRANSFORMS,
    ConfigError,
    Init,
    TrainConfig,
    cell_parameters,
)
from l1viz.engine.jsontext import dumps

USAGE_ERROR = 2
TRACKING_FAILED = 1


class CliError(Exception):
    """Bad input: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the whole usage first
        raise CliError(message)


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def whole_number(text: str) -> int:
    """An integer; '1e4' and '50_000' are accepted, '2.5' is not."""
    try:
        return int(text)
    except ValueError:
        pass
    value = finite_float(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(value)


def print_json(payload: dict):
    print(dumps(payload))


# -- train --------------------------------------------------------------------------------------
def flag(name: str) -> str:
    """The option that sets a field: its name with dashes."""
    return "--" + name.replace("_", "-")


# The settings given by their own option (the cell's bias is --no-bias).
ARGUMENT_FIELDS = tuple(name for name in SETUP_FIELDS if name != "bias")
ENGINE_FIELDS = ("dead_patience", "device")
CONFIG_FLAGS = {
    **{name: flag(name) for name in (*ARGUMENT_FIELDS, *ENGINE_FIELDS, *PARAMETERS)},
    "init": "/".join(flag(name) for name in PARAMETERS),
    "samples": "--samples",
    "normal_low": "--normal",
    "normal_high": "--normal",
    "small_high": "--small",
    "x": "--x",
    "y": "--y",
    "x_range": "--x-range",
    "y_range": "--y-range",
    "grid": "--grid",
    "fixed": "--fixed",
    "seeds": "--seeds",
    "scheme": "--schemes",
    "schemes": "--schemes",
}


def add_config_arguments(parser: argparse.ArgumentParser, steps: int):
    defaults = TrainConfig()
    parser.add_argument("--lr", type=finite_float, default=defaults.lr)
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    parser.add_argument("--batch-size", type=whole_number, default=defaults.batch_size)
    parser.add_argument("--max-length", type=whole_number, default=defaults.max_length)
    parser.add_argument("--steps", type=whole_number, default=steps, help="step budget")
    parser.add_argument("--seed", type=whole_number, default=defaults.seed)
    parser.add_argument("--criterion", choices=CRITERIA, default=defaults.criterion)
    parser.add_argument(
        "--tolerance",
        type=finite_float,
        default=defaults.tolerance,
        help="largest parameter error (tolerance rule) or batch loss (loss rule)",
    )
    parser.add_argument("--transform", choices=TRANSFORMS, default=defaults.transform)
    parser.add_argument("--no-bias", action="store_true", help="a cell without b_hh, b_ih")
    parser.add_argument("--dead-patience", type=whole_number, default=defaults.dead_patience)
    parser.add_argument("--device", default=defaults.device)


def config_from(args, **overrides) -> TrainConfig:
    values = {name: getattr(args, name) for name in (*ARGUMENT_FIELDS, *ENGINE_FIELDS)}
    return TrainConfig(**values, bias=not args.no_bias, **overrides)


def init_from(args, bias: bool) -> Init:
    """Given values, and PyTorch's default init from --seed for the rest."""
    from l1viz.engine.pytorch_init import default_init

    values = default_init(args.seed, bias).as_dict()
    for name in PARAMETERS:
        given = getattr(args, name)
        if given is not None:
            values[name] = given
    if not bias:
        values.update(b_hh=0.0, b_ih=0.0)
    return Init(**values)


def command_train(args):
    from l1viz.engine.generalise import long_sequence_check
    from l1viz.engine.trainer import Trainer

    if args.check_length < 1:
        raise CliError("argument --check-length: must be at least 1")
    track = args.mlflow or args.mlflow_uri is not None  # a URI alone asks for logging
    if track and not tracking.available():
        raise CliError(f"argument --mlflow: {tracking.ENABLE_HINT}")
    # History is only kept for MLflow's loss curve (bounded: decimated past the cap).
    history_rows = TrainConfig().history_rows if track else 0
    config = config_from(args, early_stop=not args.no_early_stop, history_rows=history_rows)
    trainer = Trainer(init_from(args, config.bias), config)
    if not args.json:
        print(f"initial: {_format_params(trainer.named_params(initial=True), config.bias)}")
    _train_with_progress(trainer, show=not args.json)
    result = trainer.results()[0]
    check = long_sequence_check(trainer.cell, trainer.params, args.check_length, config.seed)
    logged, failure = None, None
    if track:
        try:
            logged = _log_to_mlflow(trainer, args.mlflow_uri)
        except tracking.TrackingError as error:
            failure = error  # reported after the results, which are still worth printing
    _print_train_results(args, config, result, check, logged)
    if failure is not None:
        raise failure


def _print_train_results(args, config, result, check, logged: dict | None):
    from l1viz.study.explain import explain

    if args.json:
        print_json(
            {
                "outcome": result.outcome,
                "steps": result.steps,
                "converged_at": result.converged_at,
                "died_at": result.died_at,
                "diverged_at": result.diverged_at,
                "silent_from": result.silent_from,
                "dead_at_init": result.dead_at_init,
                "initial": result.initial,
                "params": result.params,
                "loss": result.loss,
                "long_sequence": check.as_dict(),
                "explanation": explain(result, config),
                "config": config.as_dict(),
                "mlflow": logged,
            }
        )
        return
    print(f"final:   {_format_params(result.params, config.bias)}")
    print(f"outcome: {result.outcome} after {result.steps:,} steps, batch loss {result.loss:.6g}")
    print(explain(result, config))
    print(
        f"length {check.length:,}: predicted {check.predicted:.6g}, actual {check.actual:.6g}, "
        f"relative error {check.relative_error:.3g}"
    )


def _log_to_mlflow(trainer, uri: str | None) -> dict:
    """Log the finished run; says where it went (on stderr: stdout's last line stays JSON)."""
    uri = tracking.tracking_uri(uri)
    run_id = tracking.log_trainer(trainer, uri=uri)
    print(f"MLflow: run {run_id} in experiment {tracking.EXPERIMENT!r} at {uri}", file=sys.stderr)
    return {"run_id": run_id, "tracking_uri": uri}


def _format_params(values: dict, bias: bool) -> str:
    return "  ".join(f"{name} = {values[name]:.6g}" for name in cell_parameters(bias))


def _train_with_progress(trainer, show: bool):
    from tqdm import tqdm

    chunk = 500
    with tqdm(total=trainer.config.steps, unit="step", disable=not show, file=sys.stderr) as bar:
        while not trainer.done:
            bar.update(trainer.step(chunk))
            bar.set_postfix(loss=f"{trainer.last['loss'][0].item():.3g}", refresh=False)


# -- notebook -----------------------------------------------------------------------------------
def command_notebook(args):
    from l1viz.study.notebook import run_notebook

    def log(epoch, loss):
        print(f"Epoch {epoch}, Loss: {loss}", flush=True)

    run = run_notebook(on_log=log)
    if run.converged:
        print(f"Finished training after {run.epochs} epochs")
    else:
        print("Could not converge")
    check = run.long_sequence
    print(f"Predicted sum: {check.predicted}, Actual sum: {check.actual}")
    if args.json:
        print_json(
            {
                "converged": run.converged,
                "epochs": run.epochs,
                "initial": run.initial,
                "params": run.params,
                "losses": run.losses,
                "long_sequence": check.as_dict(),
            }
        )


# -- table and sweep ----------------------------------------------------------------------------
def _progress_bar(show: bool):
    """A tqdm bar on stderr driven by `on_progress(share, label)`; the label names the phase."""
    from tqdm import tqdm

    bar = tqdm(
        total=100,
        disable=not show,
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
    )

    def on_progress(share: float, label: str):
        bar.set_description_str(label, refresh=False)
        bar.n = round(min(share, 1.0) * 100)
        bar.refresh()

    return bar, on_progress


def command_table(args):
    from l1viz.study.table import Magnitudes, TableSettings, measure_table, measured_summary

    magnitudes = Magnitudes(args.normal[0], args.normal[1], args.small)
    settings = TableSettings(
        samples=args.samples,
        steps=args.steps,
        seed=args.seed,
        magnitudes=magnitudes,
        criterion=args.criterion,
        recheck=not args.no_recheck,
    )
    bar, on_progress = _progress_bar(show=not args.json)
    with bar:
        table = measure_table(settings, on_update=lambda t: on_progress(t.progress, t.phase))
    if args.json:
        print_json(table.to_json())
        return
    for row in table.cases:
        case = row.case
        print(
            f"{case.label:<10} {case.documented:<37} {row.agreement:<10} "
            f"{measured_summary(row.measured)}"
        )
        print(f"{'':<10} {row.explanation}")


def fixed_value(text: str) -> tuple[str, float]:
    """NAME=VALUE, e.g. b_hh=0.1."""
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), finite_float(value)


SWEEP_SYMBOLS = {
    "converged": "#",
    "dead_at_init": ".",
    "died": ",",
    "dead_in_practice": ":",
    "diverged": "X",
    "stalled": "~",
}
SWEEP_TEXT_GRID = 80  # largest grid drawn as text


def command_sweep(args):
    from l1viz.study.map import DEFAULT_RANGES, SweepSettings, counts_text, measure_sweep

    settings = SweepSettings(
        x=args.x,
        y=args.y,
        x_range=tuple(args.x_range or DEFAULT_RANGES[args.x]),
        y_range=tuple(args.y_range or DEFAULT_RANGES[args.y]),
        grid=args.grid,
        steps=args.steps,
        fixed=tuple(args.fixed or ()),
        seed=args.seed,
        seeds=args.seeds,
    )
    if args.csv:
        _check_writable(args.csv)
    bar, on_progress = _progress_bar(show=not args.json)
    label = f"Training {len(settings.axis_values('x')) * len(settings.axis_values('y')):,} cells"
    with bar:
        sweep = measure_sweep(settings, on_update=lambda m: on_progress(m.progress, label))
    if args.csv:
        _write_sweep_csv(sweep, args.csv)
    if args.json:
        print_json(sweep.to_json())
        return
    if len(sweep.xs) <= SWEEP_TEXT_GRID:
        print(
            f"{settings.y} ↑ (top row = {sweep.ys[-1]:.4g}), {settings.x} → "
            f"(left column = {sweep.xs[0]:.4g}); "
            + ", ".join(f"{symbol} {name}" for name, symbol in SWEEP_SYMBOLS.items())
        )
        for row in reversed(sweep.ending):
            print("".join(SWEEP_SYMBOLS[ending.value] for ending in row))
    print(f"outcomes: {counts_text(sweep.counts())}")


def _check_writable(path: str):
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise CliError(f"argument --csv: cannot write {path!r}: {error.strerror}") from None


def _write_sweep_csv(sweep, path: str):
    """One row per grid cell: its indices, every setting, how its run ended and, with several
    seeds, the share of each ending."""
    import csv

    from l1viz.engine.outcomes import Ending
    from l1viz.study.map import AXES

    shares = [f"share_{ending.value}" for ending in Ending] if sweep.settings.seeds > 1 else []
    columns = ["row", "column", *AXES, "ending", "dead_at_init", "steps", "decided_at"]
    columns += ["converged_at", "loss", *shares]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row, endings in enumerate(sweep.ending):
            for column, ending in enumerate(endings):
                point = sweep.cell_point(row, column)
                values = [point.get(name, 0.0) for name in AXES]
                grids = ("dead_at_init", "steps", "decided_at", "converged_at", "loss")
                measured = [getattr(sweep, name)[row][column] for name in grids]
                fractions = [sweep.fractions[e][row][column] for e in Ending] if shares else []
                writer.writerow([row, column, *values, ending.value, *measured, *fractions])


# -- entry point --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m l1viz", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train one cell and report how it ended")
    for name in PARAMETERS:
        train.add_argument(flag(name), dest=name, type=finite_float)
    add_config_arguments(train, steps=TrainConfig().steps)
    train.add_argument("--no-early-stop", action="store_true", help="train the whole budget")
    train.add_argument("--check-length", type=whole_number, default=10_000)
    train.add_argument("--json", action="store_true", help="one JSON object on the last line")
    train.add_argument(
        "--mlflow",
        action="store_true",
        help=f"log the run to MLflow (experiment {tracking.EXPERIMENT!r})",
    )
    train.add_argument(
        "--mlflow-uri",
        metavar="URI",
        help="log to this tracking URI (implies --mlflow; default: "
        f"$MLFLOW_TRACKING_URI, else {tracking.DEFAULT_URI})",
    )
    train.set_defaults(handler=command_train)

    notebook = commands.add_parser("notebook", help="replay the original notebook's run exactly")
    notebook.add_argument("--json", action="store_true", help="one JSON object on the last line")
    notebook.set_defaults(handler=command_notebook)
    add_table_parser(commands)
    add_sweep_parser(commands)
    add_schemes_parser(commands)
    return parser


def add_table_parser(commands):
    from l1viz.study.table import Magnitudes, TableSettings

    defaults, magnitudes = TableSettings(), Magnitudes()
    table = commands.add_parser("table", help="measure the notebook's 17 observations")
    table.add_argument(
        "--samples", type=whole_number, default=defaults.samples, help="initialisations per case"
    )
    table.add_argument("--steps", type=whole_number, default=defaults.steps, help="step budget")
    table.add_argument("--seed", type=whole_number, default=defaults.seed)
    table.add_argument(
        "--normal",
        type=finite_float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=[magnitudes.normal_low, magnitudes.normal_high],
        help="range of a 'normal' magnitude",
    )
    table.add_argument(
        "--small",
        type=finite_float,
        default=magnitudes.small_high,
        metavar="HIGH",
        help="a 'very small' magnitude is in (0, HIGH]",
    )
    table.add_argument("--criterion", choices=CRITERIA, default=defaults.criterion)
    table.add_argument(
        "--no-recheck",
        action="store_true",
        help="skip re-training disputed samples under the notebook's stop rule",
    )
    table.add_argument("--json", action="store_true", help="one JSON object on the last line")
    table.set_defaults(handler=command_table)


def add_sweep_parser(commands):
    from l1viz.study.map import AXES, MAX_SEEDS, SweepSettings

    defaults = SweepSettings()
    sweep = commands.add_parser(
        "sweep", help="the outcome map over two settings (initial values, lr, max_length)"
    )
    sweep.add_argument("--x", choices=AXES, default=defaults.x)
    sweep.add_argument("--y", choices=AXES, default=defaults.y)
    for axis in ("x", "y"):
        sweep.add_argument(
            f"--{axis}-range",
            type=finite_float,
            nargs=2,
            metavar=("LOW", "HIGH"),
            help="default: -1.5 1.5 for an initial value, 1e-4 1 for lr (log-spaced), 1 1000 "
            "for max_length (log-spaced whole numbers)",
        )
    sweep.add_argument("--grid", type=whole_number, default=defaults.grid, help="cells per side")
    sweep.add_argument("--steps", type=whole_number, default=defaults.steps, help="step budget")
    sweep.add_argument(
        "--fixed",
        type=fixed_value,
        action="append",
        metavar="NAME=VALUE",
        help="value of a setting off the axes (repeatable); naming a bias gives the cell biases",
    )
    sweep.add_argument("--seed", type=whole_number, default=defaults.seed)
    sweep.add_argument(
        "--seeds",
        type=whole_number,
        default=defaults.seeds,
        help=f"train each cell from this many data seeds (seed, seed + 1, ...; at most "
        f"{MAX_SEEDS}); the JSON gains the share of each ending",
    )
    sweep.add_argument("--csv", metavar="FILE", help="also write one row per cell to FILE")
    sweep.add_argument("--json", action="store_true", help="one JSON object on the last line")
    sweep.set_defaults(handler=command_sweep)


def add_schemes_parser(commands):
    from l1viz.study.schemes import SCHEMES, SchemeSettings

    defaults = SchemeSettings()
    schemes = commands.add_parser(
        "schemes", help="initialisation schemes: born dead, and how they train, by length"
    )
    schemes.add_argument(
        "--schemes",
        nargs="+",
        choices=SCHEMES,
        default=list(SCHEMES),
        metavar="NAME",
        help=f"which schemes (default: all of {', '.join(SCHEMES)})",
    )
    schemes.add_argument(
        "--max-length",
        type=whole_number,
        nargs="+",
        default=list(defaults.max_lengths),
        metavar="L",
        help="one or more maximum sequence lengths (default: 10)",
    )
    schemes.add_argument(
        "--samples", type=whole_number, default=defaults.samples, help="draws per scheme"
    )
    schemes.add_argument("--steps", type=whole_number, default=defaults.steps, help="step budget")
    schemes.add_argument("--seed", type=whole_number, default=defaults.seed)
    schemes.add_argument(
        "--bias",
        choices=("both", "with", "without"),
        default="both",
        help="cells with biases, without, or both (default)",
    )
    schemes.add_argument("--json", action="store_true", help="one JSON object on the last line")
    schemes.set_defaults(handler=command_schemes)


def command_schemes(args):
    from l1viz.engine.outcomes import Ending
    from l1viz.study.schemes import SchemeSettings, measure_schemes

    biases = {"both": (False, True), "with": (True,), "without": (False,)}[args.bias]
    settings = SchemeSettings(
        schemes=tuple(args.schemes),
        max_lengths=tuple(args.max_length),
        samples=args.samples,
        steps=args.steps,
        seed=args.seed,
        biases=biases,
    )
    bar, on_progress = _progress_bar(show=not args.json)
    label = f"Training {len(settings.schemes)} schemes × {settings.samples:,} draws"
    with bar:
        result = measure_schemes(settings, on_update=lambda r: on_progress(r.progress, label))
    if args.json:
        print_json(result.to_json())
        return
    shown = (
        Ending.CONVERGED,
        Ending.DEAD_AT_INIT,
        Ending.DIED,
        Ending.DEAD_IN_PRACTICE,
        Ending.DIVERGED,
        Ending.STALLED,
    )
    print(
        f"{'length':>6} {'bias':<5} {'scheme':<9} {'P(dead at init)':>15} "
        + " ".join(f"{e.value:>16}" for e in shown)
        + f" {'median steps':>12}"
    )
    for row in result.rows:
        shares = " ".join(f"{row.measured[e].value:>16.1%}" for e in shown)
        median = f"{row.median_steps:,.0f}" if row.median_steps is not None else "—"
        print(
            f"{row.max_length:>6} {'yes' if row.bias else 'no':<5} {row.scheme:<9} "
            f"{row.dead_at_init:>15.1%} {shares} {median:>12}"
        )


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        args.handler(args)
    except CliError as error:
        print(f"l1viz: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except ConfigError as error:
        flag = CONFIG_FLAGS.get(error.field, error.field)
        message = str(error).split(": ", 1)[-1]
        print(f"l1viz: error: argument {flag}: {message}", file=sys.stderr)
        return USAGE_ERROR
    except tracking.TrackingError as error:
        print(f"l1viz: error: {error}", file=sys.stderr)
        return TRACKING_FAILED
    return 0
