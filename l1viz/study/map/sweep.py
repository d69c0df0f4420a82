"""The outcome map: how training ends from every point of a grid over two settings.

An axis is one of the four initial values (w_hh, w_ih, b_hh, b_ih: cell centres, linearly spaced;
cell edges fall on the range's ends, so with an even grid over a symmetric range no centre sits
on 0), the learning rate (log-spaced), the maximum sequence length (log-spaced whole numbers,
repeated ones dropped) or the slope alpha of leaky ReLU or PReLU (log-spaced; a slope axis trains
leaky ReLU unless the activation is prelu). The other settings are fixed: initial values default
to 0, the hyperparameters to the notebook's, the activation to ReLU. The cell has biases iff a
bias is on an axis or fixed.

Every grid cell is one model of a batched run; cells that need their own data stream (another
maximum length, another data seed) form their own batch; learning rates and slopes are per
model. With `seeds`
N > 1 each cell is trained from N data seeds (seed, seed + 1, ...), and the map can show the share
of each ending over them.

The dead rule's boundary is computed on a plane of initial values under ReLU only: no other
activation has a dead region.

Results arrive as they are decided: a cell's ending is None while it trains, so a map can be drawn
before its slowest cells have finished.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from l1viz.engine.config import (
    ACTIVATIONS,
    BIAS_NAMES,
    MAX_ABS_INIT,
    MAX_LENGTH,
    MAX_STEPS,
    PARAMETERS,
    SLOPE_DEFAULTS,
    ConfigError,
    Init,
    TrainConfig,
    check_choice,
    check_int,
    checked_slope,
)
from l1viz.engine.outcomes import Ending, RunResult, dead_rules_apply
from l1viz.engine.trainer import model_alphas, model_learning_rates, stack_inits
from l1viz.study.notebook import LEARNING_RATE, notebook_config
from l1viz.study.notebook import MAX_LENGTH as NOTEBOOK_MAX_LENGTH
from l1viz.study.runner import InProcess, ModelBatch, Runner
from l1viz.study.table.observations import OBSERVATIONS, Observation
from l1viz.study.table.regions import Magnitudes, bounds, dead_by_rule

HYPERPARAMETER_AXES = ("lr", "max_length")
AXES = PARAMETERS + HYPERPARAMETER_AXES
# The slope of leaky ReLU or PReLU: an axis of its own (off the axes it is the `slope` setting).
ALL_AXES = AXES + ("slope",)
LOG_AXES = ("lr", "slope")  # log-spaced, rounded to 4 significant digits
MAX_GRID = 256
MAX_SEEDS = 64
BOUNDARY_GRID = 241  # points per axis for the dead rule's boundary (odd: 0 is on it)
LR_LIMITS = (1e-6, 10.0)
DEFAULT_RANGES = {
    **{name: (-1.5, 1.5) for name in PARAMETERS},
    "lr": (1e-4, 1.0),
    "max_length": (1.0, 1000.0),
    "slope": (1e-4, 0.5),
}
NOTEBOOK_FIXED = {"lr": LEARNING_RATE, "max_length": NOTEBOOK_MAX_LENGTH}


@dataclass(frozen=True)
class SweepSettings:
    x: str = "w_hh"
    y: str = "w_ih"
    x_range: tuple[float, float] = DEFAULT_RANGES["w_hh"]
    y_range: tuple[float, float] = DEFAULT_RANGES["w_ih"]
    grid: int = 64
    steps: int = TrainConfig.steps
    fixed: tuple[tuple[str, float], ...] = ()
    seed: int = 42
    seeds: int = 1
    activation: str = TrainConfig.activation
    slope: float | None = None  # off the axes: the activation's (default when None)

    def __post_init__(self):
        check_choice("x", self.x, ALL_AXES)
        check_choice("y", self.y, ALL_AXES)
        if self.x == self.y:
            raise ConfigError("y", "must differ from x")
        self._check_activation()
        for axis, name in ((self.x, "x_range"), (self.y, "y_range")):
            object.__setattr__(self, name, _checked_range(name, axis, getattr(self, name)))
        check_int("grid", self.grid, 2, MAX_GRID)
        check_int("steps", self.steps, 1, MAX_STEPS)
        check_int("seeds", self.seeds, 1, MAX_SEEDS)
        fixed = dict(self.fixed)
        if len(fixed) != len(self.fixed):
            raise ConfigError("fixed", "each setting can be fixed once")
        for name, value in fixed.items():
            if name not in AXES or name in (self.x, self.y):
                raise ConfigError("fixed", f"{name!r} is not a setting outside the two axes")
            _checked_value("fixed", value, name)
        object.__setattr__(self, "fixed", tuple(sorted((k, float(v)) for k, v in fixed.items())))
        for point in self.corners():
            self.train_config(point)  # validates the seed and every hyperparameter on the grid

    def _check_activation(self) -> None:
        check_choice("activation", self.activation, ACTIVATIONS)
        if "slope" in (self.x, self.y) and self.activation == "relu":
            object.__setattr__(self, "activation", "leaky_relu")
        if "slope" in (self.x, self.y) and self.activation not in SLOPE_DEFAULTS:
            raise ConfigError("activation", f"{self.activation} has no slope to put on an axis")
        object.__setattr__(self, "slope", checked_slope(self.activation, self.slope))
        if "slope" in dict(self.fixed):
            raise ConfigError("fixed", "the slope off the axes is the slope setting")

    @property
    def sloped(self) -> bool:
        return self.activation in SLOPE_DEFAULTS

    @property
    def bias(self) -> bool:
        named = {self.x, self.y, *dict(self.fixed)}
        return bool(named & set(BIAS_NAMES))

    @property
    def plane_of_inits(self) -> bool:
        """Both axes are initial values: the plane the notebook's cases are boxes in."""
        return self.x in PARAMETERS and self.y in PARAMETERS

    def fixed_values(self) -> dict[str, float]:
        """Every setting off the axes: the fixed value, else 0 for an initial value (biases only
        if the cell has them) and the notebook's value for a hyperparameter."""
        given = dict(self.fixed)
        values = {}
        for name in ALL_AXES:
            if name in (self.x, self.y) or (name in BIAS_NAMES and not self.bias):
                continue
            if name == "slope":
                if self.sloped:
                    values[name] = self.slope
                continue
            values[name] = given.get(name, NOTEBOOK_FIXED.get(name, 0.0))
        return values

    def axis_values(self, axis: str) -> tuple[float, ...]:
        value_range = self.x_range if axis == "x" else self.y_range
        return axis_points(getattr(self, axis), value_range, self.grid)

    def point(self, x: float, y: float) -> dict[str, float]:
        """Every setting at one grid point: the fixed values and the two axes."""
        return {**self.fixed_values(), self.x: x, self.y: y}

    def corners(self) -> list[dict[str, float]]:
        xs, ys = self.axis_values("x"), self.axis_values("y")
        return [self.point(x, y) for x in (xs[0], xs[-1]) for y in (ys[0], ys[-1])]

    def init_at(self, point: dict[str, float]) -> Init:
        return Init(**{name: point.get(name, 0.0) for name in PARAMETERS})

    def train_config(self, point: dict[str, float], seed: int | None = None) -> TrainConfig:
        config = notebook_config(self.seed if seed is None else seed, self.steps, self.bias)
        hyper = {"lr": point["lr"], "max_length": int(point["max_length"])}
        hyper.update(activation=self.activation, slope=point.get("slope"))
        return TrainConfig(**{**config.as_dict(), **hyper})

    def to_json(self) -> dict:
        return {
            "x": self.x,
            "y": self.y,
            "x_range": list(self.x_range),
            "y_range": list(self.y_range),
            "grid": self.grid,
            "steps": self.steps,
            "fixed": self.fixed_values(),
            "bias": self.bias,
            "seed": self.seed,
            "seeds": self.seeds,
            "activation": self.activation,
            "slope": None if "slope" in (self.x, self.y) else self.slope,
        }


