"""Adam and SGD on the stacked (rows, K) parameters, each model at its own learning rate.

Both are elementwise, so each model's update is what it would get alone. Adam repeats, operation
for operation, torch.optim.Adam's single-tensor path (the default on CPU), so it gives the same
bits; the learning rate enters as torch's does: lr / (1 - beta1**t) in double, rounded to
float32 as addcdiv_'s value. Only the models still running (`keep`) change.
"""

from __future__ import annotations

import torch

from l1viz.engine.state import ModelState

BETA1, BETA2 = 0.9, 0.999
EPSILON = 1e-8


def adam_update(state: ModelState, count: int, keep: torch.Tensor):
    """The update number `count` (1, 2, ...) from `state.grads`."""
    grads = state.grads
    exp_avg = state.exp_avg.lerp(grads, 1 - BETA1)
    exp_avg_sq = state.exp_avg_sq.mul(BETA2).addcmul_(grads, grads, value=1 - BETA2)
    bias_correction1 = 1 - BETA1**count
    bias_correction2 = 1 - BETA2**count
    value = (-(state.learning_rate / bias_correction1)).float()  # -step_size of each model
    denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(EPSILON)
    params = state.params + (value * exp_avg) / denom  # addcdiv_(exp_avg, denom, value)
    state.params.copy_(torch.where(keep, params, state.params))
    state.exp_avg.copy_(torch.where(keep, exp_avg, state.exp_avg))
    state.exp_avg_sq.copy_(torch.where(keep, exp_avg_sq, state.exp_avg_sq))


def sgd_update(state: ModelState, count: int, keep: torch.Tensor):
    """params.add_(grads, alpha=-lr), per model: one fused multiply-add, as torch computes it."""
    alpha = (-state.learning_rate).float()
    params = torch.addcmul(state.params, state.grads, alpha)
    state.params.copy_(torch.where(keep, params, state.params))


UPDATES = {"adam": adam_update, "sgd": sgd_update}
