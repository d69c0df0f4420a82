"""The dashboard's whole setup as one typed object, and its URL form (TF Playground's state.ts is
the model).

Every field has a URL name (the field's own name), a parser and a range. `Settings.from_params`
turns any mapping -- the URL's strings or plain values from another page -- into a valid `Settings`
plus one readable warning per value it had to reject, so a bad link shows a message and the default,
never an exception. `to_query` writes only what differs from the default: the default setup (the
notebook's) is the bare URL.

Initial values are kept in float32, the precision the cell trains in, and written to the URL as the
shortest text that gives back the same float32, so a link reproduces a run bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from l1viz.engine.config import (
    ACTIVATIONS,
    BIAS_NAMES,
    CRITERIA,
    MAX_ABS_INIT,
    MAX_BATCH_SIZE,
    MAX_LENGTH,
    MAX_LR,
    MAX_SEED,
    MAX_STEPS,
    MAX_TOLERANCE,
    OPTIMIZERS,
    PARAMETERS,
    SETUP_FIELDS,
    SLOPE_DEFAULTS,
    TRANSFORMS,
    Init,
    TrainConfig,
)
from l1viz.live.fields import Choice, Field, Flag, Number, Refused, read_params
from l1viz.live.view import AT
from l1viz.study.notebook import NOTEBOOK_INIT

INIT_NAMES = PARAMETERS
# The initial values' sliders span this; their boxes take the engine's whole range.
COMMON_INIT_RANGE = (-2.0, 2.0)
# Values drawn and unrolled per training step. The engine allows up to 4096 x 10,000, but such a
# step takes seconds; the live view keeps every step well under one chart refresh.
MAX_STEP_VALUES = 1 << 20
# The engine takes any slope in (0, 1); a box's limits are inclusive.
MAX_SLOPE = 0.999
# What a slope left unset stands for, as a warning names the default.
OWN_SLOPE = "the activation's own"


def slope_unless_own(activation: str, slope: float | None) -> float | None:
    """None for a slope equal to its activation's default, so that a page's view has one address
    (activation=leaky_relu, and not also &slope=0.01)."""
    return None if slope is not None and slope == SLOPE_DEFAULTS.get(activation) else slope


def as_float32(value: float) -> float:
    return float(np.float32(value))


@dataclass(frozen=True)
class Settings:
    """Initial values and hyperparameters of a live run. Defaults: the notebook's setup."""

    w_hh: float = NOTEBOOK_INIT.w_hh
    w_ih: float = NOTEBOOK_INIT.w_ih
    b_hh: float = 0.0
    b_ih: float = 0.0
    bias: bool = False
    lr: float = TrainConfig.lr
    optimizer: str = TrainConfig.optimizer
    batch_size: int = TrainConfig.batch_size
    max_length: int = TrainConfig.max_length
    seed: int = TrainConfig.seed
    steps: int = TrainConfig.steps
    transform: str = TrainConfig.transform
    criterion: str = TrainConfig.criterion
    tolerance: float = TrainConfig.tolerance
    activation: str = TrainConfig.activation
    slope: float | None = None  # the activation's default when it has one and none is given

    def __post_init__(self):
        """Every way of building Settings ends here: values checked, init in float32, biases
        zero when the cell has none (they are not part of the model then), the slope the
        activation's own (None without one)."""
        for name in FIELD_NAMES:
            unset = name == "slope" and self.slope is None
            problem = None if unset else _problem(name, getattr(self, name))
            if problem:
                raise ValueError(f"{name}: {problem}")
        slope = self.slope if self.slope is not None else SLOPE_DEFAULTS.get(self.activation)
        sloped = self.activation in SLOPE_DEFAULTS
        object.__setattr__(self, "slope", float(slope) if sloped else None)
        if self.batch_size * self.max_length > MAX_STEP_VALUES:
            raise ValueError(f"batch_size × max_length: {STEP_VALUES_RULE}")
        for name in INIT_NAMES:
            value = 0.0 if name in BIAS_NAMES and not self.bias else getattr(self, name)
            object.__setattr__(self, name, as_float32(value))
        for name in INT_NAMES:
            object.__setattr__(self, name, int(getattr(self, name)))

    # -- to the engine ----------------------------------------------------------------------
    def config(self) -> TrainConfig:
        return TrainConfig(**{name: getattr(self, name) for name in SETUP_FIELDS})

    def init(self) -> Init:
        return Init(self.w_hh, self.w_ih, self.b_hh, self.b_ih)

    def with_init(self, init: Init) -> Settings:
        return replace(self, **init.as_dict())

    def as_dict(self) -> dict:
        return asdict(self)

    # -- URL --------------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """URL parameters for the fields that differ from the default (biases only with bias,
        the slope only when it is not its activation's default)."""
        defaults = {**Settings().as_dict(), "slope": SLOPE_DEFAULTS.get(self.activation)}
        query = {}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if name in BIAS_NAMES and not self.bias:
                continue
            if value != defaults[name]:
                query[name] = format_value(name, value)
        return query

    @classmethod
    def from_params(cls, params: Mapping) -> tuple[Settings, list[str]]:
        """Settings from URL strings or plain values; missing ones take the default, bad ones
        (and names given more than once, as a list) the default and a warning. Unknown names
        are reported too."""
        default = cls()
        defaults = {name: getattr(default, name) for name in FIELD_NAMES}
        params = {name: raw for name, raw in params.items() if name != AT}  # the view's, not ours
        values, warnings = read_params(FIELDS, defaults, params, text=_default_text)
        batch = values.get("batch_size", default.batch_size)
        length = values.get("max_length", default.max_length)
        if fitted_length(batch, length) != length:
            values["max_length"] = fitted_length(batch, length)
            warnings.append(
                f"batch_size × max_length: {STEP_VALUES_RULE}. max_length lowered to "
                f"{values['max_length']:,}."
            )
        if not values.get("bias", default.bias):
            for name in BIAS_NAMES:
                if values.pop(name, 0.0) != 0.0:
                    warnings.append(
                        f"{name} was ignored: the cell has no bias (add bias=true to use it)."
                    )
        activation = values.get("activation", default.activation)
        if activation not in SLOPE_DEFAULTS and values.pop("slope", None) is not None:
            warnings.append(
                f"slope was ignored: {activation} has no slope (add activation=leaky_relu or "
                "activation=prelu to use it)."
            )
        return cls(**values), warnings