def _checked_range(name: str, axis: str, value) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(name, "must be two numbers, low and high") from None
    if not low < high:
        raise ConfigError(name, f"needs low < high, got {low:g} and {high:g}")
    _checked_value(name, low, axis)
    _checked_value(name, high, axis)
    return low, high


def _checked_value(name: str, value, axis: str | None = None) -> float:
    """A value of setting `axis` (default: `name`) within what the engine accepts."""
    axis = axis or name
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(name, f"{axis} must be a finite number, got {value!r}")
    if axis == "lr" and not LR_LIMITS[0] <= value <= LR_LIMITS[1]:
        raise ConfigError(
            name, f"a learning rate must be within {LR_LIMITS[0]:g}..{LR_LIMITS[1]:g}"
        )
    if axis == "max_length" and not 1 <= value <= MAX_LENGTH:
        raise ConfigError(name, f"a maximum length must be within 1..{MAX_LENGTH:,}")
    if axis == "slope" and not 0 < value < 1:
        raise ConfigError(name, "a slope must be within (0, 1)")
    if axis in PARAMETERS and not abs(value) <= MAX_ABS_INIT:
        raise ConfigError(name, f"an initial value must be within ±{MAX_ABS_INIT:g}")
    return float(value)


def axis_points(axis: str, value_range: tuple[float, float], count: int) -> tuple[float, ...]:
    """The grid's values along one axis (see the module's docstring)."""
    low, high = value_range
    if axis in PARAMETERS:
        width = (high - low) / count
        return tuple(low + (i + 0.5) * width for i in range(count))
    ratio = (high / low) ** (1 / (count - 1))
    values = [low * ratio**i for i in range(count)]
    if axis in LOG_AXES:
        return tuple(float(f"{value:.4g}") for value in values)
    return tuple(sorted({float(round(value)) for value in values}))


