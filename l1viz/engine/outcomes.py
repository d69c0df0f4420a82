"""The verdicts a run can reach, each defined once, and the sentence that explains it.

All rules are stated on the cell's effective parameters (see `Cell.effective`): w_hh, the input
weights for positive and negative x (both w_ih for the fixed transforms) and b = b_hh + b_ih.

dead region: with h_0 = 0 the first pre-activation is w_ih f(x_1) + b. If both input weights are
    <= 0 and b <= 0 it is <= 0 for every input, so h_1 = 0, and by induction h stays 0: the cell
    never fires and every gradient is exactly 0. If either input weight is > 0 a large enough |x|
    fires it; if b > 0, x = 0 does. So this region is exactly where no input can make it fire.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

CONVERGED, DEAD, DIVERGED, STALLED, TRAINING = (
    "converged",
    "dead",
    "diverged",
    "stalled",
    "training",
)
OUTCOMES = (CONVERGED, DEAD, DIVERGED, STALLED)
# The solution h' = relu(h + |x|): w_hh = 1, both input weights = 1, b = 0.
TARGET = (1.0, 1.0, 1.0, 0.0)


def in_dead_region(effective: torch.Tensor) -> torch.Tensor:
    """(4, K) effective parameters -> (K,) bool: no input can make the cell fire."""
    return effective[1:].amax(0) <= 0


def dead_at_init(w_ih: float, b_hh: float = 0.0, b_ih: float = 0.0) -> bool:
    """The dead-region rule for a fixed transform's initial values (no bias: pass zeros)."""
    effective = torch.tensor([[0.0], [w_ih], [w_ih], [b_hh + b_ih]])
    return bool(in_dead_region(effective))


def distance_to_target(effective: torch.Tensor) -> torch.Tensor:
    """(K,) largest of |w_hh - 1|, |w+ - 1|, |w- - 1|, |b|."""
    return (effective - _target(effective.device)).abs().amax(0)


@cache
def _target(device: torch.device) -> torch.Tensor:
    return torch.tensor(TARGET, device=device).view(4, 1)


def not_finite(values: torch.Tensor) -> torch.Tensor:
    """NaN or ±inf: x - x is 0 for every finite x and NaN otherwise (cheaper than isfinite)."""
    return (values - values) != 0


def has_converged(effective: torch.Tensor, loss: torch.Tensor, criterion: str, tolerance: float):
    """(K,) bool under the chosen rule.

    tolerance: every effective parameter within `tolerance` of the solution;
    loss: the batch loss at these parameters <= `tolerance`;
    exact: the notebook's stop, w_hh and the input weight(s) exactly 1.0 (biases not looked at).
    """
    if criterion == "tolerance":
        return distance_to_target(effective) <= tolerance
    if criterion == "loss":
        return loss <= tolerance
    return (effective[:3] == 1.0).all(0)


@dataclass(frozen=True)
class RunResult:
    """How one model's run ended. Step numbers count optimiser updates already applied."""

    outcome: str
    steps: int
    converged_at: int | None
    died_at: int | None
    diverged_at: int | None
    dead_at_init: bool
    initial: dict
    params: dict
    loss: float
    active: float  # fraction of positive pre-activations at the last evaluation

    @property
    def decided_at(self) -> int | None:
        return {CONVERGED: self.converged_at, DEAD: self.died_at, DIVERGED: self.diverged_at}.get(
            self.outcome
        )
