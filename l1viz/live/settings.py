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

import math
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from l1viz.engine.config import (
    BIAS_NAMES,
    CRITERIA,
    MAX_BATCH_SIZE,
    MAX_LENGTH,
    MAX_SEED,
    MAX_STEPS,
    OPTIMIZERS,
    PARAMETERS,
    SETUP_FIELDS,
    TRANSFORMS,
    Init,
    TrainConfig,
)
from l1viz.study.notebook import NOTEBOOK_INIT

INIT_NAMES = PARAMETERS
INIT_RANGE = (-2.0, 2.0)
LR_RANGE = (1e-4, 1.0)
TOLERANCE_RANGE = (1e-8, 100.0)
# Values drawn and unrolled per training step. The engine allows up to 4096 x 10,000, but such a
# step takes seconds; the live view keeps every step well under one chart refresh.
MAX_STEP_VALUES = 1 << 20
# Streamlit adds these to a URL itself; they are not ours to validate.
FOREIGN_PARAMS = frozenset({"embed", "embed_options"})


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

    def __post_init__(self):
        """Every way of building Settings ends here: values checked, init in float32, biases
        zero when the cell has none (they are not part of the model then)."""
        for name in FIELD_NAMES:
            problem = _problem(name, getattr(self, name))
            if problem:
                raise ValueError(f"{name}: {problem}")
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
        """URL parameters for the fields that differ from the default (biases only with bias)."""
        default = Settings()
        query = {}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if name in BIAS_NAMES and not self.bias:
                continue
            if value != getattr(default, name):
                query[name] = format_value(name, value)
        return query

    @classmethod
    def from_params(cls, params: Mapping) -> tuple[Settings, list[str]]:
        """Settings from URL strings or plain values; missing ones take the default, bad ones
        (and names given more than once, as a list) the default and a warning. Unknown names
        are reported too."""
        default = cls()
        values, warnings = {}, []
        for name, raw in params.items():
            if name in FOREIGN_PARAMS:
                continue
            if name not in FIELD_NAMES:
                warnings.append(f"Unknown URL parameter {_quote(name)} was ignored.")
                continue
            fallback = format_value(name, getattr(default, name))
            if isinstance(raw, (list, tuple)):  # a URL may repeat a name: which one was meant?
                if len(raw) != 1:
                    given = ", ".join(_quote(item) for item in raw[:3])
                    more = ", …" if len(raw) > 3 else ""
                    warnings.append(
                        f"{name} was given {len(raw)} times ({given}{more}). "
                        f"Using the default, {fallback}."
                    )
                    continue
                raw = raw[0]
            value, problem = parse_value(name, raw)
            if problem:
                warnings.append(
                    f"{name} = {_quote(raw)}: {problem}. Using the default, {fallback}."
                )
            else:
                values[name] = value
        batch = values.get("batch_size", default.batch_size)
        if batch * values.get("max_length", default.max_length) > MAX_STEP_VALUES:
            values["max_length"] = MAX_STEP_VALUES // batch
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
        return cls(**values), warnings


STEP_VALUES_RULE = f"at most {MAX_STEP_VALUES:,} values per step in the live view"
FIELD_NAMES = tuple(f.name for f in fields(Settings))
_DEFAULTS = {f.name: f.default for f in fields(Settings)}
INT_NAMES = tuple(name for name, value in _DEFAULTS.items() if type(value) is int)
_RANGES = {
    **{name: INIT_RANGE for name in INIT_NAMES},
    "lr": LR_RANGE,
    "batch_size": (1, MAX_BATCH_SIZE),
    "max_length": (1, MAX_LENGTH),
    "seed": (0, MAX_SEED),
    "steps": (1, MAX_STEPS),
    "tolerance": TOLERANCE_RANGE,
}
_CHOICES = {"optimizer": OPTIMIZERS, "transform": TRANSFORMS, "criterion": CRITERIA}
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def value_range(name: str) -> tuple:
    """(lowest, highest) accepted value of a numeric field; the widgets use the same bounds."""
    return _RANGES[name]


def parse_value(name: str, raw) -> tuple[object, str | None]:
    """(value, None) or (None, why it was rejected), for one field, from text or a plain value."""
    kind = type(_DEFAULTS[name])
    if isinstance(raw, str):
        raw = raw.strip()
    try:
        if kind is bool:
            value = _to_bool(raw)
        elif kind is int:
            value = _to_int(raw)
        elif kind is float:
            value = _to_float(raw)
        else:
            value = raw.lower() if isinstance(raw, str) else raw
    except ValueError as error:
        return None, str(error)
    problem = _problem(name, value)
    return (None, problem) if problem else (value, None)


def format_value(name: str, value) -> str:
    """The URL text of a value: true/false, the shortest exact float text, plain integers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in INIT_NAMES:
        return np.format_float_positional(np.float32(value), unique=True, trim="-")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _problem(name: str, value) -> str | None:
    """Why `value` is not acceptable for field `name` (None if it is)."""
    kind = type(_DEFAULTS[name])
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is str:
        choices = _CHOICES[name]
        return None if value in choices else f"must be one of {', '.join(choices)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "must be a number"
    if kind is int and value != int(value):
        return "must be a whole number"
    if not math.isfinite(value):
        return "must be a finite number"
    low, high = _RANGES[name]
    if not low <= value <= high:
        return f"must be between {low:g} and {high:g}"
    return None


def _to_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in _TRUE + _FALSE:
        return raw.lower() in _TRUE
    raise ValueError("must be true or false")


def _to_float(raw) -> float:
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ValueError("must be a number") from None


def _to_int(raw) -> int:
    """Whole numbers, also written as 1e4 or 32.0; 2.5 is rejected."""
    value = _to_float(raw)
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if value != int(value):
        raise ValueError("must be a whole number")
    return int(value)


def _quote(raw, limit: int = 40) -> str:
    """A user's text, shortened, shown as a quoted literal (never as markup)."""
    text = raw if isinstance(raw, str) else repr(raw)
    return repr(text if len(text) <= limit else text[:limit] + "…")