# -- results ------------------------------------------------------------------------------------
Grid = tuple[tuple, ...]  # rows over y, columns over x


@dataclass(frozen=True)
class DeadBoundary:
    """The dead rule on a fine grid of the plane (1 where it holds), for drawing its edge."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    dead: Grid


@dataclass(frozen=True)
class CaseRegion:
    """A notebook case whose region the plane cuts: its box in the plane."""

    case: Observation
    x: tuple[float, float]
    y: tuple[float, float]


@dataclass(frozen=True)
class SweepResult:
    settings: SweepSettings
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    ending: Grid  # Ending of the first seed's run, None while it trains
    decided_at: Grid  # the step it converged, died, fell silent or diverged (else None)
    converged_at: Grid
    steps: Grid
    loss: Grid
    dead_at_init: Grid
    fractions: dict[Ending, Grid]  # share of the seeds that ended so (training ones excluded)
    boundary: DeadBoundary | None
    cases: tuple[CaseRegion, ...]
    progress: float = 1.0
    seed_endings: tuple[Grid, ...] = ()  # `ending` for each data seed, the first one first

    @property
    def complete(self) -> bool:
        return all(value is not None for row in self.ending for value in row)

    def counts(self) -> dict[Ending, int]:
        found = Counter(value for row in self.ending for value in row if value is not None)
        return {ending: found[ending] for ending in Ending}

    def cell_point(self, row: int, column: int) -> dict[str, float]:
        """Every setting of the grid cell at (row, column) = (y index, x index)."""
        return self.settings.point(self.xs[column], self.ys[row])

    def to_json(self) -> dict:
        grids = ("converged_at", "decided_at", "steps", "loss", "dead_at_init")
        return {
            "settings": self.settings.to_json(),
            "xs": list(self.xs),
            "ys": list(self.ys),
            "ending": _lists(self.ending, lambda e: None if e is None else e.value),
            **{name: _lists(getattr(self, name)) for name in grids},
            "fractions": {ending.value: _lists(grid) for ending, grid in self.fractions.items()},
            "counts": {ending.value: count for ending, count in self.counts().items()},
            "cases": [
                {"id": r.case.id, "label": r.case.label, "x": list(r.x), "y": list(r.y)}
                for r in self.cases
            ],
        }


def _lists(grid: Grid, convert=lambda value: value) -> list[list]:
    return [[convert(value) for value in row] for row in grid]


def counts_text(counts: dict[Ending, int]) -> str:
    total = sum(counts.values()) or 1
    return ", ".join(
        f"{ending.value.replace('_', ' ')} {count / total:.0%}" for ending, count in counts.items()
    )


# -- measuring ----------------------------------------------------------------------------------
Update = Callable[[SweepResult], None]


@dataclass
class _Batch:
    """Grid cells (flat indices, row-major) trained together, from one data seed."""

    seed_index: int
    cells: list[int]
    models: ModelBatch


@dataclass
class _Cells:
    """Per cell and seed, the run's result once it has ended."""

    count: int
    seeds: int
    results: list[list[RunResult | None]] = field(default_factory=list)

    def __post_init__(self):
        self.results = [[None] * self.count for _ in range(self.seeds)]


def measure_sweep(
    settings: SweepSettings | None = None,
    on_update: Update | None = None,
    runner: Runner | None = None,
):
    """Train every grid cell (in this process unless `runner` says otherwise); `on_update` gets
    the map so far whenever more cells have been decided."""
    settings = settings or SweepSettings()
    xs, ys = settings.axis_values("x"), settings.axis_values("y")
    points = [settings.point(x, y) for y in ys for x in xs]
    batches = _batches(settings, points)
    cells = _Cells(len(points), settings.seeds)
    dies = settings.plane_of_inits and dead_rules_apply(settings.activation)
    boundary = dead_boundary(settings) if dies else None
    regions = case_regions(settings) if settings.plane_of_inits else ()

    def snapshot(progress: float) -> SweepResult:
        return _result(settings, xs, ys, cells, boundary, regions, progress)

    def on_ended(index: int, models, results: list[RunResult]) -> None:
        batch = batches[index]
        row = cells.results[batch.seed_index]
        for k, result in zip(models, results):
            row[batch.cells[k]] = result

    def after_chunk(done: float) -> None:
        if on_update:
            on_update(snapshot(done))

    (runner or InProcess()).run([batch.models for batch in batches], on_ended, after_chunk)
    final = snapshot(1.0)
    if on_update:
        on_update(final)
    return final


