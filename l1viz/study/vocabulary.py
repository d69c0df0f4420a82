"""How a run ends, in words: the one place its badge, colour key and sentences are written.

Glossary, from the engine's rule to the badge:

  engine rule (`Outcome`)                   ending (`Ending`)   badge label
  converged: the stop rule held             CONVERGED           converged at step N
  dead: no input can fire it, from step 0   DEAD_AT_INIT        dead from the start
  dead: ... entered at step N > 0           DIED                died at step N
  dead_in_practice: silent, fires rarely    DEAD_IN_PRACTICE    dead in practice from step N
  diverged: the loss is not finite          DIVERGED            diverged at step N
  stalled: the budget ran out, no rule      STALLED             stalled
  training: nothing decided yet             (none)              ready (step 0), training

The badge's colour key (`colour_key`) is the run's `Ending`, or `Pending` before it has one.
The first four rules are kernel.h's verdict codes (`outcomes.VERDICTS`, in their priority order).
`Outcome` is the engine's word (the CLI's and MLflow's "outcome"); `Ending` splits dead by when
and is what tables, maps, legends and badges tell apart (`palette.ENDINGS` gives each its colour
and the legend words of `ENDING_WORDS`). A notebook case's agreement has its own enum,
`study.table.agreement.Agreement`.

The rules are decided in `engine.outcomes` and `engine.verdicts`; this module only names them.
"""

from __future__ import annotations

import math
from enum import StrEnum

from l1viz.engine.config import TrainConfig
from l1viz.engine.outcomes import (
    CONVERGED,
    DEAD,
    DEAD_IN_PRACTICE,
    DIVERGED,
    STALLED,
    TRAINING,
    Ending,
    RunResult,
    dead_at_init,
    firing_chance,
    firing_threshold,
    firing_threshold_limit,
)
from l1viz.engine.solutions import solution_check


class Pending(StrEnum):
    """A run's badge before it has ended (the colour key of `palette.PENDING`)."""

    READY = "ready"
    TRAINING = "training"
    PAUSED = "paused"


# What a legend, a table or a share says for each ending.
ENDING_WORDS = {
    Ending.CONVERGED: "converged",
    Ending.DEAD_AT_INIT: "dead from the start",
    Ending.DIED: "died during training",
    Ending.DEAD_IN_PRACTICE: "dead in practice",
    Ending.DIVERGED: "diverged",
    Ending.STALLED: "stalled at the budget",
}
# A sample that ended so, as a button offering to load it says it ("a converging init").
SAMPLE_WORDS = {
    Ending.CONVERGED: "a converging",
    Ending.DEAD_AT_INIT: "a dead-from-the-start",
    Ending.DIED: "a dying",
    Ending.DEAD_IN_PRACTICE: f"a silent ({ENDING_WORDS[Ending.DEAD_IN_PRACTICE]})",
    Ending.DIVERGED: "a diverging",
    Ending.STALLED: "a stalling",
}
# Where the cell can fire only on large inputs (outside the dead region, b < 0).
SILENT_RULE = "w_ih > 0 > b_hh + b_ih"


# -- phrases ------------------------------------------------------------------------------------
def dead_rule_text(bias: bool, nested: bool = False) -> str:
    """The dead rule in words (decided by `outcomes.in_dead_region`; this only names it).
    `nested`: for use inside parentheses."""
    if bias:
        return "w_ih ≤ 0 and b_hh + b_ih ≤ 0"
    return "w_ih ≤ 0, no bias" if nested else "w_ih ≤ 0 (no bias)"


def since(step: int) -> str:
    """When a state began: "from the start" (step 0) or "from step N"."""
    return "from the start" if step == 0 else f"from step {step}"


def fires_only_above(threshold: float) -> str:
    return f"fires only for |x| > {threshold:.3g}"


def chance_text(threshold: float, spelled: bool = False) -> str:
    """How likely one N(0, 1) input passes the threshold: "P = 5.5e-89 per N(0, 1) input", or
    spelled out, "probability 5.5e-89 per N(0, 1) input"."""
    chance = firing_chance(threshold)
    return f"{f'probability {chance:.2g}' if spelled else f'P = {chance:.1e}'} per N(0, 1) input"


