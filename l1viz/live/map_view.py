"""The outcome map page's whole state as one typed object, and its URL form: the CLI's `sweep`
flags (x, y, x_range=LOW,HIGH, y_range, grid, steps, seed, seeds, fixed=NAME=VALUE,…), the cell
with biases (bias=true), the colouring (colour=ending|share|steps, ending=…) and the zoom
breadcrumb (zoom=X0,X1,Y0,Y1;… one box per level below the whole map), the activation
(activation=leaky_relu, slope=0.05 when not its default). A bad value is named and replaced by its
default. An axis may be the slope α (x=slope, log-spaced): it trains leaky ReLU unless the
activation is prelu, as in the CLI.

The settings off the axes start from the page's own values (`FIXED_DEFAULTS`, a live cell with
biases that fire); `fixed` holds the ones the user changed. As in the CLI, naming a bias there, or
putting one on an axis, gives the cell biases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from l1viz.engine.config import (
    BIAS_NAMES,
    MAX_ABS_INIT,
    MAX_LENGTH,
    MAX_SEED,
    MAX_STEPS,
    PARAMETERS,
    ConfigError,
)
from l1viz.engine.outcomes import Ending
from l1viz.live.fields import Choice, Flag, Number, Pair, Refused, Several, read_view, view_query
from l1viz.live.settings import FIELDS as LIVE_FIELDS
from l1viz.live.settings import slope_unless_own
from l1viz.plots.outcome_map import ENDING_MODE, SHARE_MODE, STEPS_MODE, MapView
from l1viz.study.map import ALL_AXES, AXES, DEFAULT_RANGES, MAX_SEEDS, SweepSettings
from l1viz.study.map.sweep import LR_LIMITS, MAX_GRID

FIXED_DEFAULTS = {
    "w_hh": 0.5,
    "w_ih": 0.5,
    "b_hh": 0.5,
    "b_ih": -0.75,
    "lr": 1e-3,
    "max_length": 10.0,
}
MODES = (ENDING_MODE, SHARE_MODE, STEPS_MODE)
# Wide enough for every axis (an initial value, a learning rate, a length, a slope); each axis's
# own limit is the sweep's check, and `AXIS_FIELDS` its words for the page's boxes.
AXIS_VALUE = Number(-MAX_ABS_INIT, MAX_ABS_INIT)
AXIS_FIELDS = {
    **{name: AXIS_VALUE for name in PARAMETERS},
    "lr": Number(*LR_LIMITS),
    "max_length": Number(1, MAX_LENGTH),
    "slope": LIVE_FIELDS["slope"],
}
Box = tuple[float, float, float, float]  # x low, x high, y low, y high


@dataclass(frozen=True)
class Setting:
    """NAME=VALUE: a setting off the axes, as the CLI's --fixed writes it."""

    def parse(self, raw):
        name, sep, value = str(raw).partition("=")
        if not sep or name.strip() not in AXES:
            raise Refused(f"must be NAME=VALUE with NAME one of {', '.join(AXES)}")
        return (name.strip(), AXIS_VALUE.parse(value))

    def text(self, value) -> str:
        return f"{value[0]}={value[1]!r}"


@dataclass(frozen=True)
class Boxes:
    """Zoom boxes, one per level: X0,X1,Y0,Y1 separated by ';'."""

    def parse(self, raw):
        boxes = []
        for part in (p for p in str(raw).split(";") if p.strip()):
            numbers = part.split(",")
            if len(numbers) != 4:
                raise Refused("each box must be four numbers, x0,x1,y0,y1")
            pair = Pair(AXIS_VALUE)
            boxes.append(pair.parse(numbers[:2]) + pair.parse(numbers[2:]))
        return tuple(boxes)

    def text(self, value) -> str:
        return ";".join(",".join(f"{v!r}" for v in box) for box in value)


