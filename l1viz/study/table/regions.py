"""The region of initial values a notebook case stands for, and uniform samples from it.

A case names only signs ("w_hh negative, w_ih very small positive, ..."); `Magnitudes` turns each
sign into an interval: "normal" magnitudes in [0.1, 1] and "very small" ones in (0, 0.1] by default
(PyTorch initialises a one-unit RNNCell from U(-1, 1), so these cover its range). A case's region is
the box of those intervals; absent biases are 0.

Samples are drawn in float32, the precision the engine trains in, and every sample lies inside the
region with the bounds rounded to float32 (`contains` checks exactly that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from l1viz.engine.cell import Cell
from l1viz.engine.config import MAX_ABS_INIT, PARAMETERS, ConfigError, cell_parameters
from l1viz.engine.outcomes import in_dead_region
from l1viz.study.table.observations import (
    NEGATIVE,
    OBSERVATIONS,
    POSITIVE,
    SIGNS,
    SMALL_NEGATIVE,
    SMALL_POSITIVE,
    Observation,
)

# Points used to estimate the share of a region that lies in the dead region (rule only, no
# training): the estimate's standard error is at most 0.2 percentage points.
DEAD_SHARE_POINTS = 1 << 16
DEAD_SHARE_SEED = 0


@dataclass(frozen=True)
class Magnitudes:
    """What "normal" and "very small" mean: |value| in [normal_low, normal_high] and in
    (0, small_high]."""

    normal_low: float = 0.1
    normal_high: float = 1.0
    small_high: float = 0.1

    def __post_init__(self):
        for name in ("normal_low", "normal_high", "small_high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(name, f"must be a number, got {value!r}")
            if not math.isfinite(value) or not 0 < value <= MAX_ABS_INIT:
                raise ConfigError(name, f"must be > 0 and at most {MAX_ABS_INIT:g}, got {value}")
            object.__setattr__(self, name, float(value))
        if self.normal_low >= self.normal_high:
            raise ConfigError("normal_low", "the normal range must have low < high")
        if self.small_high > self.normal_low:
            raise ConfigError("small_high", "very small magnitudes must not exceed normal ones")

    def interval(self, sign: str) -> tuple[float, float]:
        """Signed [low, high] of a sign, bounds rounded to float32. Very small ones exclude 0."""
        normal = (_f32(self.normal_low), _f32(self.normal_high))
        small = _f32(self.small_high)
        return {
            POSITIVE: normal,
            NEGATIVE: (-normal[1], -normal[0]),
            SMALL_POSITIVE: (0.0, small),
            SMALL_NEGATIVE: (-small, 0.0),
        }[sign]

    def to_json(self) -> dict:
        return {"normal": [self.normal_low, self.normal_high], "small": self.small_high}


def _f32(value: float) -> float:
    return torch.tensor(value, dtype=torch.float32).item()


def bounds(case: Observation, magnitudes: Magnitudes) -> dict[str, tuple[float, float]]:
    """[low, high] of every parameter over the case's region; absent biases are (0, 0)."""
    return {
        name: magnitudes.interval(case.signs[name]) if name in case.signs else (0.0, 0.0)
        for name in PARAMETERS
    }


