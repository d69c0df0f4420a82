"""The outcome map: how training ends from every initialisation on a grid over two parameters.

Two of w_hh, w_ih, b_hh, b_ih vary over a grid of cell centres (cell edges fall on the range's ends,
so with an even grid over a symmetric range no centre sits on 0); the other two are fixed. The cell
has biases iff a bias is swept or fixed: mentioning a bias asks for a cell with biases, the other
bias then starting at 0. Every grid cell is one model of a single batched run with the notebook's
hyperparameters, so a 64 x 64 map is one run of 4,096 models.

The result is plain data (lists), ready for JSON, CSV, caching and the figure: per cell the outcome,
steps to converge, final loss and whether the dead rule holds at the start; the dead rule on a finer
grid for drawing its boundary; and the notebook cases whose region the map's plane cuts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch

from l1viz.engine.config import MAX_ABS_INIT, MAX_STEPS, ConfigError, TrainConfig
from l1viz.engine.outcomes import OUTCOMES
from l1viz.engine.trainer import Trainer
from l1viz.study.batch import Progress, run_trainers
from l1viz.study.notebook import notebook_config
from l1viz.study.observations import OBSERVATIONS, PARAMETERS
from l1viz.study.regions import Magnitudes, bounds, dead_by_rule

BIASES = ("b_hh", "b_ih")
MAX_GRID = 256
BOUNDARY_GRID = 241  # points per axis for the dead rule's boundary (odd: 0 is on it)


@dataclass(frozen=True)
class SweepSettings:
    x: str = "w_hh"
    y: str = "w_ih"
    x_range: tuple[float, float] = (-1.5, 1.5)
    y_range: tuple[float, float] = (-1.5, 1.5)
    grid: int = 64
    steps: int = TrainConfig.steps
    fixed: tuple[tuple[str, float], ...] = ()
    seed: int = 42

    def __post_init__(self):
        for axis in ("x", "y"):
            if getattr(self, axis) not in PARAMETERS:
                raise ConfigError(axis, f"must be one of {', '.join(PARAMETERS)}")
        if self.x == self.y:
            raise ConfigError("y", "must differ from x")
        for name in ("x_range", "y_range"):
            _check_range(name, getattr(self, name))
        for name, high in (("grid", MAX_GRID), ("steps", MAX_STEPS)):
            value = getattr(self, name)
            low = 2 if name == "grid" else 1
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(name, f"must be a whole number from {low} to {high:,}")
        fixed = dict(self.fixed)
        if len(fixed) != len(self.fixed):
            raise ConfigError("fixed", "each parameter can be fixed once")
        for name, value in fixed.items():
            if name not in PARAMETERS or name in (self.x, self.y):
                raise ConfigError("fixed", f"{name!r} is not a parameter outside the two axes")
            if not isinstance(value, (int, float)) or not abs(value) <= MAX_ABS_INIT:
                raise ConfigError("fixed", f"{name} must be a number within ±{MAX_ABS_INIT:g}")
        object.__setattr__(self, "fixed", tuple(sorted((k, float(v)) for k, v in fixed.items())))
        self.train_config()  # validates the seed

    @property
    def bias(self) -> bool:
        named = {self.x, self.y, *dict(self.fixed)}
        return bool(named & set(BIASES))

    def fixed_values(self) -> dict[str, float]:
        """Each parameter off the axes: its fixed value, else 0 (biases only if the cell has
        them)."""
        given = dict(self.fixed)
        return {
            name: given.get(name, 0.0)
            for name in PARAMETERS
            if name not in (self.x, self.y) and (self.bias or name not in BIASES)
        }

    def train_config(self) -> TrainConfig:
        return notebook_config(self.seed, self.steps, self.bias)

    def as_dict(self) -> dict:
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
        }


def _check_range(name: str, value):
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(name, "must be two numbers, low and high") from None
    if not -MAX_ABS_INIT <= low < high <= MAX_ABS_INIT:
        raise ConfigError(name, f"needs low < high, both within ±{MAX_ABS_INIT:g}")


def cell_centres(value_range: tuple[float, float], count: int) -> torch.Tensor:
    low, high = value_range
    width = (high - low) / count
    return torch.tensor([low + (i + 0.5) * width for i in range(count)], dtype=torch.float64)


def plane_inits(settings: SweepSettings, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """(len(ys) * len(xs), 4) initial values, row-major: y is the row, x the column."""
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    inits = torch.zeros(grid_x.numel(), 4, dtype=torch.float64)
    for name, value in settings.fixed_values().items():
        inits[:, PARAMETERS.index(name)] = value
    inits[:, PARAMETERS.index(settings.x)] = grid_x.flatten()
    inits[:, PARAMETERS.index(settings.y)] = grid_y.flatten()
    return inits.float()


def measure_sweep(
    settings: SweepSettings | None = None,
    on_progress: Progress | None = None,
) -> dict:
    settings = settings or SweepSettings()
    xs = cell_centres(settings.x_range, settings.grid)
    ys = cell_centres(settings.y_range, settings.grid)
    inits = plane_inits(settings, xs, ys)
    trainer = Trainer(inits, settings.train_config())
    label = f"Training {trainer.count:,} initialisations"
    run_trainers([trainer], on_progress, label)
    results = trainer.results()
    width = settings.grid

    def as_grid(values: list) -> list[list]:
        return [values[row * width : (row + 1) * width] for row in range(width)]

    return {
        "settings": settings.as_dict(),
        "xs": inits[:width, PARAMETERS.index(settings.x)].tolist(),
        "ys": inits[::width, PARAMETERS.index(settings.y)].tolist(),
        "outcome": as_grid([r.outcome for r in results]),
        "ending": as_grid([r.ending.value for r in results]),
        "converged_at": as_grid([r.converged_at for r in results]),
        "steps": as_grid([r.steps for r in results]),
        "loss": as_grid([r.loss for r in results]),
        "dead_at_init": as_grid([r.dead_at_init for r in results]),
        "counts": {o: n for o, n in Counter(r.outcome for r in results).items()},
        "boundary": dead_boundary(settings),
        "cases": case_regions(settings),
    }


def dead_boundary(settings: SweepSettings) -> dict:
    """The dead rule on a fine grid over the plane, for drawing where it starts to hold."""
    xs = torch.linspace(*settings.x_range, BOUNDARY_GRID, dtype=torch.float64)
    ys = torch.linspace(*settings.y_range, BOUNDARY_GRID, dtype=torch.float64)
    dead = dead_by_rule(plane_inits(settings, xs, ys), settings.bias)
    return {
        "xs": xs.tolist(),
        "ys": ys.tolist(),
        "dead": dead.view(BOUNDARY_GRID, BOUNDARY_GRID).to(torch.uint8).tolist(),
    }


def case_regions(settings: SweepSettings, magnitudes: Magnitudes | None = None) -> list[dict]:
    """The notebook cases whose region the plane passes through: same bias setting, both axes
    among the case's parameters, every fixed value inside the case's interval for it."""
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
            regions.append(
                {
                    "id": case.id,
                    "label": case.label,
                    "documented": case.documented,
                    "x": list(box[settings.x]),
                    "y": list(box[settings.y]),
                }
            )
    return regions


def cell_init(sweep: dict, row: int, column: int) -> dict:
    """Initial values of the grid cell at (row, column) = (y index, x index)."""
    settings = sweep["settings"]
    init = {name: 0.0 for name in PARAMETERS}
    init.update(settings["fixed"])
    init[settings["x"]] = sweep["xs"][column]
    init[settings["y"]] = sweep["ys"][row]
    return init


def outcome_counts_text(counts: dict) -> str:
    total = sum(counts.values()) or 1
    return ", ".join(f"{name} {counts.get(name, 0) / total:.0%}" for name in OUTCOMES)