def _batches(settings: SweepSettings, points: list[dict]) -> list[_Batch]:
    """One batch per data seed and per distinct max_length on the grid (each needs its own
    data stream); learning rates are per model."""
    groups: dict[float, list[int]] = {}
    for index, point in enumerate(points):
        groups.setdefault(point["max_length"], []).append(index)
    batches = []
    for seed_index in range(settings.seeds):
        for indices in groups.values():
            first = points[indices[0]]
            config = settings.train_config(first, seed=settings.seed + seed_index)
            inits = stack_inits([settings.init_at(points[i]) for i in indices], config.bias)
            rates = model_learning_rates([points[i]["lr"] for i in indices], config.lr, len(inits))
            alphas = [points[i]["slope"] for i in indices] if settings.sloped else None
            alphas = model_alphas(alphas, config, len(inits))
            models = ModelBatch(inits, config, rates, alphas)
            batches.append(_Batch(seed_index, indices, models))
    return batches


def _result(settings, xs, ys, cells: _Cells, boundary, regions, progress: float) -> SweepResult:
    width = len(xs)

    def grid(values: list) -> Grid:
        return tuple(tuple(values[row * width : (row + 1) * width]) for row in range(len(ys)))

    first = cells.results[0]

    def field_of(name: str) -> Grid:
        return grid([None if r is None else getattr(r, name) for r in first])

    seed_endings = tuple(
        grid([None if r is None else r.ending for r in run]) for run in cells.results
    )
    fractions = {}
    for ending in Ending:
        shares = []
        for cell in range(cells.count):
            ended = [run[cell] for run in cells.results if run[cell] is not None]
            hits = sum(result.ending == ending for result in ended)
            shares.append(hits / len(ended) if ended else None)
        fractions[ending] = grid(shares)
    return SweepResult(
        settings=settings,
        xs=tuple(xs),
        ys=tuple(ys),
        ending=seed_endings[0],
        decided_at=grid([None if r is None else r.decided_at for r in first]),
        converged_at=field_of("converged_at"),
        steps=field_of("steps"),
        loss=field_of("loss"),
        dead_at_init=field_of("dead_at_init"),
        fractions=fractions,
        boundary=boundary,
        cases=regions,
        progress=progress,
        seed_endings=seed_endings,
    )


def dead_boundary(settings: SweepSettings) -> DeadBoundary:
    """The dead rule on a fine grid over the plane of initial values."""
    xs = torch.linspace(*settings.x_range, BOUNDARY_GRID, dtype=torch.float64)
    ys = torch.linspace(*settings.y_range, BOUNDARY_GRID, dtype=torch.float64)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    inits = torch.zeros(grid_x.numel(), 4, dtype=torch.float64)
    for name, value in settings.fixed_values().items():
        if name in PARAMETERS:
            inits[:, PARAMETERS.index(name)] = value
    inits[:, PARAMETERS.index(settings.x)] = grid_x.flatten()
    inits[:, PARAMETERS.index(settings.y)] = grid_y.flatten()
    dead = dead_by_rule(inits.float(), settings.bias).view(BOUNDARY_GRID, BOUNDARY_GRID)
    return DeadBoundary(
        tuple(xs.tolist()), tuple(ys.tolist()), tuple(map(tuple, dead.to(torch.uint8).tolist()))
    )


def case_regions(settings: SweepSettings, magnitudes: Magnitudes | None = None) -> tuple:
    """The notebook cases whose region the plane passes through: same bias setting, every fixed
    initial value inside the case's interval for it."""
    magnitudes = magnitudes or Magnitudes()
    regions = []
    for case in OBSERVATIONS:
        if case.bias != settings.bias:
            continue
        box = bounds(case, magnitudes)
        fixed_inside = all(
            low <= value <= high and value != 0
            for name, value in settings.fixed_values().items()
            if name in case.signs
            for low, high in [box[name]]
        )
        if fixed_inside:
            regions.append(CaseRegion(case, box[settings.x], box[settings.y]))
    return tuple(regions)
