"""`sweep`: the outcome map over two settings, as a text map, JSON or one CSV row per cell."""

from __future__ import annotations

import argparse

from l1viz.cli.arguments import CliError, finish, finite_float, print_json, whole_number
from l1viz.cli.place import add_place_arguments, study_place
from l1viz.cli.train import add_activation_arguments
from l1viz.study.map import (
    ALL_AXES,
    DEFAULT_RANGES,
    MAX_SEEDS,
    SweepSettings,
    counts_text,
    measure_sweep,
    sweep_csv,
)

SYMBOLS = {
    "converged": "#",
    "dead_at_init": ".",
    "died": ",",
    "dead_in_practice": ":",
    "diverged": "X",
    "stalled": "~",
}
TEXT_GRID = 80  # largest grid drawn as text


def fixed_value(text: str) -> tuple[str, float]:
    """NAME=VALUE, e.g. b_hh=0.1."""
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), finite_float(value)


def add_parser(commands):
    sweep = commands.add_parser(
        "sweep", help="the outcome map over two settings (initial values, lr, max_length, slope)"
    )
    add_map_arguments(sweep)
    sweep.add_argument("--csv", metavar="FILE", help="also write one row per cell to FILE")
    add_place_arguments(sweep)
    sweep.add_argument("--json", action="store_true", help="one JSON object on the last line")
    return finish(sweep, run)


def add_map_arguments(sweep) -> None:
    """The map's own flags (the boundary study's first level takes them too)."""
    defaults = SweepSettings()
    sweep.add_argument("--x", choices=ALL_AXES, default=defaults.x)
    sweep.add_argument("--y", choices=ALL_AXES, default=defaults.y)
    for axis in ("x", "y"):
        sweep.add_argument(
            f"--{axis}-range",
            type=finite_float,
            nargs=2,
            metavar=("LOW", "HIGH"),
            help="default: -1.5 1.5 for an initial value, 1e-4 1 for lr (log-spaced), 1 1000 "
            "for max_length (log-spaced whole numbers), 1e-4 0.5 for slope (log-spaced)",
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
    add_activation_arguments(
        sweep, help="the activation every cell trains under (a slope axis: leaky_relu or prelu)"
    )


def map_settings(args) -> SweepSettings:
    return SweepSettings(
        x=args.x,
        y=args.y,
        x_range=tuple(args.x_range or DEFAULT_RANGES[args.x]),
        y_range=tuple(args.y_range or DEFAULT_RANGES[args.y]),
        grid=args.grid,
        steps=args.steps,
        fixed=tuple(args.fixed or ()),
        seed=args.seed,
        seeds=args.seeds,
        activation=args.activation,
        slope=args.slope,
    )


def run(args):
    settings = map_settings(args)
    if args.csv:
        _check_writable(args.csv)
    label = f"Training {len(settings.axis_values('x')) * len(settings.axis_values('y')):,} cells"
    with study_place(args) as study:
        sweep = measure_sweep(
            settings, on_update=lambda m: study.progress(m.progress, label), runner=study.runner
        )
    if args.csv:
        write_csv(sweep, args.csv)
    if args.json:
        print_json(sweep.to_json())
        return
    if len(sweep.xs) <= TEXT_GRID:
        print(
            f"{settings.y} ↑ (top row = {sweep.ys[-1]:.4g}), {settings.x} → "
            f"(left column = {sweep.xs[0]:.4g}); "
            + ", ".join(f"{symbol} {name}" for name, symbol in SYMBOLS.items())
        )
        for row in reversed(sweep.ending):
            print("".join(SYMBOLS[ending.value] for ending in row))
    print(f"outcomes: {counts_text(sweep.counts())}")


def _check_writable(path: str):
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise CliError(f"argument --csv: cannot write {path!r}: {error.strerror}") from None


def write_csv(sweep, path: str):
    """One row per grid cell (`l1viz.study.map.sweep_csv`, as the map page's download)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write(sweep_csv(sweep))
