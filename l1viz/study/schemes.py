"""Initialisation schemes for the one-unit cell, and how each fares: born dead, and after training.

Every scheme draws w_hh, w_ih and (with bias) b_hh, b_ih for a cell with one input and one unit
(fan-in = fan-out = 1):

  pytorch   nn.RNNCell's own init: every parameter U(-1, 1) (U(-1/sqrt(hidden), 1/sqrt(hidden)))
  identity  IRNN (Le, Jaitly & Hinton, 2015): w_hh = 1, biases 0, w_ih ~ N(0, 0.001²)
  xavier    Glorot uniform weights U(-a, a), a = sqrt(6 / (fan_in + fan_out)) = sqrt 3; biases 0
  kaiming   He normal weights for ReLU, N(0, 2 / fan_in) = N(0, 2); biases 0
  rai       randomized asymmetric initialisation (Lu et al., 2019), adapted: every parameter
            N(0, 2) as kaiming, then one parameter of the unit, chosen uniformly, replaced by a
            Beta(2, 1) draw (positive), so the unit is less likely to be born dead

Born dead means the engine's dead rule holds at step 0: w_ih <= 0 and b_hh + b_ih <= 0 (no bias:
w_ih <= 0). Its probability is exact for each scheme (one Gaussian integral for rai); the
measurement trains `samples` draws with the notebook's settings and reports the share of every
ending with a 95 % (Wilson) interval and the median steps to converge. Longer sequences are where
schemes part ways: a w_hh above 1 compounds over the sequence until the output overflows. With
another `activation` the draws train under it (born dead still names ReLU's dead rule at step 0:
under any other activation such a cell is never dead, and may revive).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from l1viz.engine.config import (
    ACTIVATIONS,
    MAX_LENGTH,
    MAX_STEPS,
    ConfigError,
    Init,
    TrainConfig,
    check_choice,
    check_int,
    checked_slope,
)
from l1viz.engine.outcomes import CONVERGED, Ending, RunResult
from l1viz.study.notebook import notebook_config
from l1viz.study.runner import InProcess, ModelBatch, Runner
from l1viz.study.table.regions import generator

SCHEMES = ("pytorch", "identity", "xavier", "kaiming", "rai")
MAX_SAMPLES = 4096
IRNN_INPUT_STD = 1e-3
KAIMING_STD = math.sqrt(2.0)
XAVIER_BOUND = math.sqrt(3.0)
Z_95 = 1.959963984540054


def draw(scheme: str, count: int, bias: bool, rng: torch.Generator) -> torch.Tensor:
    """(count, 4) float32 initial values w_hh, w_ih, b_hh, b_ih (biases 0 without bias)."""
    check_choice_scheme(scheme)
    width = 4 if bias else 2
    if scheme == "pytorch":
        values = torch.rand(count, width, generator=rng) * 2 - 1
    elif scheme == "identity":
        values = torch.zeros(count, width)
        values[:, 0] = 1.0
        values[:, 1] = torch.randn(count, generator=rng) * IRNN_INPUT_STD
    elif scheme == "xavier":
        values = torch.zeros(count, width)
        values[:, :2] = (torch.rand(count, 2, generator=rng) * 2 - 1) * XAVIER_BOUND
    elif scheme == "kaiming":
        values = torch.zeros(count, width)
        values[:, :2] = torch.randn(count, 2, generator=rng) * KAIMING_STD
    else:
        values = torch.randn(count, width, generator=rng) * KAIMING_STD
        chosen = torch.randint(0, width, (count,), generator=rng)
        positive = _beta_2_1(count, rng)
        values[torch.arange(count), chosen] = positive
    table = torch.zeros(count, 4)
    table[:, :width] = values
    return table.float()


def _beta_2_1(count: int, rng: torch.Generator) -> torch.Tensor:
    """Beta(2, 1) draws (density 2x on [0, 1]): the square root of a uniform draw."""
    return torch.rand(count, generator=rng).sqrt()


def check_choice_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ConfigError("scheme", f"must be one of {', '.join(SCHEMES)}; got {scheme!r}")


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def dead_at_init_probability(scheme: str, bias: bool) -> float:
    """P(w_ih <= 0 and b_hh + b_ih <= 0) under the scheme (no bias: P(w_ih <= 0))."""
    check_choice_scheme(scheme)
    if scheme == "identity":
        return 0.5  # biases are exactly 0, so w_ih <= 0 alone decides
    if scheme in ("xavier", "kaiming"):
        return 0.5
    if scheme == "pytorch":
        return 0.25 if bias else 0.5  # the sum of two U(-1, 1) is <= 0 half the time
    if not bias:
        return 0.5 * 0.5  # w_hh chosen (w_ih symmetric) half the time; w_ih chosen: alive
    # one of four chosen: w_hh -> 1/2 * 1/2; w_ih -> 0; a bias -> 1/2 * P(beta + N(0, 2) <= 0)
    beta_then_normal = _integral(lambda b: 2 * b * _normal_cdf(-b / KAIMING_STD), 0.0, 1.0)
    return 0.25 * 0.25 + 0.5 * 0.5 * beta_then_normal


def _integral(function: Callable[[float], float], low: float, high: float, n: int = 2000):
    """Simpson's rule; the integrands here are smooth on [low, high]."""
    h = (high - low) / n
    total = function(low) + function(high)
    total += sum((4 if i % 2 else 2) * function(low + i * h) for i in range(1, n))
    return total * h / 3


