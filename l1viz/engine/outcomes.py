"""The verdicts a run can reach, each defined once, and the sentence that explains it.

All rules are stated on the cell's effective parameters (see `Cell.effective`): w_hh, the input
weights for positive and negative x (both w_ih for the fixed transforms) and b = b_hh + b_ih.

dead region: with h_0 = 0 the first pre-activation is w_ih f(x_1) + b. If both input weights are
    <= 0 and b <= 0 it is <= 0 for every input, so h_1 = 0, and by induction h stays 0: the cell
    never fires and every gradient is exactly 0. If either input weight is > 0 a large enough |x|
    fires it; if b > 0, x = 0 does. So this region is exactly where no input can make it fire.

dead in practice: outside that region with b < 0, while h = 0 an input fires the cell only if
    w |x| > -b on a side whose weight w is > 0, i.e. |x| > -b / w. When that threshold is so far out
    that an N(0, 1) input passes it less than once, on average, in the whole step budget, and the
    cell has in fact stayed silent, it will not learn within the budget: dead in practice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import torch

from l1viz.engine.config import TrainConfig
from l1viz.engine.kernel.header import codes


class Outcome(StrEnum):
    """The engine's word for a run: the rule that decided it, or the budget ran out (STALLED), or
    not decided yet (TRAINING). Values are the words the CLI, JSON and MLflow use; how a finished
    run ended, for tables and badges, is its `Ending` (glossary: `l1viz.study.vocabulary`)."""

    CONVERGED = "converged"
    DEAD = "dead"
    DEAD_IN_PRACTICE = "dead_in_practice"
    DIVERGED = "diverged"
    STALLED = "stalled"
    TRAINING = "training"


CONVERGED, DEAD, DEAD_IN_PRACTICE = Outcome.CONVERGED, Outcome.DEAD, Outcome.DEAD_IN_PRACTICE
DIVERGED, STALLED, TRAINING = Outcome.DIVERGED, Outcome.STALLED, Outcome.TRAINING
# The verdicts the rules reach, in priority order when several first hold at one step: kernel.h's
# l1viz_verdict codes, which index this (a model's verdict in the trainer state and the kernel).
VERDICTS = tuple(Outcome(name) for name in codes("verdict"))


class Ending(StrEnum):
    """An outcome with dead split by when: dead from the start (the rule held at step 0) or died
    during training. What tables, maps and colours distinguish."""

    CONVERGED = "converged"
    DEAD_AT_INIT = "dead_at_init"
    DIED = "died"
    DEAD_IN_PRACTICE = "dead_in_practice"
    DIVERGED = "diverged"
    STALLED = "stalled"


def ending_of(outcome: Outcome, died_at: int | None) -> Ending:
    """The ending of a finished run (`died_at`: the step it entered the dead region)."""
    if outcome == DEAD:
        return Ending.DEAD_AT_INIT if died_at == 0 else Ending.DIED
    return Ending(outcome.value)


def dead_rules_apply(activation: str) -> bool:
    """Whether a run under `activation` can die: only ReLU's gradient is exactly 0 wherever the
    cell is silent, so any other still learns there."""
    return activation == "relu"


def possible_endings(activation: str) -> tuple[Ending, ...]:
    """The endings a run under `activation` can reach, in `Ending`'s order."""
    dead = (Ending.DEAD_AT_INIT, Ending.DIED, Ending.DEAD_IN_PRACTICE)
    dies = dead_rules_apply(activation)
    return tuple(ending for ending in Ending if dies or ending not in dead)


# The solution h' = relu(h + |x|): w_hh = 1, both input weights = 1, b = 0.
TARGET = (1.0, 1.0, 1.0, 0.0)


def in_dead_region(effective: torch.Tensor) -> torch.Tensor:
    """(4, K) effective parameters -> (K,) bool: no input can make the cell fire."""
    return effective[1:].amax(0) <= 0


def dead_at_init(w_ih: float, b_hh: float = 0.0, b_ih: float = 0.0) -> bool:
    """The dead-region rule for a fixed transform's initial values (no bias: pass zeros)."""
    effective = torch.tensor([[0.0], [w_ih], [w_ih], [b_hh + b_ih]])
    return bool(in_dead_region(effective))


def firing_threshold_limit(config: TrainConfig) -> float:
    """T*: the |x| that an N(0, 1) input exceeds with probability p*, one over the expected number
    of real (unpadded) inputs in the whole budget: erfc(T* / sqrt 2) = p*."""
    inputs = config.batch_size * (config.max_length + 1) / 2 * max(config.steps, 1)
    chance = 1.0 / inputs
    if chance >= 1.0:
        return 0.0
    low, high = 0.0, 40.0  # erfc(40 / sqrt 2) is below any representable chance
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if math.erfc(middle / math.sqrt(2)) > chance else (low, middle)
    return high


def rarely_fires(effective: torch.Tensor, limit: float) -> torch.Tensor:
    """(4, K) effective parameters -> (K,) bool: b < 0 and, on each input side whose weight w is
    > 0, the firing threshold -b / w lies beyond `limit` (compared as -b > limit * w in float32)."""
    bias = effective[3]
    limit = torch.tensor(limit, dtype=effective.dtype, device=effective.device)
    beyond = bias < 0
    for weight in (effective[1], effective[2]):
        beyond &= (weight <= 0) | (-bias > limit * weight)
    return beyond


def firing_threshold(w_pos: float, w_neg: float, bias: float) -> float | None:
    """While h = 0: the smallest |x| that makes the cell fire (None when b >= 0 or no input can)."""
    if bias >= 0:
        return None
    sides = [-bias / w for w in (w_pos, w_neg) if w > 0]
    return min(sides) if sides else None


def firing_chance(threshold: float) -> float:
    """P(|x| > threshold) for one N(0, 1) input."""
    return math.erfc(threshold / math.sqrt(2))


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

    outcome: Outcome
    steps: int
    converged_at: int | None
    died_at: int | None
    diverged_at: int | None
    silent_from: int | None  # dead in practice: the first step of the silence
    dead_at_init: bool  # the initial values lie in the dead region (no input fires a ReLU cell)
    initial: dict
    params: dict
    loss: float
    active: float  # fraction of positive pre-activations at the last evaluation
    revived_at: int | None = None  # first firing after a silence of dead_patience evaluations
    revived_from: int | None = None  # the first step of that silence

    @property
    def ending(self) -> Ending:
        """Only for a finished run (not TRAINING)."""
        return ending_of(self.outcome, self.died_at)

    @property
    def decided_at(self) -> int | None:
        return {
            CONVERGED: self.converged_at,
            DEAD: self.died_at,
            DEAD_IN_PRACTICE: self.silent_from,
            DIVERGED: self.diverged_at,
        }.get(self.outcome)
