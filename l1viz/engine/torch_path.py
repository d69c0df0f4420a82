"""Training steps in torch operations: the readable reference the kernel is tested against bit
for bit, and the path for CUDA or when no C compiler is available.

One step s (s >= 1): the optimiser applies the gradients of step s - 1 to the running models;
the batch of step s is evaluated (loss, active share, gradients), kept for the running models;
the history row is written; the rules are checked (verdicts.py). Frozen models keep everything.
"""

from __future__ import annotations

import torch

from l1viz.engine.cell import Cell, sum_rows
from l1viz.engine.data import Block
from l1viz.engine.history import Slot
from l1viz.engine.optim import UPDATES
from l1viz.engine.state import ModelState
from l1viz.engine.verdicts import Rules, judge


def grad_norm(grads: torch.Tensor) -> torch.Tensor:
    """(K,) in double: squares of finite float32 gradients can overflow float32."""
    wide = grads.double()
    return sum_rows(wide * wide).sqrt().float()


class TorchTraining:
    def __init__(self, cell: Cell, rules: Rules, state: ModelState):
        self.cell, self.rules, self.state = cell, rules, state
        self.update = UPDATES[rules.optimizer]

    def train(self, first: int, last: int, block: Block, slot: Slot) -> int:
        """Steps first..last; returns the last step at which a model was still training."""
        state, reached, written = self.state, first - 1, 0
        for step in range(first, last + 1):
            keep = state.running != 0
            if not keep.any():
                break
            if step >= 1:
                self.update(state, step, keep)
            batch = block.batch(step)
            loss, active, grads = self.cell.loss_and_grads(state.params, batch, force_torch=True)
            state.grads.copy_(torch.where(keep, grads, state.grads))
            state.loss.copy_(torch.where(keep, loss, state.loss))
            state.active.copy_(torch.where(keep, active, state.active))
            if slot.records(step, written):
                norm = grad_norm(state.grads)
                slot.write(written, [state.params, state.loss, state.active, norm])
                written += 1
            judge(state, self.cell.effective(state.params), step, self.rules)
            reached = step
        return reached