# -- measuring ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemeSettings:
    schemes: tuple[str, ...] = SCHEMES
    max_lengths: tuple[int, ...] = (10,)
    samples: int = 256
    steps: int = TrainConfig.steps
    seed: int = 42
    biases: tuple[bool, ...] = (False, True)
    activation: str = TrainConfig.activation
    slope: float | None = None

    def __post_init__(self):
        for scheme in self.schemes:
            check_choice_scheme(scheme)
        if not self.schemes or not self.max_lengths or not self.biases:
            raise ConfigError("schemes", "needs at least one scheme, length and bias setting")
        for length in self.max_lengths:
            check_int("max_length", length, 1, MAX_LENGTH)
        check_int("samples", self.samples, 1, MAX_SAMPLES)
        check_int("steps", self.steps, 1, MAX_STEPS)
        check_choice("activation", self.activation, ACTIVATIONS)
        object.__setattr__(self, "slope", checked_slope(self.activation, self.slope))
        self.train_config(True, self.max_lengths[0])  # validates the seed

    def train_config(self, bias: bool, max_length: int) -> TrainConfig:
        config = notebook_config(self.seed, self.steps, bias)
        changes = {"max_length": max_length, "activation": self.activation, "slope": self.slope}
        return TrainConfig(**{**config.as_dict(), **changes})

    def to_json(self) -> dict:
        return {
            "schemes": list(self.schemes),
            "max_lengths": list(self.max_lengths),
            "samples": self.samples,
            "steps": self.steps,
            "seed": self.seed,
            "biases": list(self.biases),
            "activation": self.activation,
            "slope": self.slope,
        }


@dataclass(frozen=True)
class Share:
    """A measured share with its 95 % Wilson interval."""

    value: float
    low: float
    high: float

    def to_json(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high}


def wilson(hits: int, count: int) -> Share:
    if count == 0:
        return Share(0.0, 0.0, 1.0)
    share = hits / count
    z2 = Z_95 * Z_95
    centre = (share + z2 / (2 * count)) / (1 + z2 / count)
    half = Z_95 * math.sqrt(share * (1 - share) / count + z2 / (4 * count * count))
    half /= 1 + z2 / count
    # rounding can put an end a hair past the share itself at 0 or 1 hits
    return Share(share, min(share, max(0.0, centre - half)), max(share, min(1.0, centre + half)))


