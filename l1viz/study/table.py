"""The notebook's observation table, measured: each case sampled over its sign region and trained.

For every case, `samples` initialisations are drawn uniformly from its region (`regions.py`) and
trained with the notebook's hyperparameters (Adam, lr 1e-3, batch 32, length up to 10) on the
batched engine: all cases with the same bias setting form one batch of models, each trained exactly
as if alone. Per case: the share of each outcome, the median steps to converge, the share of the
region the dead rule covers, a verdict against the documented outcome (`verdict.py`) and a sentence
saying why (`table_explain.py`).

Re-check: when samples of a "does not converge" case converge, up to 64 of them are trained again
under the notebook's own stop rule (both weights exactly 1.0, within its 50,000-step cap), so the
explanation can say whether the notebook's stop rule accounts for the difference. It informs the
explanation, never the verdict. (Stalled samples are explained by measurement instead: how large an
input must be to make the cell fire at all.)

Everything is derived from `seed`: the same settings give the same table.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from l1viz.engine.config import MAX_STEPS, ConfigError, TrainConfig
from l1viz.engine.outcomes import (
    CONVERGED,
    DEAD_IN_PRACTICE,
    OUTCOMES,
    STALLED,
    Ending,
    RunResult,
    firing_threshold,
)
from l1viz.engine.trainer import Trainer
from l1viz.study.agreement import AGREES, speed, verdict
from l1viz.study.batch import Progress, run_trainers
from l1viz.study.case_explain import explain_case
from l1viz.study.notebook import EPOCH_CAP, notebook_config
from l1viz.study.observations import (
    DOES_NOT_CONVERGE,
    OBSERVATIONS,
    SUM_NEGATIVE,
    SUM_POSITIVE,
    Observation,
)
from l1viz.study.regions import Magnitudes, bounds, dead_share, generator, sample

MAX_SAMPLES = 4096
# Samples per case re-trained under the notebook's rule: up to 50,000 steps cost far more per model
# than the main run at these small model counts, and 64 are enough to tell "all", "some", "none".
RECHECK_SAMPLES = 64
NOTEBOOK_RULE = "exact"


@dataclass(frozen=True)
class TableSettings:
    samples: int = 256
    steps: int = TrainConfig.steps
    seed: int = 42
    magnitudes: Magnitudes = field(default_factory=Magnitudes)
    criterion: str = TrainConfig.criterion
    recheck: bool = True

    def __post_init__(self):
        for name, high in (("samples", MAX_SAMPLES), ("steps", MAX_STEPS)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ConfigError(name, f"must be a whole number from 1 to {high:,}, got {value!r}")
        self.train_config(bias=False)  # validates seed and criterion

    def train_config(self, bias: bool, criterion: str | None = None, steps: int | None = None):
        return notebook_config(self.seed, steps or self.steps, bias, criterion or self.criterion)

    @property
    def recheck_budget(self) -> int:
        return max(EPOCH_CAP, self.steps)

    @property
    def needs_recheck(self) -> bool:
        """False when the main run already used the notebook's rule with at least its budget."""
        return self.recheck and not (self.criterion == NOTEBOOK_RULE and self.steps >= EPOCH_CAP)

    def as_dict(self) -> dict:
        return {
            "samples": self.samples,
            "steps": self.steps,
            "seed": self.seed,
            "magnitudes": self.magnitudes.as_dict(),
            "criterion": self.criterion,
            "recheck": self.recheck,
        }


def case_samples(case: Observation, settings: TableSettings) -> torch.Tensor:
    """The (samples, 4) initialisations of one case; independent of the other cases."""
    rng = generator(settings.seed, OBSERVATIONS.index(case))
    return sample(case, settings.samples, settings.magnitudes, rng)


def measure_table(
    settings: TableSettings | None = None,
    cases: Sequence[Observation] = OBSERVATIONS,
    on_progress: Progress | None = None,
) -> dict:
    """{"settings": ..., "cases": [one dict per case, in the notebook's order]} of plain data."""
    settings = settings or TableSettings()
    inits = {case.id: case_samples(case, settings) for case in cases}
    label = f"Training {len(cases)} cases × {settings.samples:,} initialisations"
    results = train_cases(cases, inits, settings.train_config, on_progress, label)
    measured = {
        case.id: measure_case(case, results[case.id], inits[case.id], settings) for case in cases
    }
    add_speed(cases, measured, results)
    verdicts = {
        case.id: verdict(
            case.documented, measured[case.id]["converged"], measured[case.id]["speed_ratio"]
        )
        for case in cases
    }
    if settings.needs_recheck:
        recheck(cases, inits, results, verdicts, measured, settings, on_progress)
    rows = [
        case_row(
            case,
            measured[case.id],
            verdicts[case.id],
            representative(case, results[case.id], inits[case.id], settings),
            settings,
        )
        for case in cases
    ]
    return {"settings": settings.as_dict(), "cases": rows}


def train_cases(cases, inits: dict, make_config, on_progress: Progress | None, label: str):
    """Train every case's inits (cases without any are skipped), one batch per bias setting.

    Returns {case id: [RunResult per init]}.
    """
    groups = []
    for bias in (False, True):
        members = [case for case in cases if case.bias == bias and len(inits[case.id])]
        if members:
            stacked = torch.cat([inits[case.id] for case in members])
            groups.append((members, Trainer(stacked, make_config(bias))))
    run_trainers([trainer for _, trainer in groups], on_progress, label)
    results = {}
    for members, trainer in groups:
        flat = trainer.results()
        start = 0
        for case in members:
            results[case.id] = flat[start : start + len(inits[case.id])]
            start += len(inits[case.id])
    return results


