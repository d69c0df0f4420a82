"""The trainer's bookkeeping of the rules (outcomes.py states each rule), checked after every
evaluation in torch operations: the reference kernel.c's `judge` mirrors operation for operation.

Per model and step s, while the model runs:
- dead_since / silent_since: the first step of the current stretch of evaluations that were
  silent (no positive pre-activation) inside the dead region / anywhere;
- diverged: the loss is not finite (a non-finite parameter always makes it so);
- dead: in the dead region and silent for `dead_patience` steps; its event step is dead_since;
- dead in practice: outside the region, silent for `dead_patience` steps and `rarely_fires`;
  its event step is silent_since;
- converged: `has_converged` under the configured criterion;
- revived (an event, not a verdict): the first step the cell fires after a silence of at least
  `dead_patience` evaluations; revived_from is that silence's first step.
The two dead rules hold only for ReLU, the one activation whose gradient is exactly 0 wherever the
cell is silent: any other still learns there (leaky ReLU at a rate proportional to alpha).
The first step each rule holds is kept; the verdict is the first to hold (VERDICTS order, kernel.h's
codes, breaks ties at one step); a model stops at its verdict (with early_stop off, only at
divergence) and is frozen from then on: neither its parameters nor its rules change any more.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from l1viz.engine.config import TrainConfig
from l1viz.engine.outcomes import (
    CONVERGED,
    DEAD,
    DEAD_IN_PRACTICE,
    DIVERGED,
    VERDICTS,
    dead_rules_apply,
    firing_threshold_limit,
    has_converged,
    in_dead_region,
    not_finite,
    rarely_fires,
)
from l1viz.engine.state import ModelState


@dataclass(frozen=True)
class Rules:
    """What the rules need from the settings (kernel.h's l1viz_rules)."""

    optimizer: str
    criterion: str
    tolerance: float
    patience: int
    firing_limit: float  # T*, computed once per run
    early_stop: bool
    dead_rules: bool  # the activation is ReLU

    @classmethod
    def of(cls, config: TrainConfig) -> Rules:
        return cls(
            optimizer=config.optimizer,
            criterion=config.criterion,
            tolerance=config.tolerance,
            patience=config.dead_patience,
            firing_limit=firing_threshold_limit(config),
            early_stop=config.early_stop,
            dead_rules=dead_rules_apply(config.activation),
        )


def judge(state: ModelState, effective: torch.Tensor, step: int, rules: Rules):
    """Check the rules on the evaluation of `step` just stored in `state`; freeze what stops."""
    running = state.running != 0
    region = in_dead_region(effective)
    silent = state.active == 0
    revived = running & ~silent & (state.silent_since <= step - rules.patience)
    revived &= state.revived_at < 0
    state.revived_from.copy_(torch.where(revived, state.silent_since, state.revived_from))
    state.revived_at.copy_(torch.where(revived, step, state.revived_at))
    state.dead_since.copy_(torch.where(running & ~(region & silent), step + 1, state.dead_since))
    state.silent_since.copy_(torch.where(running & ~silent, step + 1, state.silent_since))
    patient = step + 1 - rules.patience
    holds = {
        DIVERGED: not_finite(state.loss),
        DEAD: (state.dead_since <= patient) & rules.dead_rules,
        DEAD_IN_PRACTICE: ~region
        & (state.silent_since <= patient)
        & rarely_fires(effective, rules.firing_limit)
        & rules.dead_rules,
        CONVERGED: has_converged(effective, state.loss, rules.criterion, rules.tolerance),
    }
    fresh = torch.stack([holds[verdict] for verdict in VERDICTS]) & (state.first < 0) & running
    if not fresh.any():
        return
    now = torch.full_like(state.dead_since, step)
    event = {DIVERGED: now, DEAD: state.dead_since, DEAD_IN_PRACTICE: state.silent_since}
    at = torch.stack([event.get(verdict, now) for verdict in VERDICTS])
    state.first.copy_(torch.where(fresh, at, state.first))
    first_kind = torch.argmax(fresh.to(torch.int8), 0).to(torch.int32)
    decides = fresh.any(0) & (state.verdict < 0)
    state.verdict.copy_(torch.where(decides, first_kind, state.verdict))
    stop = fresh.any(0) if rules.early_stop else fresh[VERDICTS.index(DIVERGED)]
    state.stopped_at.copy_(torch.where(stop, step, state.stopped_at))
    state.running.copy_(torch.where(stop, 0, state.running))
