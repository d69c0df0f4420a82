"""Training data: sequences of N(0, 1) values with lengths uniform in 1..max_length, zero-padded
to the longest sequence of the batch, labelled with their L1 norm.

Two generators. `BatchStream` is vectorised and owns its seeded generator: it draws many steps at
once so a training step only slices. `notebook_batch` consumes torch's global RNG exactly as the
original notebook did (per sample: one `randint` for the length, then one `randn`), so the notebook
run can be replayed bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn.utils.rnn import pad_sequence

# Values drawn per chunk; a chunk covers many steps so generation costs little per step.
CHUNK_VALUES = 1 << 20
CHUNK_STEPS = 4096


@dataclass(frozen=True)
class Batch:
    """x is time-major (T, B): the cell walks over the first axis. T = longest sequence.

    `features` are the model-independent input features the cell needs (see `Cell.prepare`),
    computed once per chunk of batches; empty when the batch was built by hand.
    """

    x: torch.Tensor
    target: torch.Tensor
    features: tuple[torch.Tensor, ...] = ()


class BatchStream:
    """The same seed and settings give the same batches, whatever the models trained on them."""

    def __init__(self, batch_size: int, max_length: int, seed: int, device="cpu", prepare=None):
        self.prepare = prepare
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = torch.device(device)
        self.steps_per_chunk = max(1, min(CHUNK_STEPS, CHUNK_VALUES // (batch_size * max_length)))
        self._generator = torch.Generator().manual_seed(seed)
        self._chunk: list[Batch] = []

    def next(self) -> Batch:
        if not self._chunk:
            self._chunk = self._draw_chunk()
        return self._chunk.pop()

    def _draw_chunk(self) -> list[Batch]:
        steps, batch, longest = self.steps_per_chunk, self.batch_size, self.max_length
        lengths = torch.randint(1, longest + 1, (steps, 1, batch), generator=self._generator)
        values = torch.randn(steps, longest, batch, generator=self._generator)
        values *= torch.arange(longest).view(1, longest, 1) < lengths
        values = values.to(self.device)
        targets = values.abs().sum(1)
        features = self.prepare(values) if self.prepare else ()
        step_lengths = lengths.amax(2).flatten().tolist()
        batches = [
            Batch(
                values[s, : step_lengths[s]],
                targets[s],
                tuple(feature[s, : step_lengths[s]] for feature in features),
            )
            for s in range(steps)
        ]
        batches.reverse()  # popped from the end: the first drawn is used first
        return batches


def notebook_batch(batch_size: int, max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The notebook's own sampling, on the global RNG: (B, T, 1) padded batch and (B,) targets."""
    sequences, targets = [], []
    for _ in range(batch_size):
        length = torch.randint(1, max_length + 1, (1,)).item()
        sequence = torch.randn(length, 1)
        sequences.append(sequence)
        targets.append(torch.sum(torch.abs(sequence)).reshape(1))
    return pad_sequence(sequences, batch_first=True), torch.cat(targets)
