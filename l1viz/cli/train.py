"""`train`: one run from given initial values (PyTorch's default init from --seed for the rest);
how it ended, why, and a long-sequence check; `--mlflow` logs it."""

from __future__ import annotations

import sys

from tqdm import tqdm

from l1viz import tracking
from l1viz.cli.arguments import (
    CliError,
    Parser,
    finish,
    finite_float,
    flag,
    print_json,
    sets,
    whole_number,
)
from l1viz.engine.config import (
    ACTIVATIONS,
    CRITERIA,
    OPTIMIZERS,
    PARAMETERS,
    SETUP_FIELDS,
    TRANSFORMS,
    Init,
    TrainConfig,
    cell_parameters,
)
from l1viz.engine.long_sequence import long_sequence_check
from l1viz.engine.pytorch_init import default_init
from l1viz.engine.trainer import Trainer
from l1viz.study.vocabulary import sentence

# The settings given by their own option (the cell's bias is --no-bias).
ARGUMENT_FIELDS = tuple(name for name in SETUP_FIELDS if name != "bias")
ENGINE_FIELDS = ("dead_patience", "device")
PROGRESS_CHUNK = 500  # steps between updates of the progress bar


def add_parser(commands):
    train = commands.add_parser("train", help="train one cell and report how it ended")
    for name in PARAMETERS:
        sets(train.add_argument(flag(name), dest=name, type=finite_float), "init")
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
    return finish(train, run)


def add_config_arguments(parser, steps: int):
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
    add_activation_arguments(parser)
    parser.add_argument("--no-bias", action="store_true", help="a cell without b_hh, b_ih")
    parser.add_argument("--dead-patience", type=whole_number, default=defaults.dead_patience)
    parser.add_argument("--device", default=defaults.device)


def add_activation_arguments(parser, help: str = "the cell's activation (relu: the notebook's)"):
    parser.add_argument(
        "--activation", choices=ACTIVATIONS, default=TrainConfig.activation, help=help
    )
    parser.add_argument(
        "--slope",
        type=finite_float,
        help="alpha in (0, 1): leaky_relu's slope below 0 (default 0.01), prelu's initial one "
        "(default 0.25)",
    )


def config_from(args, **overrides) -> TrainConfig:
    values = {name: getattr(args, name) for name in (*ARGUMENT_FIELDS, *ENGINE_FIELDS)}
    return TrainConfig(**values, bias=not args.no_bias, **overrides)


def init_from(args, bias: bool) -> Init:
    """Given values, and PyTorch's default init from --seed for the rest."""
    values = default_init(args.seed, bias).as_dict()
    for name in PARAMETERS:
        given = getattr(args, name)
        if given is not None:
            values[name] = given
    if not bias:
        values.update(b_hh=0.0, b_ih=0.0)
    return Init(**values)


def run(args):
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
    _print_results(args, config, result, check, logged)
    if failure is not None:
        raise failure


def _print_results(args, config, result, check, logged: dict | None):
    if args.json:
        print_json(
            {
                "outcome": result.outcome,
                "steps": result.steps,
                "converged_at": result.converged_at,
                "died_at": result.died_at,
                "diverged_at": result.diverged_at,
                "silent_from": result.silent_from,
                "revived_at": result.revived_at,
                "revived_from": result.revived_from,
                "dead_at_init": result.dead_at_init,
                "initial": result.initial,
                "params": result.params,
                "loss": result.loss,
                "long_sequence": check.as_dict(),
                "explanation": sentence(result, config),
                "config": config.as_dict(),
                "mlflow": logged,
            }
        )
        return
    print(f"final:   {_format_params(result.params, config.bias)}")
    print(f"outcome: {result.outcome} after {result.steps:,} steps, batch loss {result.loss:.6g}")
    print(sentence(result, config))
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
    with tqdm(total=trainer.config.steps, unit="step", disable=not show, file=sys.stderr) as bar:
        while not trainer.done:
            bar.update(trainer.step(PROGRESS_CHUNK))
            bar.set_postfix(loss=f"{trainer.last['loss'][0].item():.3g}", refresh=False)


# Field -> flag of `train`, as `main` reads it from the parser (for callers that do not parse).
CONFIG_FLAGS = add_parser(Parser().add_subparsers()).get_default("config_flags")
