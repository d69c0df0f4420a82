"""The settings a "Load" button hands to the live view (in its URL parameter names), built so that
the live run repeats a measured one exactly: same initial values, hyperparameters, seed and budget.

Study results carry engine settings (`TrainConfig`) and initial values; this is where the dashboard
turns them into its own."""

from __future__ import annotations

from l1viz.engine.config import SETUP_FIELDS, Init, TrainConfig
from l1viz.live.settings import Settings
from l1viz.study.map import SweepResult


def live_settings(init: Init, config: TrainConfig) -> dict:
    values = {**init.as_dict(), **{name: getattr(config, name) for name in SETUP_FIELDS}}
    if values["slope"] is None:  # the activation's own (or none): a link leaves it out
        del values["slope"]
    return values


def map_cell_settings(sweep: SweepResult, row: int, column: int, seed_index: int = 0) -> dict:
    """The live view's settings that replay the map's grid cell at (row, column)."""
    point = sweep.cell_point(row, column)
    settings = sweep.settings
    config = settings.train_config(point, seed=settings.seed + seed_index)
    return live_settings(settings.init_at(point), config)


def budget_note(previous: Settings, loaded: Settings) -> list[str]:
    """What the live view says when a "Load" replaces the user's step budget with the measured
    run's (nothing if it is the same): the budget decides when a run is called stalled."""
    if previous.steps == loaded.steps:
        return []
    return [
        f"Step budget set to {loaded.steps:,}, the measured run's budget (it was "
        f"{previous.steps:,}), so this run repeats the measurement."
    ]
