"""`schemes`: how often each initialisation scheme gives a cell born dead, and how its draws
train, by maximum sequence length."""

from __future__ import annotations

from l1viz.cli.arguments import finish, print_json, sets, whole_number
from l1viz.cli.place import add_place_arguments, study_place
from l1viz.cli.train import add_activation_arguments
from l1viz.engine.outcomes import Ending
from l1viz.study.schemes import SCHEMES, SchemeSettings, measure_schemes

BIASES = {"both": (False, True), "with": (True,), "without": (False,)}
SHOWN = (
    Ending.CONVERGED,
    Ending.DEAD_AT_INIT,
    Ending.DIED,
    Ending.DEAD_IN_PRACTICE,
    Ending.DIVERGED,
    Ending.STALLED,
)


def add_parser(commands):
    defaults = SchemeSettings()
    schemes = commands.add_parser(
        "schemes", help="initialisation schemes: born dead, and how they train, by length"
    )
    names = schemes.add_argument(
        "--schemes",
        nargs="+",
        choices=SCHEMES,
        default=list(SCHEMES),
        metavar="NAME",
        help=f"which schemes (default: all of {', '.join(SCHEMES)})",
    )
    sets(names, "scheme")
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
        choices=tuple(BIASES),
        default="both",
        help="cells with biases, without, or both (default)",
    )
    add_activation_arguments(schemes, help="the activation the draws train under (default relu)")
    add_place_arguments(schemes)
    schemes.add_argument("--json", action="store_true", help="one JSON object on the last line")
    return finish(schemes, run)


def run(args):
    settings = SchemeSettings(
        schemes=tuple(args.schemes),
        max_lengths=tuple(args.max_length),
        samples=args.samples,
        steps=args.steps,
        seed=args.seed,
        biases=BIASES[args.bias],
        activation=args.activation,
        slope=args.slope,
    )
    label = f"Training {len(settings.schemes)} schemes × {settings.samples:,} draws"
    with study_place(args) as study:
        result = measure_schemes(
            settings, on_update=lambda r: study.progress(r.progress, label), runner=study.runner
        )
    if args.json:
        print_json(result.to_json())
        return
    print(
        f"{'length':>6} {'bias':<5} {'scheme':<9} {'P(dead at init)':>15} "
        + " ".join(f"{e.value:>16}" for e in SHOWN)
        + f" {'median steps':>12}"
    )
    for row in result.rows:
        shares = " ".join(f"{row.measured[e].value:>16.1%}" for e in SHOWN)
        median = f"{row.median_steps:,.0f}" if row.median_steps is not None else "—"
        print(
            f"{row.max_length:>6} {'yes' if row.bias else 'no':<5} {row.scheme:<9} "
            f"{row.dead_at_init:>15.1%} {shares} {median:>12}"
        )