def measure_case(case: Observation, results: list[RunResult], inits, settings) -> dict:
    count = len(results)
    endings = Counter(result.ending for result in results)
    converged_steps = [r.converged_at for r in results if r.outcome == CONVERGED]
    stalled = [r for r in results if r.outcome == STALLED]
    silent = [r for r in results if r.outcome == DEAD_IN_PRACTICE]
    return {
        "samples": count,
        **{ending.value: endings[ending] / count for ending in Ending},
        "median_steps": _median(converged_steps),
        "analytic_dead": dead_share(case, settings.magnitudes),
        "stalled_active": _median([r.active for r in stalled]),
        "stalled_threshold": _median(_thresholds(stalled)),
        "silent_threshold": _median(_thresholds(silent)),
        "remark_subset": remark_subset(case, results, inits),
    }


def _thresholds(results: list[RunResult]) -> list[float]:
    """Each run's firing threshold at its end (while h = 0: |x| > -b / w_ih), where it has one."""
    found = []
    for result in results:
        values = result.params
        bias = values["b_hh"] + values["b_ih"]
        threshold = firing_threshold(values["w_ih"], values["w_ih"], bias)
        if threshold is not None:
            found.append(threshold)
    return found


def _median(values: list):
    return statistics.median(values) if values else None


def remark_subset(case: Observation, results: list[RunResult], inits: torch.Tensor):
    """For a case with a remark on the sum of the initial values: the share of samples whose sum
    has that sign, and the share of those that converged."""
    if case.remark not in (SUM_NEGATIVE, SUM_POSITIVE):
        return None
    total = inits.sum(1)
    chosen = (total < 0 if case.remark == SUM_NEGATIVE else total > 0).tolist()
    picked = [result for result, keep in zip(results, chosen) if keep]
    converged = sum(result.outcome == CONVERGED for result in picked)
    return {
        "share": len(picked) / len(results),
        "converged": converged / len(picked) if picked else None,
    }


def add_speed(cases, measured: dict, results: dict):
    """Each case's median steps to converge relative to the other cases with its bias setting."""
    for case in cases:
        others = [
            result.converged_at
            for other in cases
            if other.bias == case.bias and other.id != case.id
            for result in results[other.id]
            if result.outcome == CONVERGED
        ]
        reference = _median(others)
        median = measured[case.id]["median_steps"]
        ratio = median / reference if median is not None and reference else None
        measured[case.id].update(reference_steps=reference, speed_ratio=ratio, speed=speed(ratio))


def recheck(cases, inits, results, verdicts, measured, settings, on_progress):
    """Train the converged samples of a "does not converge" case again under the notebook's rule."""
    chosen = {}
    for case in cases:
        disputed = case.documented == DOES_NOT_CONVERGE and verdicts[case.id] != AGREES
        picked = [i for i, r in enumerate(results[case.id]) if r.outcome == CONVERGED]
        chosen[case.id] = inits[case.id][picked[:RECHECK_SAMPLES] if disputed else []]
    count = sum(len(values) for values in chosen.values())
    if not count:
        return
    budget = settings.recheck_budget

    def make_config(bias):
        return settings.train_config(bias, criterion=NOTEBOOK_RULE, steps=budget)

    label = f"Re-checking {count:,} initialisations under the notebook's stop rule"
    again = train_cases(cases, chosen, make_config, on_progress, label)
    for case_id, rerun in again.items():
        steps = [r.converged_at for r in rerun if r.outcome == CONVERGED]
        measured[case_id]["notebook_rule"] = {
            "rule": NOTEBOOK_RULE,
            "budget": budget,
            "samples": len(rerun),
            "converged": len(steps) / len(rerun),
            "median_steps": _median(steps),
        }


def representative(case: Observation, results: list[RunResult], inits, settings) -> dict:
    """The sample closest to the middle of the region among those with the most common outcome
    (ties: the documented kind first), so "Load" replays a typical run of the case."""
    counts = Counter(result.outcome for result in results)

    def documented_kind(outcome: str) -> bool:
        return (outcome == CONVERGED) == (case.documented != DOES_NOT_CONVERGE)

    outcome = max(OUTCOMES, key=lambda o: (counts[o], documented_kind(o)))
    box = bounds(case, settings.magnitudes)
    middle = torch.tensor([(low + high) / 2 for low, high in box.values()])
    width = torch.tensor([(high - low) or 1.0 for low, high in box.values()])
    distance = (((inits - middle) / width) ** 2).sum(1)
    distance[torch.tensor([r.outcome != outcome for r in results])] = float("inf")
    index = int(distance.argmin())
    init = dict(zip(box, inits[index].tolist()))
    return {
        "init": init,
        "outcome": outcome,
        "steps": results[index].steps,
    }


def case_row(case: Observation, measured: dict, judged: str, typical: dict, settings) -> dict:
    measured.setdefault("notebook_rule", None)
    row = {
        "id": case.id,
        "number": case.number,
        "label": case.label,
        "bias": case.bias,
        "signs": dict(case.signs),
        "documented": case.documented,
        "remark": case.remark,
        "measured": measured,
        "verdict": judged,
        "representative": typical,
    }
    row["explanation"] = explain_case(row, settings.steps)
    return row
