"""Per activation: is the notebook's solution (w_hh = w_ih = 1, b = 0) a solution, computed on the
training data itself, and what bounds the loss where it is not.

At w = 1, b = 0 the pre-activation is z_{t+1} = h_t + |x_t| >= 0, so a cell whose phi is the
identity on z >= 0 (ReLU, leaky ReLU, PReLU, ELU) adds the values up exactly as the target does
(left to right in float32): the loss is exactly 0. softplus(z) = z + log(1 + e^-z) > z adds up to
ln 2 per step too much; no constant bias can take that back (it would have to be
log(1 - e^-(h + |x|)), which changes with h + |x|), so softplus has no exact solution at all.
tanh(z) < 1 cannot output a norm above 1, and most norms are above 1: its best is to saturate,
h -> 1, and its loss cannot fall below the mean of (y - 1)^2 over the targets y > 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

from l1viz.engine.cell import Cell
from l1viz.engine.config import SLOPE_DEFAULTS, TrainConfig
from l1viz.engine.data import batch_at

# Batches of the default data stream the figures are computed on.
SOLUTION_BATCHES = 64


@dataclass(frozen=True)
class SolutionCheck:
    activation: str
    target_loss: float  # mean batch loss at w_hh = w_ih = 1, b = 0
    bounded_floor: float | None  # tanh: the least loss an output below 1 allows

    @property
    def exact(self) -> bool:
        """w = 1, b = 0 computes the L1 norm exactly (the exact rule can hold)."""
        return self.target_loss == 0.0


@cache
def solution_check(activation: str, batches: int = SOLUTION_BATCHES) -> SolutionCheck:
    """The loss at the notebook's solution, on the first `batches` batches of the default data
    stream (TrainConfig's batch size, length and seed), and tanh's floor on the same targets."""
    defaults = TrainConfig()
    cell = Cell(False, "where", activation)
    alpha = [SLOPE_DEFAULTS[activation]] if activation in SLOPE_DEFAULTS else []
    params = torch.tensor([[1.0], [1.0]] + [alpha] * bool(alpha))
    losses, floors = [], []
    for step in range(batches):
        batch = batch_at(defaults.seed, defaults.batch_size, defaults.max_length, step)
        loss, _, _ = cell.loss_and_grads(params, batch, force_torch=True)
        losses.append(loss.item())
        above = (batch.target - 1).clamp(min=0)
        floors.append((above * above).mean().item())
    floor = sum(floors) / batches if activation == "tanh" else None
    return SolutionCheck(activation, sum(losses) / batches, floor)
