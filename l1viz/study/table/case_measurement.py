"""What one case of the table measured: the share of each ending over its samples and the
figures that explain them. Plain numbers, made by `measure.py`, read by `words.py`."""

from __future__ import annotations

from dataclasses import dataclass

from l1viz.engine.outcomes import Ending
from l1viz.study.table.agreement import speed


@dataclass(frozen=True)
class Recheck:
    """Converged samples of a disputed "does not converge" case, trained again under the
    notebook's stop rule."""

    rule: str
    budget: int
    samples: int
    converged: float
    median_steps: float | None


@dataclass(frozen=True)
class RemarkSubset:
    """For a case whose remark is the sign of the sum of its initial values: the share of samples
    with that sign, and the share of those that converged."""

    share: float
    converged: float | None


@dataclass(frozen=True)
class CaseMeasurement:
    samples: int
    shares: dict[Ending, float]  # every ending, summing to 1
    median_steps: float | None  # of the converged samples
    analytic_dead: float  # share of the region where the dead rule holds
    stalled_active: float | None  # median share of positive pre-activations, stalled samples
    stalled_threshold: float | None  # median firing threshold |x| of the stalled samples
    silent_threshold: float | None  # the same, of the samples dead in practice
    remark_subset: RemarkSubset | None
    reference_steps: float | None = None  # median of the other cases with this bias setting
    speed_ratio: float | None = None  # median_steps / reference_steps
    notebook_rule: Recheck | None = None

    def share(self, ending: Ending) -> float:
        return self.shares[ending]

    @property
    def converged(self) -> float:
        return self.shares[Ending.CONVERGED]

    @property
    def dead(self) -> float:
        """Dead by the analytic rule: from the start or during training."""
        return self.shares[Ending.DEAD_AT_INIT] + self.shares[Ending.DIED]

    @property
    def speed(self) -> str | None:
        return speed(self.speed_ratio)

    def to_json(self) -> dict:
        return {
            "samples": self.samples,
            **{ending.value: share for ending, share in self.shares.items()},
            "median_steps": self.median_steps,
            "analytic_dead": self.analytic_dead,
            "stalled_active": self.stalled_active,
            "stalled_threshold": self.stalled_threshold,
            "silent_threshold": self.silent_threshold,
            "remark_subset": _plain(self.remark_subset),
            "reference_steps": self.reference_steps,
            "speed_ratio": self.speed_ratio,
            "speed": self.speed,
            "notebook_rule": _plain(self.notebook_rule),
        }


def _plain(record) -> dict | None:
    return None if record is None else dict(record.__dict__)
