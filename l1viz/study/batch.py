"""Drive several trainers to their end in chunks, reporting progress between chunks (a UI's
progress bar, the CLI's tqdm bar).

While they train, torch runs on one thread: the trainer's per-step operations on (rows, K) tensors
are tiny, and handing them to torch's OpenMP team costs more than it saves on two shared cores
(history in the commit that introduced this). The compiled kernel keeps its own threads; each
model's result is the same however the work is split, only the speed changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from l1viz.engine.trainer import Trainer

CHUNK_STEPS = 500  # steps between reports

# Called after every chunk with the share of the model-steps done so far.
Progress = Callable[[float], None]


@contextmanager
def torch_on_one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_trainers(trainers: list[Trainer], on_chunk: Progress | None = None) -> None:
    """Train every trainer to its end, a chunk at a time; a trainer whose models have all reached
    a verdict counts as done."""
    total = sum(trainer.count * trainer.config.steps for trainer in trainers) or 1
    with torch_on_one_thread():
        while not all(trainer.done for trainer in trainers):
            for trainer in trainers:
                trainer.step(CHUNK_STEPS)
            if on_chunk:
                done = sum(
                    trainer.count * (trainer.config.steps if trainer.done else trainer.steps_done)
                    for trainer in trainers
                )
                on_chunk(done / total)
