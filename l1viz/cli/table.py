"""`table`: the notebook's 17 observations, each measured over its sign region."""

from __future__ import annotations

from l1viz.cli.arguments import finish, finite_float, print_json, sets, whole_number
from l1viz.cli.place import add_place_arguments, study_place
from l1viz.cli.train import add_activation_arguments
from l1viz.engine.config import CRITERIA
from l1viz.study.table import (
    Magnitudes,
    TableSettings,
    comparison,
    measure_table,
    measured_summary,
)


def add_parser(commands):
    defaults, magnitudes = TableSettings(), Magnitudes()
    table = commands.add_parser("table", help="measure the notebook's 17 observations")
    table.add_argument(
        "--samples", type=whole_number, default=defaults.samples, help="initialisations per case"
    )
    table.add_argument("--steps", type=whole_number, default=defaults.steps, help="step budget")
    table.add_argument("--seed", type=whole_number, default=defaults.seed)
    normal = table.add_argument(
        "--normal",
        type=finite_float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=[magnitudes.normal_low, magnitudes.normal_high],
        help="range of a 'normal' magnitude",
    )
    sets(normal, "normal_low", "normal_high")
    small = table.add_argument(
        "--small",
        type=finite_float,
        default=magnitudes.small_high,
        metavar="HIGH",
        help="a 'very small' magnitude is in (0, HIGH]",
    )
    sets(small, "small_high")
    table.add_argument("--criterion", choices=CRITERIA, default=defaults.criterion)
    table.add_argument(
        "--no-recheck",
        action="store_true",
        help="skip re-training disputed samples under the notebook's stop rule",
    )
    add_activation_arguments(
        table, help="also train every sample under this activation, beside ReLU (the remedy)"
    )
    add_place_arguments(table)
    table.add_argument("--json", action="store_true", help="one JSON object on the last line")
    return finish(table, run)


def run(args):
    magnitudes = Magnitudes(args.normal[0], args.normal[1], args.small)
    settings = TableSettings(
        samples=args.samples,
        steps=args.steps,
        seed=args.seed,
        magnitudes=magnitudes,
        criterion=args.criterion,
        recheck=not args.no_recheck,
        activation=args.activation,
        slope=args.slope,
    )
    with study_place(args) as study:
        table = measure_table(
            settings, on_update=lambda t: study.progress(t.progress, t.phase), runner=study.runner
        )
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
        if row.remedy:
            print(f"{'':<10} {comparison(row.measured, row.remedy)}")
