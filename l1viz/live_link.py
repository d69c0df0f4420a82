"""The settings a "Load" button hands to the live view (its URL parameter names), built so that the
live run repeats the measured one exactly: same initial values, hyperparameters, seed and budget."""

from __future__ import annotations

from .config import TrainConfig
from .observations import PARAMETERS

CONFIG_FIELDS = ("bias", "lr", "optimizer", "batch_size", "max_length", "seed", "steps",
                 "transform", "criterion")


def config_settings(config: TrainConfig) -> dict:
    return {name: getattr(config, name) for name in CONFIG_FIELDS}


def live_settings(init: dict, config: TrainConfig) -> dict:
    """`init` maps w_hh, w_ih, b_hh, b_ih to floats; the rest comes from `config`."""
    return {**{name: float(init[name]) for name in PARAMETERS}, **config_settings(config)}
