"""The boundary study: zoom into the outcome map's boundary level by level, measuring how rough it
is at each scale (the box-counting dimension, boundary.py), as Sohl-Dickstein (2024) did for the
boundary between trainable and untrainable hyperparameters.

Level 0 is the map as given. Each next level is the same map over a box `zoom` times narrower on
each axis (in log space on a log axis), centred on the boundary cell nearest the middle of the
previous level (on the first data seed's map) and kept inside that level's ranges, as the map
page's box zoom would measure it. The study stops early, saying why, when a level shows no
boundary or when its grid points would no longer be distinct at the engine's precision.

Uncertainty: every data seed is an independent data stream, so each level's dimension is the mean
over the seeds' maps with its standard error; across levels it is the mean of the levels' values
with the standard error of that mean (one level: that level's error).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from l1viz.engine.config import PARAMETERS, ConfigError, check_int
from l1viz.engine.outcomes import Ending
from l1viz.study.map.boundary import boundary_cells, box_counting
from l1viz.study.map.sweep import SweepResult, SweepSettings, measure_sweep
from l1viz.study.map.zoom import zoom_in
from l1viz.study.runner import Runner

MAX_LEVELS = 12
ZOOM_LIMITS = (1.5, 1000.0)
ENDINGS = tuple(Ending)
NOT_ENDED = -1


@dataclass(frozen=True)
class BoundarySettings:
    start: SweepSettings  # level 0
    levels: int = 6
    zoom: float = 4.0  # each level's box is this many times narrower on each axis

    def __post_init__(self):
        check_int("levels", self.levels, 1, MAX_LEVELS)
        low, high = ZOOM_LIMITS
        if isinstance(self.zoom, bool) or not (
            isinstance(self.zoom, (int, float)) and low <= self.zoom <= high
        ):
            raise ConfigError("zoom", f"must be a number within {low:g}..{high:g}")
        object.__setattr__(self, "zoom", float(self.zoom))

    def budget(self, levels: int | None = None) -> int:
        """Model-steps of `levels` levels (all by default) if no run ended early."""
        start = self.start
        cells = start.grid * start.grid * start.seeds
        return (self.levels if levels is None else levels) * cells * start.steps

    def budget_cell_steps(self, levels: int | None = None) -> float:
        """Cell evaluations (model-steps x batch x mean length) of `levels` levels, likewise:
        what the kernel's time is proportional to."""
        start = self.start
        lengths = [start.point(x, y)["max_length"] for x, y in zip(*_axes(start))]
        batch = start.train_config(start.corners()[0]).batch_size
        return self.budget(levels) * batch * statistics.fmean((n + 1) / 2 for n in lengths)

    def to_json(self) -> dict:
        return {**self.identity(), "levels": self.levels}

    def identity(self) -> dict:
        """What makes two studies the same study; more levels only continue it."""
        return {"start": self.start.to_json(), "zoom": self.zoom}


def _axes(settings: SweepSettings) -> tuple[list[float], list[float]]:
    """Every grid point's x and y (the same number of each)."""
    xs, ys = settings.axis_values("x"), settings.axis_values("y")
    return [x for _ in ys for x in xs], [y for y in ys for _ in xs]


@dataclass(frozen=True)
class Estimate:
    value: float | None
    error: float | None  # standard error of the mean; None from fewer than two values
    count: int

    def __str__(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:.3f}" + ("" if self.error is None else f" ± {self.error:.3f}")

    def to_json(self) -> dict:
        return {"value": self.value, "error": self.error, "count": self.count}


def estimate(values) -> Estimate:
    found = [v for v in values if v is not None and math.isfinite(v)]
    if not found:
        return Estimate(None, None, 0)
    error = statistics.stdev(found) / math.sqrt(len(found)) if len(found) > 1 else None
    return Estimate(statistics.fmean(found), error, len(found))


