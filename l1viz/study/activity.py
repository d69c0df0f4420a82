"""Where the cell fires, step by step inside one batch: the activity raster.

For the parameters of one training step and the batch that step trained on, every sequence b and
time t gives the pre-activation z_bt = w_hh h_b(t-1) + w_ih f(x_bt) + b (positive: the cell fires;
under ReLU only there does gradient flow back, under the other activations a little flows below 0
too) and dL/dh_bt, the gradient of the batch loss with respect to the hidden state (the engine's
own backward pass, `Cell.state_gradients`). A ReLU cell going dark shows as the positive cells
thinning out until none is left; from then on every gradient is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from l1viz.engine.cell import Cell
from l1viz.engine.data import Batch


@dataclass(frozen=True)
class Activity:
    fired: np.ndarray  # (B, T) bool: z_bt > 0
    grad: np.ndarray  # (B, T) float: dL/dh_bt
    lengths: np.ndarray  # (B,) each sequence's length before padding
    loss: float


def activity(cell: Cell, params: torch.Tensor, batch: Batch) -> Activity:
    """`params`: one model's parameter column (rows, 1)."""
    with torch.no_grad():
        states = cell.hidden_states(params, batch.x)[:, 0, :]  # (T + 1, B)
        steps = batch.x.shape[0]
        error = states[steps] - batch.target
        loss = float((error * error).mean())
        grads = cell.state_gradients(params, batch)[:, 0, :]  # (T, B)
        fired = cell.pre_activations(params, batch.x)[:, 0, :] > 0
    lengths = (batch.x != 0).int().cumsum(0).argmax(0) + 1
    return Activity(
        fired=fired.T.numpy(),
        grad=grads.T.numpy(),
        lengths=lengths.numpy(),
        loss=loss,
    )
