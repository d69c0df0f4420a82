"""Every model's training state, one column per model, in tensors both training paths update in
place: the torch path with tensor operations, the kernel through the pointers of kernel.h's
`l1viz_state` (same names, same layout)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from l1viz.engine.outcomes import VERDICTS


@dataclass
class ModelState:
    params: torch.Tensor  # (rows, K) float32
    exp_avg: torch.Tensor  # (rows, K) Adam's first moment
    exp_avg_sq: torch.Tensor  # (rows, K) Adam's second moment
    grads: torch.Tensor  # (rows, K) gradients of the last evaluation
    learning_rate: torch.Tensor  # (K,) float64
    loss: torch.Tensor  # (K,) at the last evaluation
    active: torch.Tensor  # (K,) share of positive pre-activations at the last evaluation
    running: torch.Tensor  # (K,) int32: 1 while training, 0 once frozen
    verdict: torch.Tensor  # (K,) int32 index into VERDICTS, -1 while undecided
    stopped_at: torch.Tensor  # (K,) int32 step at which the model was frozen, -1
    dead_since: torch.Tensor  # (K,) int32 first step of the current silence in the dead region
    silent_since: torch.Tensor  # (K,) int32 first step of the current silence
    first: torch.Tensor  # (len(VERDICTS), K) int32 first step each rule held, -1
    revived_at: torch.Tensor  # (K,) int32 first step it fired after a long silence (verdicts.py)
    revived_from: torch.Tensor  # (K,) int32 first step of that silence, -1

    @classmethod
    def start(cls, params: torch.Tensor, learning_rate: torch.Tensor) -> ModelState:
        count, device = params.shape[1], params.device

        def ints(value: int, *shape: int) -> torch.Tensor:
            return torch.full(shape or (count,), value, dtype=torch.int32, device=device)

        return cls(
            params=params.contiguous(),
            exp_avg=torch.zeros_like(params),
            exp_avg_sq=torch.zeros_like(params),
            grads=torch.zeros_like(params),
            learning_rate=learning_rate.to(device=device, dtype=torch.float64).contiguous(),
            loss=torch.zeros(count, device=device),
            active=torch.zeros(count, device=device),
            running=ints(1),
            verdict=ints(-1),
            stopped_at=ints(-1),
            dead_since=ints(0),
            silent_since=ints(0),
            first=ints(-1, len(VERDICTS), count),
            revived_at=ints(-1),
            revived_from=ints(-1),
        )

    def tensors(self) -> dict[str, torch.Tensor]:
        return {field.name: getattr(self, field.name) for field in fields(self)}
