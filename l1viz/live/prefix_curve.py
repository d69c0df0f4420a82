"""The live view's long-sequence check as a curve: a run's parameters at one step on a single
N(0, 1) sequence of length 10,000 drawn from the run's seed, answered at every prefix length. The
state after t inputs is the answer for the first t values, so one pass gives every length."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from l1viz.engine.cell import Cell
from l1viz.engine.long_sequence import (
    DEFAULT_LENGTH,
    LongSequenceCheck,
    prefix_predictions,
    sequence,
)


@dataclass(frozen=True)
class PrefixCurve:
    """The cell's output on every prefix of one long sequence, at log-spaced lengths."""

    lengths: list[int]
    predicted: list[float]
    actual: list[float]
    check: LongSequenceCheck  # the full length


def prefix_curve(
    cell: Cell, params: torch.Tensor, seed: int, length: int = DEFAULT_LENGTH, points: int = 200
) -> PrefixCurve:
    """`params` (rows, 1) on the sequence of `length` seeded by `seed`."""
    values = sequence(length, seed)
    predicted, actual = prefix_predictions(cell, params, values)
    lengths = sorted({round(length ** (i / (points - 1))) for i in range(points)})
    rows = [n - 1 for n in lengths]
    return PrefixCurve(
        lengths=lengths,
        predicted=predicted[rows].tolist(),
        actual=actual[rows].tolist(),
        check=LongSequenceCheck(length, predicted[-1].item(), actual[-1].item()),
    )


def parameters_at(table: dict, names: tuple[str, ...], row: int) -> torch.Tensor:
    """(rows, 1) parameters of one recorded row of a trajectory (`LiveRun.trajectory`)."""
    return torch.tensor([[float(table[name][row])] for name in names])
