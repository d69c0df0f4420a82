"""Does the trained cell compute the L1 norm beyond the lengths it saw? One long sequence, run once:
the state after t inputs is the prediction for the first t values, so a single pass gives the
prediction at every length."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from l1viz.engine.cell import Cell

DEFAULT_LENGTH = 10_000


@dataclass(frozen=True)
class LongSequenceCheck:
    length: int
    predicted: float
    actual: float

    @property
    def finite(self) -> bool:
        return math.isfinite(self.predicted)

    @property
    def relative_error(self) -> float:
        """|predicted - actual| / actual; inf when the prediction is not finite."""
        if not self.finite:
            return math.inf
        return abs(self.predicted - self.actual) / self.actual if self.actual else math.inf

    def as_dict(self) -> dict:
        return {
            "length": self.length,
            "predicted": self.predicted,
            "actual": self.actual,
            "relative_error": self.relative_error,
        }


def sequence(length: int, seed: int) -> torch.Tensor:
    """The N(0, 1) test sequence of a given length and seed (its own generator)."""
    return torch.randn(length, generator=torch.Generator().manual_seed(seed))


def prefix_predictions(cell: Cell, params: torch.Tensor, values: torch.Tensor):
    """(predicted, actual) L1 norm of every prefix of one sequence `values` (L,), model 0."""
    column = params[:, :1].to("cpu")
    states = cell.hidden_states(column, values.view(-1, 1))
    predicted = states[1:, 0, 0]
    actual = torch.cumsum(values.abs().double(), 0)
    return predicted, actual


def long_sequence_check(
    cell: Cell, params: torch.Tensor, length: int = DEFAULT_LENGTH, seed: int = 0, values=None
) -> LongSequenceCheck:
    """Prediction vs true L1 norm on one N(0, 1) sequence of `length` (or on `values`)."""
    if values is None:
        values = sequence(length, seed)
    predicted, actual = prefix_predictions(cell, params, values)
    return LongSequenceCheck(len(values), predicted[-1].item(), actual[-1].item())
