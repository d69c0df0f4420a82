"""Adam and SGD on the stacked (rows, K) parameter tensor.

Both are elementwise, so each model's update is what it would get alone. Adam repeats, operation
for operation, torch.optim.Adam's single-tensor path (the default on CPU), so it gives the same
bits.
"""

from __future__ import annotations

import torch


class Adam:
    def __init__(self, params: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.exp_avg = torch.zeros_like(params)
        self.exp_avg_sq = torch.zeros_like(params)
        self.step_count = 0

    def update(self, params: torch.Tensor, grads: torch.Tensor):
        self.step_count += 1
        self.exp_avg.lerp_(grads, 1 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2).addcmul_(grads, grads, value=1 - self.beta2)
        bias_correction1 = 1 - self.beta1**self.step_count
        bias_correction2 = 1 - self.beta2**self.step_count
        step_size = self.lr / bias_correction1
        denom = (self.exp_avg_sq.sqrt() / bias_correction2**0.5).add_(self.eps)
        params.addcdiv_(self.exp_avg, denom, value=-step_size)


class SGD:
    def __init__(self, params: torch.Tensor, lr: float):
        self.lr = lr

    def update(self, params: torch.Tensor, grads: torch.Tensor):
        params.add_(grads, alpha=-self.lr)


def make_optimizer(name: str, params: torch.Tensor, lr: float):
    return {"adam": Adam, "sgd": SGD}[name](params, lr)