@dataclass(frozen=True)
class SchemeMeasurement:
    scheme: str
    bias: bool
    max_length: int
    samples: int
    dead_at_init: float  # the exact probability of being born dead
    measured: dict[Ending, Share] | None  # None until every sample has ended
    median_steps: float | None
    examples: dict[Ending, Init]  # one sample per ending present, for "Load"

    def to_json(self) -> dict:
        return {
            "name": self.scheme,
            "bias": self.bias,
            "max_length": self.max_length,
            "samples": self.samples,
            "dead_at_init": self.dead_at_init,
            "measured": None
            if self.measured is None
            else {ending.value: share.to_json() for ending, share in self.measured.items()},
            "median_steps": self.median_steps,
        }


@dataclass(frozen=True)
class SchemeResult:
    settings: SchemeSettings
    rows: tuple[SchemeMeasurement, ...]
    progress: float = 1.0

    @property
    def complete(self) -> bool:
        return all(row.measured is not None for row in self.rows)

    def to_json(self) -> dict:
        return {"settings": self.settings.to_json(), "schemes": [r.to_json() for r in self.rows]}


def measure_schemes(
    settings: SchemeSettings | None = None,
    on_update: Callable[[SchemeResult], None] | None = None,
    live_range: float | None = None,
    runner: Runner | None = None,
) -> SchemeResult:
    """Train every scheme's draws, per bias setting and maximum length (in this process unless
    `runner` says otherwise); `live_range` limits the example kept per ending to initial values
    within ±live_range (what the live view accepts)."""
    settings = settings or SchemeSettings()
    keys = [
        (scheme, bias, length)
        for length in settings.max_lengths
        for bias in settings.biases
        for scheme in settings.schemes
    ]
    inits = {key: _draws(settings, *key) for key in keys}
    batches = [ModelBatch(inits[key], settings.train_config(key[1], key[2])) for key in keys]
    found = [[None] * batch.count for batch in batches]
    rows = {key: _pending(settings, *key) for key in keys}

    def snapshot(progress: float) -> SchemeResult:
        return SchemeResult(settings, tuple(rows[key] for key in keys), progress)

    def on_ended(index: int, models, results: list[RunResult]) -> None:
        for k, result in zip(models, results):
            found[index][k] = result
        key = keys[index]
        if None not in found[index]:
            rows[key] = _measured(settings, key, found[index], inits[key], live_range)

    def after_chunk(done: float) -> None:
        if on_update:
            on_update(snapshot(done))

    (runner or InProcess()).run(batches, on_ended, after_chunk)
    after_chunk(1.0)
    return snapshot(1.0)


def _draws(settings: SchemeSettings, scheme: str, bias: bool, length: int) -> torch.Tensor:
    """The same draws of a scheme for every length, so lengths compare like with like."""
    rng = generator(settings.seed, SCHEMES.index(scheme), int(bias))
    return draw(scheme, settings.samples, bias, rng)


def _pending(settings: SchemeSettings, scheme: str, bias: bool, length: int):
    return SchemeMeasurement(
        scheme,
        bias,
        length,
        settings.samples,
        dead_at_init_probability(scheme, bias),
        None,
        None,
        {},
    )


def _measured(settings, key, results: Sequence[RunResult], inits, live_range):
    scheme, bias, length = key
    count = len(results)
    endings = Counter(result.ending for result in results)
    steps = [r.converged_at for r in results if r.outcome == CONVERGED]
    examples = {}
    for index, result in enumerate(results):
        values = inits[index].tolist()
        inside = live_range is None or max(abs(v) for v in values) <= live_range
        if result.ending not in examples and inside:
            examples[result.ending] = Init(*values)
    return SchemeMeasurement(
        scheme=scheme,
        bias=bias,
        max_length=length,
        samples=count,
        dead_at_init=dead_at_init_probability(scheme, bias),
        measured={ending: wilson(endings[ending], count) for ending in Ending},
        median_steps=statistics.median(steps) if steps else None,
        examples=examples,
    )
