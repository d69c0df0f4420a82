"""The schemes page's whole state as one typed object, and its URL form: the CLI's `schemes` flags
(schemes=pytorch,kaiming, max_length=10,100, samples, steps, seed, bias=both|with|without,
activation, slope when not the activation's default) and the ending whose share the chart shows. A
bad value is named and replaced by its default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from l1viz.engine.config import MAX_LENGTH, MAX_SEED, MAX_STEPS
from l1viz.engine.outcomes import Ending
from l1viz.live.fields import Choice, Number, Several, read_view, view_query
from l1viz.live.settings import FIELDS as LIVE_FIELDS
from l1viz.live.settings import slope_unless_own
from l1viz.study.schemes import MAX_SAMPLES, SCHEMES, SchemeSettings

# Which cells each `bias` value trains, as the CLI's --bias says it.
BIASES = {"both": (False, True), "with": (True,), "without": (False,)}
ENDINGS = tuple(ending.value for ending in Ending)
FIELDS = {
    "schemes": Several(Choice(SCHEMES)),
    "max_length": Several(Number(1, MAX_LENGTH, whole=True)),
    "samples": Number(1, MAX_SAMPLES, whole=True),
    "steps": Number(1, MAX_STEPS, whole=True),
    "seed": Number(0, MAX_SEED, whole=True),
    "bias": Choice(tuple(BIASES)),
    "ending": Choice(ENDINGS),
    "activation": LIVE_FIELDS["activation"],
    "slope": LIVE_FIELDS["slope"],
}


@dataclass(frozen=True)
class SchemesView:
    """Defaults: a page that answers in about a minute (fewer draws and steps than the CLI's)."""

    schemes: tuple[str, ...] = SCHEMES
    max_length: tuple[int, ...] = (10, 100)
    samples: int = 128
    steps: int = 30_000
    seed: int = 42
    bias: str = "both"
    ending: str = Ending.CONVERGED.value  # the share the chart shows
    activation: str = SchemeSettings.activation
    slope: float | None = None  # the activation's own when None

    def __post_init__(self):
        object.__setattr__(self, "slope", slope_unless_own(self.activation, self.slope))

    def settings(self) -> SchemeSettings:
        """The measurement this view shows; raises ConfigError naming a bad setting."""
        return SchemeSettings(
            schemes=self.schemes,
            max_lengths=tuple(sorted(self.max_length)),
            samples=self.samples,
            steps=self.steps,
            seed=self.seed,
            biases=BIASES[self.bias],
            activation=self.activation,
            slope=self.slope,
        )

    def to_query(self) -> dict[str, str]:
        return view_query(self, FIELDS)

    @classmethod
    def from_params(cls, params: Mapping) -> tuple[SchemesView, list[str]]:
        return read_view(cls, FIELDS, params, cls.settings, text=_default_text)


def _default_text(name: str, value) -> str:
    if name == "slope" and value is None:
        return "the activation's own"
    return FIELDS[name].text(value)
