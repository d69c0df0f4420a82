"""One or two sentences, computed from a run, that say why it ended as it did."""

from __future__ import annotations

import math

from l1viz.engine.config import TrainConfig
from l1viz.engine.outcomes import (
    CONVERGED,
    DEAD,
    DEAD_IN_PRACTICE,
    DIVERGED,
    STALLED,
    RunResult,
    firing_chance,
    firing_threshold,
    firing_threshold_limit,
)


def _input_terms(values: dict, transform: str) -> tuple[str, float, float]:
    """How the input weight is named for this transform, and its value(s) for x > 0 and x < 0."""
    if transform == "learned":
        w_ih = values["w_ih"]
        return "w_ih·s", w_ih * values["slope_pos"], w_ih * values["slope_neg"]
    return "w_ih", values["w_ih"], values["w_ih"]


def _dead_reason(values: dict, config: TrainConfig) -> str:
    name, w_pos, w_neg = _input_terms(values, config.transform)
    if config.transform == "learned":
        weights = f"{name}₊ = {w_pos:.3g} ≤ 0 and {name}₋ = {w_neg:.3g} ≤ 0"
        first = "w_ih·f(x₁)"
    else:
        weights = f"w_ih = {w_pos:.3g} ≤ 0"
        first = "w_ih·|x₁|"
    if not config.bias:
        return (
            f"{weights} and no bias: the first pre-activation {first} is ≤ 0 for every input, "
            "so h stays 0 and every gradient is 0"
        )
    bias = values["b_hh"] + values["b_ih"]
    return (
        f"{weights} and b_hh + b_ih = {bias:.3g} ≤ 0: the first pre-activation "
        f"{first} + b_hh + b_ih is ≤ 0 for every input, so h stays 0 and every gradient is 0"
    )


def ready_note(result: RunResult, config: TrainConfig) -> str:
    """Before the first step: why an init in the dead region cannot learn ('' if it is not)."""
    if not result.dead_at_init:
        return ""
    return f"This initialisation is in the dead region: {_dead_reason(result.initial, config)}."


def explain(result: RunResult, config: TrainConfig) -> str:
    values = result.params
    if result.outcome == DEAD:
        if result.dead_at_init:
            return f"Dead from the start: {_dead_reason(result.initial, config)}."
        return (
            f"Died at step {result.died_at}: the updates pushed the parameters into the dead "
            f"region ({_dead_reason(values, config)}); the gradient stayed exactly 0 for "
            f"{config.dead_patience} steps in a row."
        )
    if result.outcome == DEAD_IN_PRACTICE:
        start = "from the start" if result.silent_from == 0 else f"from step {result.silent_from}"
        return (
            f"Dead in practice {start}: {_silence_reason(values, config)}; it stayed silent "
            f"for {config.dead_patience} steps, every gradient 0."
        )
    if result.outcome == DIVERGED:
        if result.diverged_at == 0:
            return f"Diverged at step 0, before any update: {_overflow_reason(result, config)}."
        return (
            f"Diverged at step {result.diverged_at}: with lr = {config.lr:g} the updates "
            "overshot until the loss was no longer a finite number."
        )
    if result.outcome == CONVERGED:
        return f"Converged at step {result.converged_at}: {_converged_reason(result, config)}."
    if result.outcome == STALLED:
        return f"Stalled: {_stalled_reason(result, config)}"
    return f"Training: step {result.steps:,} of {config.steps:,}, batch loss {result.loss:.3g}."


def silence_note(values: dict, config: TrainConfig) -> str:
    """Outside the dead region with b_hh + b_ih < 0: how large an input must be to fire the cell
    ('' when any ordinary input fires it)."""
    if not config.bias:
        return ""
    _, w_pos, w_neg = _input_terms(values, config.transform)
    threshold = firing_threshold(w_pos, w_neg, values["b_hh"] + values["b_ih"])
    if threshold is None:
        return ""
    return (
        f"while h = 0 the cell fires only for |x| > {threshold:.3g} "
        f"(P = {firing_chance(threshold):.1e} per N(0, 1) input)"
    )


def _silence_reason(values: dict, config: TrainConfig) -> str:
    inputs = config.batch_size * (config.max_length + 1) / 2 * config.steps
    return (
        f"outside the dead region, but {silence_note(values, config)}; beyond "
        f"|x| > {firing_threshold_limit(config):.3g} an input comes less than once in the "
        f"{config.steps:,}-step budget (about {inputs:,.0f} inputs)"
    )


def _overflow_reason(result: RunResult, config: TrainConfig) -> str:
    """Why the very first forward pass gave a non-finite loss: with w_hh > 1 the state grows
    geometrically along a sequence (the ReLU stops negative states, never large ones)."""
    first = "the first forward pass, at the initial values, already overflowed float32"
    w_hh = result.initial["w_hh"]
    if not w_hh > 1:
        return first
    longest = config.max_length
    exponent = (longest - 1) * math.log10(w_hh)
    growth = f"{10**exponent:.2g}" if exponent < 300 else f"10^{exponent:.0f}"
    return (
        f"{first}. With w_hh = {w_hh:.3g} the state grows like w_hh^t along a sequence: over the "
        f"longest ones (length {longest:,}) by a factor of about {w_hh:.3g}^{longest - 1:,} ≈ "
        f"{growth}, and the loss squares it, beyond float32's largest number (≈ 3.4e38)"
    )


def _converged_reason(result: RunResult, config: TrainConfig) -> str:
    values = result.params
    if config.criterion == "loss":
        return f"the batch loss fell to {result.loss:.2e} ≤ {config.tolerance:g}"
    if config.criterion == "exact":
        return "w_hh and the input weight are both exactly 1.0 in float32 (the notebook's rule)"
    name, w_pos, w_neg = _input_terms(values, config.transform)
    parts = [f"w_hh = {values['w_hh']:.4f}", f"{name} = {w_pos:.4f}"]
    if config.transform == "learned":
        parts[1] = f"{name}₊ = {w_pos:.4f}, {name}₋ = {w_neg:.4f}"
    if config.bias:
        parts.append(f"b_hh + b_ih = {values['b_hh'] + values['b_ih']:+.1e}")
    return f"{', '.join(parts)}, all within {config.tolerance:g} of the solution (1, 1, 0)"


def _stalled_reason(result: RunResult, config: TrainConfig) -> str:
    text = (
        f"the {config.steps:,}-step budget ran out before the {config.criterion} rule held "
        f"(batch loss {result.loss:.3g})."
    )
    if result.active == 0 and math.isfinite(result.loss):
        _, w_pos, _ = _input_terms(result.params, config.transform)
        bias = result.params["b_hh"] + result.params["b_ih"]
        if w_pos > 0 and bias < 0:
            text += (
                f" The cell did not fire on the last batch although it is outside the dead "
                f"region: it fires only for |x| > {-bias / w_pos:.3g}, rare for N(0, 1) inputs."
            )
    return text
