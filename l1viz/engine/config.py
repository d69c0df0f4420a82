"""One typed settings object for a run, validated in one place.

The CLI, the dashboard's URL state and the tests all build a `TrainConfig`; a bad value raises
`ConfigError` naming the field, so every front end can turn it into a clear message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

# The cell's parameters, in the order every table, tensor and URL uses.
PARAMETERS = ("w_hh", "w_ih", "b_hh", "b_ih")
WEIGHT_NAMES = PARAMETERS[:2]
BIAS_NAMES = PARAMETERS[2:]
TRANSFORMS = ("where", "relu-pair", "learned")
OPTIMIZERS = ("adam", "sgd")
CRITERIA = ("tolerance", "loss", "exact")
# h = phi(z) of the cell (activations.py defines each).
ACTIVATIONS = ("relu", "leaky_relu", "elu", "softplus", "tanh", "prelu")
# The activations with a negative slope alpha, and its default: fixed for leaky_relu, learned
# for prelu (from PyTorch's nn.PReLU init unless set). Any alpha in (0, 1).
SLOPE_DEFAULTS = {"leaky_relu": 0.01, "prelu": 0.25}

# Largest values accepted anywhere (CLI, URL, sliders); documented in the README's "Limits".
MAX_BATCH_SIZE = 4096
MAX_LENGTH = 10_000
MAX_STEPS = 10_000_000
MAX_HISTORY_ROWS = 1_000_000
MAX_ABS_INIT = 1e6
MAX_LR = 1e3
MAX_TOLERANCE = 1e6
# Seeds fit 32 bits: numpy's SeedSequence and a browser's number box both take them exactly.
MAX_SEED = 2**32 - 1


def cell_parameters(bias: bool) -> tuple[str, ...]:
    """The parameters a cell has: the biases only when it has them."""
    return PARAMETERS if bias else WEIGHT_NAMES


class ConfigError(ValueError):
    """A setting out of its allowed range; `field` names it for the message."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of a run (the cell's initial values live in `Init`)."""

    lr: float = 1e-3
    optimizer: str = "adam"
    batch_size: int = 32
    max_length: int = 10
    seed: int = 42
    steps: int = 50_000
    bias: bool = True
    transform: str = "where"
    # The notebook's rule: a run "converges" when it computes the L1 norm (w_hh = w_ih = 1.0
    # exactly); any error a tolerance leaves in w_hh compounds over a long sequence.
    criterion: str = "exact"
    tolerance: float = 1e-3
    activation: str = "relu"
    slope: float | None = None  # None: the activation's default (SLOPE_DEFAULTS), if it has one
    # How the engine runs, not what is trained: not part of a run's setup (SETUP_FIELDS).
    early_stop: bool = field(default=True, metadata={"engine": True})
    dead_patience: int = field(default=100, metadata={"engine": True})
    history_rows: int = field(default=20_000, metadata={"engine": True})
    device: str = field(default="cpu", metadata={"engine": True})

    def __post_init__(self):
        check_positive_float("lr", self.lr, upper=MAX_LR)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        check_int("max_length", self.max_length, 1, MAX_LENGTH)
        check_int("seed", self.seed, 0, MAX_SEED)
        check_int("steps", self.steps, 0, MAX_STEPS)
        check_choice("transform", self.transform, TRANSFORMS)
        check_choice("criterion", self.criterion, CRITERIA)
        check_positive_float("tolerance", self.tolerance, upper=MAX_TOLERANCE)
        check_choice("activation", self.activation, ACTIVATIONS)
        object.__setattr__(self, "slope", checked_slope(self.activation, self.slope))
        check_int("dead_patience", self.dead_patience, 1, MAX_STEPS)
        check_int("history_rows", self.history_rows, 0, MAX_HISTORY_ROWS)
        if self.history_rows == 1:
            raise ConfigError("history_rows", "must be 0 (no history) or at least 2")
        check_device(self.device)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Init:
    """Initial values of the cell; the biases are ignored when the run has no bias."""

    w_hh: float
    w_ih: float
    b_hh: float = 0.0
    b_ih: float = 0.0

    def __post_init__(self):
        for name in PARAMETERS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(name, f"must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ConfigError(name, f"must be finite, got {value}")
            if abs(value) > MAX_ABS_INIT:
                raise ConfigError(name, f"must be within ±{MAX_ABS_INIT:g}, got {value}")
            object.__setattr__(self, name, float(value))

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in PARAMETERS}


def check_int(name: str, value, low: int, high: int):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")


def check_positive_float(name: str, value, upper: float):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, f"must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(name, f"must be a finite number > 0, got {value}")
    if value > upper:
        raise ConfigError(name, f"must be at most {upper:g}, got {value}")


def check_choice(name: str, value, choices: tuple[str, ...]):
    if value not in choices:
        raise ConfigError(name, f"must be one of {', '.join(choices)}; got {value!r}")


def checked_slope(activation: str, slope) -> float | None:
    """The slope of a sloped activation (its default when None), None for the others."""
    if activation not in SLOPE_DEFAULTS:
        if slope is not None:
            sloped = " and ".join(SLOPE_DEFAULTS)
            raise ConfigError("slope", f"only {sloped} have a slope, not {activation}")
        return None
    if slope is None:
        return SLOPE_DEFAULTS[activation]
    if isinstance(slope, bool) or not isinstance(slope, (int, float)):
        raise ConfigError("slope", f"must be a number, got {slope!r}")
    if not 0 < slope < 1:
        raise ConfigError("slope", f"must be in (0, 1), got {slope}")
    return float(slope)


def check_device(device: str):
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ConfigError("device", f"not a torch device: {device!r}") from error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", "CUDA was asked for but is not available on this machine")
    if parsed.type not in ("cpu", "cuda"):
        raise ConfigError("device", f"only cpu and cuda are supported, got {device!r}")


# The hyperparameters that define a run: what a link, a table row or a tracked run carries.
SETUP_FIELDS = tuple(f.name for f in fields(TrainConfig) if not f.metadata.get("engine"))