def generator(seed: int, *path: int) -> torch.Generator:
    """A generator for one case (and purpose) derived from the table's seed: a case's samples do
    not depend on which other cases are drawn or how many samples they get."""
    state = np.random.SeedSequence([seed, *path]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def sample(case: Observation, count: int, magnitudes: Magnitudes, rng: torch.Generator):
    """(count, 4) float32 tensor, uniform over the case's region; columns w_hh, w_ih, b_hh, b_ih."""
    columns = []
    for name in PARAMETERS:
        if name not in case.signs:
            columns.append(torch.zeros(count))
            continue
        low, high = magnitudes.interval(case.signs[name])
        unit = torch.rand(count, generator=rng)
        if low == 0.0:  # very small positive: (0, high], never 0
            values = high * (1.0 - unit)
        elif high == 0.0:  # very small negative: [low, 0)
            values = low * (1.0 - unit)
        else:
            values = (low + (high - low) * unit).clamp(low, high)
        columns.append(values)
    return torch.stack(columns, 1)


def contains(case: Observation, magnitudes: Magnitudes, values: torch.Tensor) -> torch.Tensor:
    """(K, 4) initial values -> (K,) bool: inside the case's region (0 excluded for every sign)."""
    inside = torch.ones(len(values), dtype=torch.bool)
    for column, (name, (low, high)) in enumerate(bounds(case, magnitudes).items()):
        value = values[:, column]
        if name not in case.signs:
            inside &= value == 0
            continue
        inside &= (low <= value) & (value <= high) & (value != 0)
    return inside


@dataclass(frozen=True)
class Placement:
    """Where initial values stand among the notebook's cases: the case whose region holds them,
    or none and the nearest one, with what keeps them out of it."""

    case: Observation | None
    nearest: Observation
    outside: tuple[str, ...] = ()  # one phrase per parameter outside the nearest case's region


def place(values: dict[str, float], bias: bool, magnitudes: Magnitudes | None = None) -> Placement:
    """The notebook case (in the notebook's order) whose region holds `values` (w_hh, w_ih and,
    with bias, b_hh and b_ih), else the nearest case of the same bias setting: the one whose
    intervals are the least total distance away."""
    magnitudes = magnitudes or Magnitudes()
    names = cell_parameters(bias)

    def remoteness(case: Observation) -> tuple[int, float]:
        """(parameters of the wrong sign, total distance to the case's intervals)."""
        box = bounds(case, magnitudes)
        wrong = sum(not _same_sign(values[name], box[name]) for name in names)
        return wrong, sum(_distance(values[name], *box[name]) for name in names)

    candidates = [case for case in OBSERVATIONS if case.bias == bias]
    best = min(candidates, key=remoteness)
    if remoteness(best) == (0, 0.0):
        return Placement(best, best)
    box = bounds(best, magnitudes)
    outside = tuple(
        _outside_text(name, values[name], box[name])
        for name in names
        if _distance(values[name], *box[name]) > 0
    )
    return Placement(None, best, outside)


def _same_sign(value: float, interval: tuple[float, float]) -> bool:
    low, high = interval
    return value > 0 if high > 0 else value < 0


def _distance(value: float, low: float, high: float) -> float:
    """How far `value` is from [low, high]; 0 itself is outside every sign's interval."""
    if value == 0:
        return max(abs(low), abs(high), 1e-12) if low <= 0 <= high else min(abs(low), abs(high))
    return max(low - value, value - high, 0.0)


def _outside_text(name: str, value: float, interval: tuple[float, float]) -> str:
    low, high = interval
    if value == 0:
        return f"{name} is 0, which has no sign"
    if low == 0:
        wanted = f"0 < {name} ≤ {high:g}"
    elif high == 0:
        wanted = f"{low:g} ≤ {name} < 0"
    else:
        wanted = f"{low:g} ≤ {name} ≤ {high:g}"
    return f"{name} = {value:.4g} is outside {wanted}"


def dead_share(case: Observation, magnitudes: Magnitudes) -> float:
    """Share of the region where the cell can never fire, by the engine's dead rule alone.

    A property of the region, estimated from a fixed stream of points (not the table's seed)."""
    return _dead_share(case.id, case.bias, tuple(case.signs.items()), magnitudes)


@lru_cache(maxsize=256)
def _dead_share(case_id: str, bias: bool, signs: tuple, magnitudes: Magnitudes) -> float:
    case = Observation(case_id, 0, bias, dict(signs), "")
    rng = generator(DEAD_SHARE_SEED, int(bias), *(SIGNS.index(sign) for _, sign in signs))
    points = sample(case, DEAD_SHARE_POINTS, magnitudes, rng)
    return float(dead_by_rule(points, case.bias).float().mean())


def dead_by_rule(inits: torch.Tensor, bias: bool) -> torch.Tensor:
    """(K, 4) initial values -> (K,) bool: `outcomes.in_dead_region` on the cell's parameters."""
    rows = inits.T if bias else inits[:, :2].T
    return in_dead_region(Cell(bias, "where").effective(rows))