def stalled_text(budget: int | None = None) -> str:
    """ "stalled at the budget", or with the budget, "stalled at the 50,000-step budget"."""
    if budget is None:
        return ENDING_WORDS[Ending.STALLED]
    return f"stalled at the {budget:,}-step budget"


def firing_text(w_ih: float, bias: float, has_bias: bool) -> str:
    """The dead-ReLU marking of initial values (the fixed |x| input; `bias`: b_hh + b_ih)."""
    if dead_at_init(w_ih, bias, 0.0):
        return (
            f"This init can never fire ({dead_rule_text(has_bias, nested=True)}): the cell is "
            f"{ENDING_WORDS[Ending.DEAD_AT_INIT]}."
        )
    threshold = firing_threshold(w_ih, w_ih, bias)
    if threshold is None:
        return ""
    return (
        f"With {SILENT_RULE} this init {fires_only_above(threshold)} "
        f"({chance_text(threshold, spelled=True)})."
    )


# -- a run's badge ------------------------------------------------------------------------------
def colour_key(result: RunResult) -> Ending | Pending:
    """The key of the run's colour in the palette: its ending, else ready or training."""
    if result.outcome == TRAINING:
        return Pending.READY if result.steps == 0 else Pending.TRAINING
    return result.ending


def label(result: RunResult) -> str:
    """What the run's badge says, e.g. "died at step 312"."""
    if result.outcome == TRAINING:
        return str(colour_key(result))
    return _event(result)


def _event(result: RunResult, grouped: bool = False) -> str:
    """How and when a finished run ended; `grouped`: step numbers with thousands separators."""

    def step(value: int) -> str:
        return f"{value:,}" if grouped else f"{value}"

    if result.outcome == CONVERGED:
        return f"converged at step {step(result.converged_at)}"
    if result.outcome == DEAD:
        if result.dead_at_init:
            return ENDING_WORDS[Ending.DEAD_AT_INIT]
        return f"died at step {step(result.died_at)}"
    if result.outcome == DEAD_IN_PRACTICE:
        return f"{ENDING_WORDS[Ending.DEAD_IN_PRACTICE]} {since(result.silent_from)}"
    if result.outcome == DIVERGED:
        return f"diverged at step {step(result.diverged_at)}"
    return "stalled"


def what_happened(result: RunResult) -> str:
    """The run's ending as the case panel says it: "It <what happened>, as the notebook saw..."."""
    if result.outcome == DEAD and result.dead_at_init:
        return f"was {_event(result)}"
    if result.outcome == DEAD_IN_PRACTICE:
        return f"never fired ({ENDING_WORDS[Ending.DEAD_IN_PRACTICE]})"
    if result.outcome == STALLED:
        return f"did not converge within {result.steps:,} steps"
    if result.outcome == TRAINING:
        return "is training"
    return _event(result, grouped=True)


# -- a run's sentence ---------------------------------------------------------------------------
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
    reason = _dead_reason(result.initial, config)
    if config.activation != "relu":
        return (
            f"Under ReLU this initialisation would be in the dead region: {reason}. "
            f"{still_learns(config.activation, config.slope)}"
        )
    return f"This initialisation is in the dead region: {reason}."


def sentence(result: RunResult, config: TrainConfig) -> str:
    """One to three sentences, computed from the run, that say why it ended as it did."""
    if result.outcome == TRAINING:
        return f"Training: step {result.steps:,} of {config.steps:,}, batch loss {result.loss:.3g}."
    return f"{_capital(_event(result))}{_reason(result, config)}{activation_note(result, config)}"


# -- the activation -----------------------------------------------------------------------------
ACTIVATION_NAMES = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "elu": "ELU",
    "softplus": "softplus",
    "tanh": "tanh",
    "prelu": "PReLU",
}
# Why a silent cell of each activation but ReLU still learns: its gradient below zero.
BELOW_ZERO = {
    "leaky_relu": "below zero leaky ReLU passes α = {alpha:.3g} of the gradient, which ReLU stops",
    "prelu": "below zero PReLU passes α of the gradient (α learned, {alpha:.3g} at the end)",
    "elu": "below zero ELU's gradient is e^z: small, never 0",
    "softplus": "softplus's gradient is sigmoid(z): small below zero, never 0",
    "tanh": "tanh's gradient is 1 - tanh²(z): small below zero, never 0",
}


