"""Drive several trainers to their end in chunks, reporting progress between chunks (a UI's
progress bar, the CLI's tqdm bar)."""

from __future__ import annotations

from collections.abc import Callable

from .trainer import Trainer

CHUNK_STEPS = 500  # steps between progress reports

Progress = Callable[[float, str], None]


def run_trainers(trainers: list[Trainer], on_progress: Progress | None, label: str):
    """`on_progress(share of model-steps done, label)`; a trainer whose models have all reached a
    verdict counts as done."""
    total = sum(trainer.count * trainer.config.steps for trainer in trainers) or 1
    while not all(trainer.done for trainer in trainers):
        for trainer in trainers:
            trainer.step(CHUNK_STEPS)
        if on_progress:
            done = sum(
                trainer.count * (trainer.config.steps if trainer.done else trainer.steps_done)
                for trainer in trainers
            )
            on_progress(done / total, label)