@dataclass(frozen=True, eq=False)
class Level:
    index: int
    settings: SweepSettings
    endings: np.ndarray  # (seeds, rows, columns) int8: index into ENDINGS, NOT_ENDED
    seconds: float  # spent measuring it

    @classmethod
    def of(cls, index: int, result: SweepResult, seconds: float) -> Level:
        codes = [
            [[NOT_ENDED if e is None else ENDINGS.index(e) for e in row] for row in grid]
            for grid in result.seed_endings
        ]
        return cls(index, result.settings, np.array(codes, dtype=np.int8), seconds)

    def dimensions(self) -> tuple[float | None, ...]:
        return tuple(box_counting(seed_map).dimension for seed_map in self.endings)

    def estimate(self) -> Estimate:
        return estimate(self.dimensions())

    def to_json(self) -> dict:
        return {
            "level": self.index,
            "x_range": list(self.settings.x_range),
            "y_range": list(self.settings.y_range),
            "dimensions": list(self.dimensions()),
            "dimension": self.estimate().to_json(),
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class BoundaryResult:
    settings: BoundarySettings
    levels: tuple[Level, ...]
    stopped: str = ""  # why the study ended before its last level

    def estimate(self) -> Estimate:
        per_level = [level.estimate() for level in self.levels]
        if len(per_level) == 1:
            return per_level[0]
        return estimate(each.value for each in per_level)

    def to_json(self) -> dict:
        return {
            "settings": self.settings.to_json(),
            "levels": [level.to_json() for level in self.levels],
            "dimension": self.estimate().to_json(),
            "stopped": self.stopped,
        }


# -- zooming ------------------------------------------------------------------------------------
def next_settings(level: Level, zoom: float) -> SweepSettings | str:
    """The next level's map, or why there is none."""
    settings = level.settings
    edge = boundary_cells(level.endings[0])
    if not edge.any():
        return f"level {level.index} shows no boundary to zoom into"
    rows, columns = np.nonzero(edge)
    middle_row, middle_column = (edge.shape[0] - 1) / 2, (edge.shape[1] - 1) / 2
    nearest = int(np.argmin((rows - middle_row) ** 2 + (columns - middle_column) ** 2))
    xs, ys = settings.axis_values("x"), settings.axis_values("y")
    x_ends = _box(settings.x, settings.x_range, xs[columns[nearest]], zoom)
    y_ends = _box(settings.y, settings.y_range, ys[rows[nearest]], zoom)
    zoomed = zoom_in(settings, x_ends, y_ends)
    for axis in ("x", "y"):
        if not _distinct(getattr(zoomed, axis), zoomed.axis_values(axis), zoomed.grid):
            name = getattr(zoomed, axis)
            return (
                f"level {level.index + 1}: its {name} values would repeat at the engine's precision"
            )
    return zoomed


def _box(axis: str, value_range, centre: float, zoom: float) -> tuple[float, float]:
    """A range `zoom` times narrower around `centre`, inside `value_range`."""
    logarithmic = axis not in PARAMETERS
    to, back = (math.log, math.exp) if logarithmic else (float, float)
    low, high = (to(end) for end in value_range)
    half = (high - low) / zoom / 2
    middle = min(max(to(centre), low + half), high - half)
    return back(middle - half), back(middle + half)


def _distinct(axis: str, values, grid: int) -> bool:
    """Every grid point its own value as the engine takes it (initial values are float32)."""
    if axis in PARAMETERS:
        values = torch.tensor(values, dtype=torch.float64).float().tolist()
    return len(set(values)) == grid


# -- measuring ----------------------------------------------------------------------------------
LevelDone = Callable[[Level], None]


def measure_boundary(
    settings: BoundarySettings,
    runner: Runner | None = None,
    done: tuple[Level, ...] = (),
    on_level: LevelDone | None = None,
) -> BoundaryResult:
    """Measure the levels after those `done` (an interrupted study's, resumed); `on_level` gets
    each level as it finishes (to save it)."""
    levels = list(done)
    while len(levels) < settings.levels:
        if levels:
            following = next_settings(levels[-1], settings.zoom)
            if isinstance(following, str):
                return BoundaryResult(settings, tuple(levels), following)
        else:
            following = settings.start
        began = time.monotonic()
        result = measure_sweep(following, runner=runner)
        level = Level.of(len(levels), result, time.monotonic() - began)
        levels.append(level)
        if on_level:
            on_level(level)
    return BoundaryResult(settings, tuple(levels))
