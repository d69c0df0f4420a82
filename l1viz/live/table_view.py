"""The observation table page's whole state as one typed object, and its URL form: the CLI's
`table` flags (samples, steps, seed, normal=LOW,HIGH, small, criterion, recheck, activation,
slope) and the case a link highlights (case=bias-8). A bad value is named and replaced by its
default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from l1viz.engine.config import CRITERIA, MAX_ABS_INIT, MAX_SEED, MAX_STEPS
from l1viz.live.fields import Blank, Choice, Flag, Number, Pair, read_view, view_query
from l1viz.live.settings import FIELDS as SETUP_FIELDS
from l1viz.live.settings import OWN_SLOPE, slope_unless_own
from l1viz.study.table import MAX_SAMPLES, OBSERVATIONS, Magnitudes, TableSettings

_TABLE, _MAGNITUDES = TableSettings(), Magnitudes()
MAGNITUDE = Number(0.0, MAX_ABS_INIT, above=True)
FIELDS = {
    "samples": Number(1, MAX_SAMPLES, whole=True),
    "steps": Number(1, MAX_STEPS, whole=True),
    "seed": Number(0, MAX_SEED, whole=True),
    "normal": Pair(MAGNITUDE),
    "small": MAGNITUDE,
    "criterion": Choice(CRITERIA),
    "recheck": Flag(),
    # The remedy trained beside ReLU ("relu": none), the live page's choices and limits.
    "activation": SETUP_FIELDS["activation"],
    "slope": Blank(SETUP_FIELDS["slope"]),
    "case": Choice(
        ("", *(case.id for case in OBSERVATIONS)),
        what="must be one of the notebook's cases (no-bias-1 … no-bias-5, bias-1 … bias-12)",
    ),
}
# The TableSettings field a ConfigError names -> the URL names that can cause it.
_CULPRITS = {
    "normal_low": ("normal", "small"),
    "normal_high": ("normal",),
    "small_high": ("small", "normal"),
}


@dataclass(frozen=True)
class TableView:
    samples: int = _TABLE.samples
    steps: int = _TABLE.steps
    seed: int = _TABLE.seed
    normal: tuple[float, float] = (_MAGNITUDES.normal_low, _MAGNITUDES.normal_high)
    small: float = _MAGNITUDES.small_high
    criterion: str = _TABLE.criterion
    recheck: bool = _TABLE.recheck
    activation: str = _TABLE.activation
    slope: float | None = None  # None: the activation's own (leaky ReLU 0.01, PReLU 0.25)
    case: str = ""  # the case a link highlights ("" : the live view's current case)

    def __post_init__(self):
        object.__setattr__(self, "slope", slope_unless_own(self.activation, self.slope))

    def settings(self) -> TableSettings:
        """The measurement this view shows; raises ConfigError naming a bad setting."""
        return TableSettings(
            samples=self.samples,
            steps=self.steps,
            seed=self.seed,
            criterion=self.criterion,
            recheck=self.recheck,
            activation=self.activation,
            slope=self.slope,
            magnitudes=Magnitudes(*self.normal, self.small),
        )

    def to_query(self) -> dict[str, str]:
        return view_query(self, FIELDS)

    @classmethod
    def from_params(cls, params: Mapping) -> tuple[TableView, list[str]]:
        return read_view(cls, FIELDS, params, cls.settings, _CULPRITS, default_text)


def default_text(name: str, value) -> str:
    """A value as a warning names it ("Using the default, 256.", "using the activation's own")."""
    if name == "slope" and value is None:
        return OWN_SLOPE
    return FIELDS[name].text(value)
