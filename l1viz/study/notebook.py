"""The original notebook's run, replayed bit for bit.

Same RNG use (manual_seed(42), nn.RNNCell's own init, per-sample randint then randn), same modules
(nn.RNNCell without bias, MSELoss, torch.optim.Adam at lr 0.001), same stop rule (both weights
exactly 1.0, checked after each update; or the notebook's `epoch > 5e4`), then the length-10,000
check drawn from the global RNG right after training. Kept apart from the fast engine on purpose:
reproducing the notebook's figures needs the notebook's own operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn, optim

from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.data import notebook_batch
from l1viz.engine.long_sequence import LongSequenceCheck

SEED = 42
LEARNING_RATE = 1e-3
BATCH_SIZE = 32
MAX_LENGTH = 10
EPOCH_CAP = 50_000
CHECK_LENGTH = 10_000
LOG_EVERY = 100
# nn.RNNCell's initialisation after manual_seed(42), as the notebook printed it (0.8300, 0.7645);
# tests check it against `pytorch_init.default_init(42, bias=False)`.
NOTEBOOK_INIT = Init(w_hh=0.8300079107284546, w_ih=0.7645385265350342)


def notebook_config(
    seed: int, steps: int, bias: bool, criterion: str = TrainConfig.criterion
) -> TrainConfig:
    """The notebook's hyperparameters (Adam, lr 1e-3, batch 32, length up to 10, |x| by sign flip)
    for a batched engine run without history: what the table and the map train with."""
    return TrainConfig(
        lr=LEARNING_RATE,
        optimizer="adam",
        batch_size=BATCH_SIZE,
        max_length=MAX_LENGTH,
        seed=seed,
        steps=steps,
        bias=bias,
        transform="where",
        criterion=criterion,
        history_rows=0,
    )


@dataclass(frozen=True)
class NotebookRun:
    converged: bool
    epochs: int  # the epoch index at which both weights hit 1 (or the last one run)
    initial: dict
    params: dict
    losses: dict  # epoch -> loss, every LOG_EVERY epochs
    long_sequence: LongSequenceCheck


def _unroll(cell: nn.RNNCell, padded: torch.Tensor) -> torch.Tensor:
    """The notebook's forward: flip negative inputs, then one cell step per position."""
    hidden = torch.zeros(padded.size(0), 1)
    for t in range(padded.size(1)):
        step_input = padded[:, t, :]
        hidden = cell(torch.where(step_input < 0, torch.neg(step_input), step_input), hidden)
    return hidden


def _weights(cell: nn.RNNCell) -> dict:
    return {"w_hh": cell.weight_hh.item(), "w_ih": cell.weight_ih.item(), "b_hh": 0.0, "b_ih": 0.0}


def run_notebook(
    epoch_cap: int = EPOCH_CAP, on_log: Callable[[int, float], None] | None = None
) -> NotebookRun:
    """Replay the run; `on_log(epoch, loss)` is called every LOG_EVERY epochs as it goes."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        cell = nn.RNNCell(1, 1, bias=False, nonlinearity="relu")
        initial = _weights(cell)
        optimizer = optim.Adam(cell.parameters(), lr=LEARNING_RATE)
        criterion = nn.MSELoss()
        losses = {}
        epoch, converged = 0, False
        while True:
            padded, targets = notebook_batch(BATCH_SIZE, MAX_LENGTH)
            optimizer.zero_grad()
            loss = criterion(_unroll(cell, padded).squeeze(1), targets)
            loss.backward()
            optimizer.step()
            if epoch % LOG_EVERY == 0:
                losses[epoch] = loss.item()
                if on_log:
                    on_log(epoch, losses[epoch])
            if cell.weight_hh.item() == 1.0 and cell.weight_ih.item() == 1.0:
                converged = True
                break
            if epoch > epoch_cap:
                break
            epoch += 1

        sequence = torch.randn(1, CHECK_LENGTH, 1)
        with torch.no_grad():
            predicted = _unroll(cell, sequence).item()
        actual = torch.sum(torch.abs(sequence)).item()
    return NotebookRun(
        converged=converged,
        epochs=epoch,
        initial=initial,
        params=_weights(cell),
        losses=losses,
        long_sequence=LongSequenceCheck(CHECK_LENGTH, predicted, actual),
    )
