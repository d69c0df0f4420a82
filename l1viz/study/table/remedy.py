"""The notebook's remedy, measured per case: the same samples trained again under another
activation (leaky ReLU, ...), beside what ReLU did with them.

Under any activation but ReLU no run is ever dead (engine/verdicts.py): a sample ends converged,
stalled or diverged, and may be revived on the way (it fired again after a silence).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from l1viz.engine.outcomes import CONVERGED, Ending, RunResult
from l1viz.study.table.case_measurement import CaseMeasurement
from l1viz.study.vocabulary import ENDING_WORDS, activation_name


@dataclass(frozen=True)
class RemedyMeasurement:
    activation: str
    slope: float | None
    samples: int
    shares: dict[Ending, float]  # every ending, summing to 1 (the dead ones are 0)
    revived: float  # share of the samples that fired again after a silence
    median_steps: float | None  # of the converged samples
    median_revived_at: float | None  # of the revived samples

    def share(self, ending: Ending) -> float:
        return self.shares[ending]

    @property
    def converged(self) -> float:
        return self.shares[Ending.CONVERGED]

    @property
    def name(self) -> str:
        return activation_name(self.activation, self.slope)

    def to_json(self) -> dict:
        return {
            "activation": self.activation,
            "slope": self.slope,
            "samples": self.samples,
            **{ending.value: share for ending, share in self.shares.items()},
            "revived": self.revived,
            "median_steps": self.median_steps,
            "median_revived_at": self.median_revived_at,
        }


def measure_remedy(activation: str, slope: float | None, results: list[RunResult]):
    """How one case's samples ended under the remedy activation."""
    count = len(results)
    revived = [r.revived_at for r in results if r.revived_at is not None]
    return RemedyMeasurement(
        activation=activation,
        slope=slope,
        samples=count,
        shares={e: sum(r.ending == e for r in results) / count for e in Ending},
        revived=len(revived) / count,
        median_steps=_median([r.converged_at for r in results if r.outcome == CONVERGED]),
        median_revived_at=_median(revived),
    )


def remedy_summary(remedy: RemedyMeasurement) -> str:
    """ "leaky ReLU α = 0.01: 100% converge, median 9,025 steps; 98% revived (median step 234);
    0% stalled at the budget"."""
    parts = [f"{remedy.converged:.0%} converge"]
    if remedy.median_steps is not None:
        parts[0] += f", median {remedy.median_steps:,.0f} steps"
    if remedy.revived:
        parts.append(f"{remedy.revived:.0%} revived (median step {remedy.median_revived_at:,.0f})")
    for ending in (Ending.STALLED, Ending.DIVERGED):
        if remedy.shares[ending]:
            parts.append(f"{remedy.shares[ending]:.0%} {ENDING_WORDS[ending]}")
    return f"{remedy.name}: {'; '.join(parts)}"


def comparison(measured: CaseMeasurement, remedy: RemedyMeasurement) -> str:
    """The row read across: "ReLU: 100% dead from the start · leaky ReLU α = 0.01: ...", ReLU's
    most common ending first."""
    ending = max(measured.shares, key=measured.shares.get)
    relu = f"ReLU: {measured.shares[ending]:.0%} {ENDING_WORDS[ending]}"
    return f"{relu} · {remedy_summary(remedy)}"


def _median(values: list):
    return statistics.median(values) if values else None