def activation_name(activation: str, slope: float | None = None) -> str:
    """ "leaky ReLU α = 0.01", "PReLU (α from 0.25)", "ELU"."""
    name = ACTIVATION_NAMES[activation]
    if activation == "leaky_relu":
        return f"{name} α = {slope:g}"
    if activation == "prelu":
        return f"{name} (α from {slope:g})"
    return name


CELL_TERMS = "w_hh·h + w_ih·|x| + b_hh + b_ih"
L1_SOLUTION = "computes the L1 norm of a sequence when w_hh = w_ih = 1 and b_hh + b_ih = 0"


def cell_sentence(activation: str, slope: float | None) -> str:
    """The cell's update and whether the notebook's solution solves it under this activation."""
    if activation == "relu":
        return f"h ← relu({CELL_TERMS}) {L1_SOLUTION}."
    update = f"h ← {activation}({CELL_TERMS}), {activation_name(activation, slope)} in place of "
    check = solution_check(activation)
    if check.exact:
        return f"{update}the notebook's ReLU, {L1_SOLUTION}."
    return (
        f"{update}the notebook's ReLU: w_hh = w_ih = 1, b = 0 is no solution (its loss there is "
        f"{check.target_loss:.3g}, not 0)."
    )


def still_learns(activation: str, slope: float | None) -> str:
    """Why a silent cell of any activation but ReLU is not dead ('' for ReLU)."""
    if activation == "relu":
        return ""
    name = activation_name(activation, slope)
    return f"Under {name} some gradient flows below 0, so a silent cell still learns."


def activation_note(result: RunResult, config: TrainConfig) -> str:
    """What the run's activation changed ('' for ReLU): a revival, or why the exact rule cannot
    hold (computed by `engine.solutions`)."""
    if config.activation == "relu":
        return ""
    note = ""
    if result.revived_at is not None:
        alpha = result.params.get("alpha", 0.0)
        note = (
            f" It was silent (no positive pre-activation) {since(result.revived_from)} and fired "
            f"again at step {result.revived_at:,}: "
            f"{BELOW_ZERO[config.activation].format(alpha=alpha)}."
        )
    check = solution_check(config.activation)
    if result.outcome == STALLED and not check.exact:
        name = ACTIVATION_NAMES[config.activation]
        note += (
            f" w_hh = w_ih = 1, b = 0 is no solution for {name}: its loss there is "
            f"{check.target_loss:.3g}, not 0"
        )
        if check.bounded_floor is not None:
            note += (
                f"; tanh cannot output more than 1, so its loss cannot fall below "
                f"{check.bounded_floor:.3g} on average over batches (the mean of (y - 1)² over "
                "the targets y > 1; one batch's may)"
            )
        note += "."
    return note


def _reason(result: RunResult, config: TrainConfig) -> str:
    """What follows the event in the sentence: the cause, from ':' to the end."""
    values = result.params
    if result.outcome == DEAD:
        if result.dead_at_init:
            return f": {_dead_reason(result.initial, config)}."
        return (
            f": the updates pushed the parameters into the dead region "
            f"({_dead_reason(values, config)}); the gradient stayed exactly 0 for "
            f"{config.dead_patience} steps in a row."
        )
    if result.outcome == DEAD_IN_PRACTICE:
        return (
            f": {_silence_reason(values, config)}; it stayed silent "
            f"for {config.dead_patience} steps, every gradient 0."
        )
    if result.outcome == DIVERGED:
        if result.diverged_at == 0:
            return f", before any update: {_overflow_reason(result, config)}."
        return (
            f": with lr = {config.lr:g} the updates "
            "overshot until the loss was no longer a finite number."
        )
    if result.outcome == CONVERGED:
        return f": {_converged_reason(result, config)}."
    return f": {_stalled_reason(result, config)}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def silence_note(values: dict, config: TrainConfig) -> str:
    """Outside the dead region with b_hh + b_ih < 0: how large an input must be to fire the cell
    ('' when any ordinary input fires it)."""
    if not config.bias:
        return ""
    _, w_pos, w_neg = _input_terms(values, config.transform)
    threshold = firing_threshold(w_pos, w_neg, values["b_hh"] + values["b_ih"])
    if threshold is None:
        return ""
    return f"while h = 0 the cell {fires_only_above(threshold)} ({chance_text(threshold)})"


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
                f"region: it {fires_only_above(-bias / w_pos)}, rare for N(0, 1) inputs."
            )
    return text