FIELDS = {
    "x": Choice(ALL_AXES),
    "y": Choice(ALL_AXES),
    "x_range": Pair(AXIS_VALUE),
    "y_range": Pair(AXIS_VALUE),
    "grid": Number(2, MAX_GRID, whole=True),
    "steps": Number(1, MAX_STEPS, whole=True),
    "seed": Number(0, MAX_SEED, whole=True),
    "seeds": Number(1, MAX_SEEDS, whole=True),
    "bias": Flag(),
    "fixed": Several(Setting()),
    "colour": Choice(MODES),
    "ending": Choice(tuple(ending.value for ending in Ending)),
    "zoom": Boxes(),
    "activation": LIVE_FIELDS["activation"],
    "slope": LIVE_FIELDS["slope"],
}
_CULPRITS = {"x": ("x",), "y": ("y", "x"), "lr": ("fixed", "x_range", "y_range")}
_CULPRITS["max_length"] = _CULPRITS["lr"]


@dataclass(frozen=True)
class OutcomeMapView:
    x: str = "w_hh"
    y: str = "w_ih"
    x_range: tuple[float, float] = ()  # () : the axis's default range
    y_range: tuple[float, float] = ()
    grid: int = 64
    steps: int = 50_000
    seed: int = 42
    seeds: int = 1
    bias: bool = False
    fixed: tuple[tuple[str, float], ...] = ()  # the settings off the axes the user changed
    colour: str = ENDING_MODE
    ending: str = Ending.CONVERGED.value
    zoom: tuple[Box, ...] = ()
    activation: str = SweepSettings.activation
    slope: float | None = None  # off the axes: the activation's own when None

    def __post_init__(self):
        object.__setattr__(self, "slope", slope_unless_own(self.activation, self.slope))

    @property
    def has_bias(self) -> bool:
        named = {self.x, self.y, *dict(self.fixed)}
        return self.bias or bool(named & set(BIAS_NAMES))

    def fixed_values(self) -> dict[str, float]:
        """Every setting off the axes the map uses (the biases only when the cell has them)."""
        given = dict(self.fixed)
        return {
            name: given.get(name, FIXED_DEFAULTS[name])
            for name in AXES
            if name not in (self.x, self.y) and (self.has_bias or name not in BIAS_NAMES)
        }

    def whole_map(self) -> SweepSettings:
        """The map before any zoom; raises ConfigError naming a bad setting."""
        return SweepSettings(
            x=self.x,
            y=self.y,
            x_range=self.x_range or DEFAULT_RANGES[self.x],
            y_range=self.y_range or DEFAULT_RANGES[self.y],
            grid=self.grid,
            steps=self.steps,
            fixed=tuple(self.fixed_values().items()),
            seed=self.seed,
            seeds=self.seeds,
            activation=self.activation,
            slope=self.slope,
        )

    def levels(self) -> list[SweepSettings]:
        """The breadcrumb: the whole map, then each zoom box at the same resolution."""
        whole, levels = self.whole_map(), []
        for box in self.zoom:
            try:
                levels.append(replace(whole, x_range=box[:2], y_range=box[2:]))
            except ConfigError as error:
                raise ConfigError("zoom", str(error).split(": ", 1)[-1]) from None
        return [whole, *levels]

    def zoomed(self, x_range, y_range) -> OutcomeMapView:
        return replace(self, zoom=(*self.zoom, (*x_range, *y_range)))

    def at_level(self, depth: int) -> OutcomeMapView:
        return replace(self, zoom=self.zoom[:depth])

    def colouring(self) -> MapView:
        return MapView(self.colour, Ending(self.ending))

    def to_query(self) -> dict[str, str]:
        return view_query(self, FIELDS)

    @classmethod
    def from_params(cls, params: Mapping) -> tuple[OutcomeMapView, list[str]]:
        return read_view(cls, FIELDS, params, cls.levels, _CULPRITS, _default_text)


def _default_text(name: str, value) -> str:
    if name in ("x_range", "y_range") and not value:
        return "the axis's own range"
    if name == "slope" and value is None:
        return "the activation's own"
    return FIELDS[name].text(value)
