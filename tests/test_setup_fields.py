"""Every list of a run's settings is read from config.SETUP_FIELDS and PARAMETERS: a field added to
TrainConfig reaches the live settings, the session's run table, MLflow and the CLI."""

from __future__ import annotations

import time
from dataclasses import fields

import pytest

from l1viz import cli, tracking
from l1viz.engine.config import (
    PARAMETERS,
    SETUP_FIELDS,
    Init,
    TrainConfig,
    cell_parameters,
)
from l1viz.engine.trainer import Trainer
from l1viz.live.run import LiveRun
from l1viz.live.run_log import BUDGET, RunLog
from l1viz.live.settings import Settings


def test_setup_fields_are_train_configs_fields_less_the_engines():
    assert SETUP_FIELDS == (
        "lr",
        "optimizer",
        "batch_size",
        "max_length",
        "seed",
        "steps",
        "bias",
        "transform",
        "criterion",
        "tolerance",
        "activation",
        "slope",
    )
    assert cell_parameters(True) == PARAMETERS == ("w_hh", "w_ih", "b_hh", "b_ih")
    assert cell_parameters(False) == ("w_hh", "w_ih")


def test_live_settings_hold_the_cells_parameters_and_every_setup_field():
    assert {f.name for f in fields(Settings)} == {*PARAMETERS, *SETUP_FIELDS}
    settings = Settings(lr=0.01, batch_size=8, steps=77, criterion="loss", tolerance=0.5)
    config = settings.config()
    for name in SETUP_FIELDS:
        assert getattr(config, name) == getattr(settings, name), name


def test_the_run_tables_row_carries_every_setup_field():
    run = LiveRun(Settings(steps=40, lr=0.02, seed=7))
    deadline = time.monotonic() + 60
    while not run.done:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    log = RunLog()
    log.record(run, 40)
    row = log.records()[0].summary()
    expected = {BUDGET if name == "steps" else name for name in SETUP_FIELDS}
    assert expected <= set(row)
    assert row["lr"] == 0.02 and row["seed"] == 7 and row[BUDGET] == 40


@pytest.mark.parametrize("bias", [True, False])
def test_mlflow_params_are_the_cells_initial_values_and_the_setup(bias):
    config = TrainConfig(steps=5, bias=bias, lr=0.05)
    trainer = Trainer(Init(0.5, 0.5, 0.1, 0.1), config)
    trainer.step(5)
    params = tracking.run_params(config, trainer.results()[0])
    initial = {f"initial_{name}" for name in cell_parameters(bias)}
    assert set(params) == initial | set(SETUP_FIELDS)
    assert params["lr"] == "0.05" and params["bias"] == str(bias)


def test_every_config_flag_is_an_option_of_train():
    commands = cli.build_parser()._subparsers._group_actions[0]
    train = commands.choices["train"]
    options = {option for action in train._actions for option in action.option_strings}
    for name in (*cli.ARGUMENT_FIELDS, *cli.ENGINE_FIELDS, *PARAMETERS, "init"):
        for option in cli.CONFIG_FLAGS[name].split("/"):
            assert option in options, (name, option)


def test_train_options_set_every_setup_field():
    args = cli.build_parser().parse_args(
        ["train", "--lr", "0.02", "--batch-size", "8", "--max-length", "5", "--seed", "3"]
        + ["--steps", "9", "--no-bias", "--transform", "relu-pair", "--criterion", "loss"]
        + ["--tolerance", "0.25", "--optimizer", "sgd", "--activation", "prelu", "--slope", "0.5"]
    )
    config = cli.config_from(args)
    given = {
        "lr": 0.02,
        "optimizer": "sgd",
        "batch_size": 8,
        "max_length": 5,
        "seed": 3,
        "steps": 9,
        "bias": False,
        "transform": "relu-pair",
        "criterion": "loss",
        "tolerance": 0.25,
        "activation": "prelu",
        "slope": 0.5,
    }
    assert {name: getattr(config, name) for name in SETUP_FIELDS} == given
