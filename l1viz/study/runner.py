"""Where a study's models train: the batches a study hands over, and the in-process runner.

A study describes its work as `ModelBatch`es (models that share one data stream: a config, their
initial values and, optionally, a learning rate each) and asks a runner to train them, hearing of
each model once it has ended. Each model trains exactly as if alone (trainer.py), so the results
are the same whichever runner trains them, however it groups the models: this process (below), or
tiles on a Dask cluster (`l1viz.study.cluster`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import torch

from l1viz.engine.config import TrainConfig
from l1viz.engine.kernel.threads import WORKERS as KERNEL_THREADS
from l1viz.engine.outcomes import TRAINING, RunResult
from l1viz.engine.trainer import Trainer
from l1viz.study.batch import Progress, run_trainers

# Told which models of which batch have ended (indices into the batch, in order) and how.
Ended = Callable[[int, Sequence[int], list[RunResult]], None]


@dataclass(frozen=True, eq=False)
class ModelBatch:
    """Models trained on one data stream: `inits` (K, 4) as Trainer takes them, and per-model
    learning rates and slopes alpha (None: config.lr, config.slope for all)."""

    inits: torch.Tensor
    config: TrainConfig
    learning_rates: torch.Tensor | None = None
    alphas: torch.Tensor | None = None

    @property
    def count(self) -> int:
        return len(self.inits)

    def trainer(self, start: int = 0, stop: int | None = None, device: str | None = None):
        """A trainer for models start..stop of the batch (all by default), on `device`."""
        config = self.config if device is None else replace(self.config, device=device)
        rates = None if self.learning_rates is None else self.learning_rates[start:stop]
        alphas = None if self.alphas is None else self.alphas[start:stop]
        return Trainer(self.inits[start:stop], config, learning_rates=rates, alphas=alphas)


class Runner(Protocol):
    """Trains batches to their end; `on_progress` gets the share of model-steps done."""

    where: str  # where the models train, in a few words for a page or the CLI
    cores: int  # the kernel threads it trains on at once

    def run(
        self, batches: Sequence[ModelBatch], on_ended: Ended, on_progress: Progress | None = None
    ) -> None: ...


class InProcess:
    """One trainer per batch in this process, a chunk of steps at a time: the default."""

    where = "in this process"
    cores = KERNEL_THREADS

    def __init__(self, device: str | None = None):
        self.device = device  # None: each batch's config.device

    def run(
        self, batches: Sequence[ModelBatch], on_ended: Ended, on_progress: Progress | None = None
    ) -> None:
        trainers = [batch.trainer(device=self.device) for batch in batches]
        reported = [np.zeros(trainer.count, dtype=bool) for trainer in trainers]

        def report() -> None:
            for index, trainer in enumerate(trainers):
                _report_ended(index, trainer, reported[index], on_ended)

        def after_chunk(done: float) -> None:
            report()
            if on_progress:
                on_progress(done)

        run_trainers(trainers, after_chunk)
        report()


def _report_ended(index: int, trainer: Trainer, reported: np.ndarray, on_ended: Ended) -> None:
    """Tell of the models of this trainer that have ended since the last report."""
    if reported.all():
        return
    ended = np.array([code != TRAINING for code in trainer.outcome_codes()])
    fresh = np.flatnonzero(ended & ~reported).tolist()
    if not fresh:
        return
    reported[fresh] = True
    on_ended(index, fresh, trainer.results(fresh))
