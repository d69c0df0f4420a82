"""One initialisation trained from many data seeds: was the run the user watched typical?

The same initial values and hyperparameters, trained on the batches of seeds seed, seed + 1, ...:
each run's ending and its loss and parameters over time (a bounded history each), so a chart can
fan them out and the split of endings can be read off.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from l1viz.engine.config import WEIGHT_NAMES, Init, TrainConfig
from l1viz.engine.outcomes import Ending, RunResult
from l1viz.engine.trainer import Trainer
from l1viz.study.batch import run_trainers

# Rows kept per run: enough for a chart, small for 32 runs.
FAN_HISTORY_ROWS = 2_000
# The cell's net bias, the one bias the dynamics depend on.
NET_BIAS = "b"


def fan_parameters(bias: bool) -> tuple[str, ...]:
    """The parameter series each run carries: the weights and, with bias, the net bias."""
    return WEIGHT_NAMES + ((NET_BIAS,) if bias else ())


@dataclass(frozen=True)
class SeedRun:
    seed: int
    result: RunResult
    steps: np.ndarray
    series: dict[str, np.ndarray]  # loss, w_hh, w_ih and, with bias, b = b_hh + b_ih


@dataclass(frozen=True)
class SeedFan:
    init: Init
    config: TrainConfig
    runs: tuple[SeedRun, ...]
    progress: float = 1.0

    def split(self) -> dict[Ending, float]:
        counts = Counter(run.result.ending for run in self.runs)
        return {ending: counts[ending] / len(self.runs) for ending in Ending if counts[ending]}


def seed_fan(
    init: Init,
    config: TrainConfig,
    seeds: int = 32,
    on_update: Callable[[SeedFan], None] | None = None,
) -> SeedFan:
    """Train `init` from data seeds config.seed, config.seed + 1, ... (`seeds` of them)."""
    configs = [
        replace(config, seed=config.seed + index, history_rows=FAN_HISTORY_ROWS)
        for index in range(seeds)
    ]
    trainers = [Trainer(init, each) for each in configs]

    def snapshot(progress: float) -> SeedFan:
        done = tuple(_run(trainer) for trainer in trainers if trainer.done)
        return SeedFan(init, config, done, progress)

    run_trainers(trainers, (lambda share: on_update(snapshot(share))) if on_update else None)
    return snapshot(1.0)


def _run(trainer: Trainer) -> SeedRun:
    table = trainer.history.table()
    series = {name: np.asarray(table[name]) for name in ("loss", *WEIGHT_NAMES)}
    if trainer.config.bias:
        series[NET_BIAS] = np.asarray(table["b_hh"]) + np.asarray(table["b_ih"])
    return SeedRun(trainer.config.seed, trainer.results()[0], np.asarray(table["step"]), series)