STEP_VALUES_RULE = f"at most {MAX_STEP_VALUES:,} values per step in the live view"
FIELD_NAMES = tuple(f.name for f in fields(Settings))
_DEFAULTS = {f.name: f.default for f in fields(Settings)}
INT_NAMES = tuple(name for name, value in _DEFAULTS.items() if type(value) is int)
# The engine's own limits (engine/config.py): the URL, the boxes and the CLI take the same values.
FIELDS: dict[str, Field] = {
    **{name: Number(-MAX_ABS_INIT, MAX_ABS_INIT) for name in INIT_NAMES},
    "bias": Flag(),
    "lr": Number(0.0, MAX_LR, above=True),
    "optimizer": Choice(OPTIMIZERS),
    "batch_size": Number(1, MAX_BATCH_SIZE, whole=True),
    "max_length": Number(1, MAX_LENGTH, whole=True),
    "seed": Number(0, MAX_SEED, whole=True),
    "steps": Number(0, MAX_STEPS, whole=True),
    "transform": Choice(TRANSFORMS),
    "criterion": Choice(CRITERIA),
    "tolerance": Number(0.0, MAX_TOLERANCE, above=True),
    "activation": Choice(ACTIVATIONS),
    "slope": Number(0.0, MAX_SLOPE, above=True),
}


def fitted_length(batch_size: int, max_length: int) -> int:
    """`max_length`, lowered as far as a step of `batch_size` sequences needs to stay within
    MAX_STEP_VALUES (the live view's one rule beyond the engine's limits)."""
    return min(max_length, MAX_STEP_VALUES // batch_size)


def value_range(name: str) -> tuple:
    """(lowest, highest) accepted value of a numeric field."""
    return FIELDS[name].low, FIELDS[name].high


def parse_value(name: str, raw) -> tuple[object, str | None]:
    """(value, None) or (None, why it was rejected), for one field, from text or a plain value."""
    try:
        return FIELDS[name].parse(raw), None
    except Refused as refused:
        return None, str(refused)


def format_value(name: str, value) -> str:
    """The URL text of a value: true/false, the shortest exact float32 text of an initial value,
    plain integers."""
    if name in INIT_NAMES:
        return np.format_float_positional(np.float32(value), unique=True, trim="-")
    if value is None:  # the slope of an activation without one
        return ""
    return FIELDS[name].text(value)


def _default_text(name: str, value) -> str:
    """A default as a warning names it ("Using the default, 0.001.")."""
    return OWN_SLOPE if value is None else format_value(name, value)


def _problem(name: str, value) -> str | None:
    """Why `value` is not acceptable for field `name` (None if it is)."""
    field = FIELDS[name]
    if isinstance(field, Number):
        return field.problem(value)
    if isinstance(field, Flag):
        return None if isinstance(value, bool) else "must be true or false"
    return None if value in field.options else f"must be one of {', '.join(field.options)}"
