"""The settings a "Load" button hands to the live view (in its URL parameter names), built so that
the live run repeats a measured one exactly: same initial values, hyperparameters, seed and budget.

Study results carry engine settings (`TrainConfig`) and initial values; this is where the dashboard
turns them into its own."""

from __future__ import annotations

from l1viz.engine.config import TrainConfig
from l1viz.study.observations import PARAMETERS
from l1viz.study.sweep import SweepSettings, cell_init

CONFIG_FIELDS = (
    "bias",
    "lr",
    "optimizer",
    "batch_size",
    "max_length",
    "seed",
    "steps",
    "transform",
    "criterion",
)


def config_settings(config: TrainConfig) -> dict:
    return {name: getattr(config, name) for name in CONFIG_FIELDS}


def live_settings(init: dict, config: TrainConfig) -> dict:
    """`init` maps w_hh, w_ih, b_hh, b_ih to floats; the rest comes from `config`."""
    return {**{name: float(init[name]) for name in PARAMETERS}, **config_settings(config)}


def map_cell_settings(settings: SweepSettings, sweep: dict, row: int, column: int) -> dict:
    """The live view's settings that replay the map's grid cell at (row, column)."""
    return live_settings(cell_init(sweep, row, column), settings.train_config())
