"""The notebook's observation table, measured: each case sampled over its sign region and trained.

For every case, `samples` initialisations are drawn uniformly from its region (`regions.py`) and
trained with the notebook's hyperparameters (Adam, lr 1e-3, batch 32, length up to 10) on the
batched engine: all cases with the same bias setting form one batch of models, each trained exactly
as if alone. Per case: the share of each ending, the median steps to converge, the share of the
region the dead rule covers, how it compares with the documented outcome (`agreement.py`) and a
sentence saying why (`words.py`).

Cases are reported as they finish: a case whose samples have all ended is measured at once (dead
cases after a hundred steps), while the others train on. Its agreement is final then, except for
the documented speeds ("converges very fast", "after many iterations"), which are judged against
the other cases of its bias setting once they have all finished.

Re-check: when samples of a "does not converge" case converge under another rule than the
notebook's, up to 64 of them are trained again under the notebook's own stop rule (both weights
exactly 1.0, within its 50,000-step cap), so the explanation can say whether that rule accounts for
the difference. It informs the explanation, never the agreement.

Remedy: with another `activation` (issue 20) the same samples are also trained under it, in the
same runs, and each row gains how they ended there (`remedy.py`), beside ReLU's measurement, which
stays the one the agreement is judged on.

Everything is derived from `seed`: the same settings give the same table.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import torch

from l1viz.engine.config import (
    ACTIVATIONS,
    MAX_STEPS,
    Init,
    TrainConfig,
    check_choice,
    check_int,
    checked_slope,
)
from l1viz.engine.outcomes import (
    CONVERGED,
    DEAD_IN_PRACTICE,
    STALLED,
    Ending,
    RunResult,
    firing_threshold,
)
from l1viz.study.notebook import EPOCH_CAP, notebook_config
from l1viz.study.runner import InProcess, ModelBatch, Runner
from l1viz.study.table.agreement import AGREES, DOCUMENTED_SPEED, Agreement, agreement_of
from l1viz.study.table.case_measurement import CaseMeasurement, Recheck, RemarkSubset
from l1viz.study.table.observations import (
    DOES_NOT_CONVERGE,
    OBSERVATIONS,
    SUM_NEGATIVE,
    SUM_POSITIVE,
    Observation,
)
from l1viz.study.table.regions import Magnitudes, bounds, dead_share, generator, sample
from l1viz.study.table.remedy import RemedyMeasurement, measure_remedy
from l1viz.study.table.words import explain_case
from l1viz.study.vocabulary import activation_name

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
    activation: str = TrainConfig.activation  # the remedy's, trained beside ReLU ("relu": none)
    slope: float | None = None

    def __post_init__(self):
        check_int("samples", self.samples, 1, MAX_SAMPLES)
        check_int("steps", self.steps, 1, MAX_STEPS)
        check_choice("activation", self.activation, ACTIVATIONS)
        object.__setattr__(self, "slope", checked_slope(self.activation, self.slope))
        self.train_config(bias=False)  # validates seed and criterion

    def train_config(self, bias: bool, criterion: str | None = None, steps: int | None = None):
        return notebook_config(self.seed, steps or self.steps, bias, criterion or self.criterion)

    @property
    def remedy(self) -> bool:
        return self.activation != "relu"

    @property
    def remedy_name(self) -> str:
        """The remedy activation, named as the pages and the CLI write it."""
        return activation_name(self.activation, self.slope)

    def remedy_config(self, bias: bool) -> TrainConfig:
        return replace(self.train_config(bias), activation=self.activation, slope=self.slope)

    @property
    def recheck_budget(self) -> int:
        return max(EPOCH_CAP, self.steps)

    @property
    def needs_recheck(self) -> bool:
        """False when the main run already used the notebook's rule with at least its budget."""
        return self.recheck and not (self.criterion == NOTEBOOK_RULE and self.steps >= EPOCH_CAP)

    def to_json(self) -> dict:
        return {
            "samples": self.samples,
            "steps": self.steps,
            "seed": self.seed,
            "magnitudes": self.magnitudes.to_json(),
            "criterion": self.criterion,
            "recheck": self.recheck,
            "activation": self.activation,
            "slope": self.slope,
        }


# -- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Typical:
    """One sample of the case that ended this way, the one nearest the middle of the region:
    replayed in the live view, it ends the same way."""

    ending: Ending
    share: float  # of the case's samples that ended this way
    init: Init
    steps: int


@dataclass(frozen=True)
class CaseResult:
    """One row: the notebook's case, and once all its samples have ended, the measurement."""

    case: Observation
    measured: CaseMeasurement | None = None
    agreement: Agreement | None = None  # None while not yet known
    explanation: str = ""
    typical: tuple[Typical, ...] = ()  # one per ending present, most common first
    final: bool = False  # nothing about this row will change
    remedy: RemedyMeasurement | None = None  # the same samples under the settings' activation

    def to_json(self) -> dict:
        case = self.case
        return {
            "id": case.id,
            "number": case.number,
            "label": case.label,
            "bias": case.bias,
            "signs": dict(case.signs),
            "documented": case.documented,
            "remark": case.remark,
            "measured": self.measured.to_json() if self.measured else None,
            "remedy": self.remedy.to_json() if self.remedy else None,
            "verdict": self.agreement,
            "explanation": self.explanation,
            "typical": [
                {
                    "ending": item.ending.value,
                    "share": item.share,
                    "init": item.init.as_dict(),
                    "steps": item.steps,
                }
                for item in self.typical
            ],
        }


@dataclass(frozen=True)
class TableResult:
    settings: TableSettings
    cases: tuple[CaseResult, ...]
    progress: float = 1.0  # share of the work done
    phase: str = ""  # what is being done now

    @property
    def complete(self) -> bool:
        return all(row.final for row in self.cases)

    def row(self, case_id: str) -> CaseResult:
        return next(row for row in self.cases if row.case.id == case_id)

    def to_json(self) -> dict:
        return {
            "settings": self.settings.to_json(),
            "cases": [row.to_json() for row in self.cases],
        }


def documented_rows(settings: TableSettings, cases=OBSERVATIONS) -> TableResult:
    """The table before anything is measured: the notebook's cases only."""
    return TableResult(settings, tuple(CaseResult(case) for case in cases), progress=0.0)


# -- measuring ----------------------------------------------------------------------------------
def case_samples(case: Observation, settings: TableSettings) -> torch.Tensor:
    """The (samples, 4) initialisations of one case; independent of the other cases."""
    rng = generator(settings.seed, case.number + (100 if case.bias else 0))
    return sample(case, settings.samples, settings.magnitudes, rng)


Update = Callable[[TableResult], None]


def measure_table(
    settings: TableSettings | None = None,
    cases: Sequence[Observation] = OBSERVATIONS,
    on_update: Update | None = None,
    runner: Runner | None = None,
) -> TableResult:
    """Measure every case (in this process unless `runner` says otherwise); `on_update` gets the
    table so far whenever a case is measured or more training is done, and the same final table
    that is returned."""
    settings = settings or TableSettings()
    runner = runner or InProcess()
    table = _Table(settings, cases, on_update)
    table.train(runner)
    if settings.needs_recheck:
        table.recheck(runner)
    return table.publish(progress=1.0, phase="")


class _Table:
    """The measurement in progress: rows fill in as their cases finish."""

    def __init__(self, settings: TableSettings, cases: Sequence[Observation], on_update):
        self.settings, self.cases, self.on_update = settings, list(cases), on_update
        self.inits = {case.id: case_samples(case, settings) for case in cases}
        self.rows = {case.id: CaseResult(case) for case in cases}
        self.results: dict[str, list[RunResult]] = {}
        self.remedies: dict[str, RemedyMeasurement] = {}
        self.relu_final: set[str] = set()  # rows whose ReLU measurement will not change
        self.snapshot = documented_rows(settings, cases)

    def publish(self, progress: float, phase: str) -> TableResult:
        rows = tuple(self.rows[case.id] for case in self.cases)
        self.snapshot = TableResult(self.settings, rows, progress, phase)
        if self.on_update:
            self.on_update(self.snapshot)
        return self.snapshot

    def train(self, runner: Runner) -> None:
        phase = f"Training {len(self.cases)} cases × {self.settings.samples:,} initialisations"
        groups = _groups(self.cases, self.inits, self.settings.train_config)
        if self.settings.remedy:
            phase += f", under ReLU and {self.settings.remedy_name}"
            groups += _groups(self.cases, self.inits, self.settings.remedy_config)
        found = _unfilled(groups)
        relu_groups = len(groups) // (1 + self.settings.remedy)
        share = 0.9 if self.settings.needs_recheck else 1.0

        def on_ended(index: int, models, results: list[RunResult]) -> None:
            for k, result in zip(models, results):
                found[index][k] = result
            if index < relu_groups:
                self._collect(groups[index][0], found[index])
            else:
                self._collect_remedy(groups[index][0], found[index])

        self.publish(progress=0.0, phase=phase)
        runner.run(
            [batch for _, batch in groups],
            on_ended,
            lambda done: self.publish(progress=share * done, phase=phase),
        )

    def _collect_remedy(self, members: list[Observation], found: list[RunResult | None]) -> None:
        """Measure the remedy of the cases of this batch whose samples have all ended."""
        start = 0
        for case in members:
            span = found[start : start + len(self.inits[case.id])]
            start += len(span)
            if case.id in self.remedies or None in span:
                continue
            settings = self.settings
            self.remedies[case.id] = measure_remedy(settings.activation, settings.slope, span)
            final = case.id in self.relu_final
            self.rows[case.id] = replace(
                self.rows[case.id], remedy=self.remedies[case.id], final=final
            )

    def _collect(self, members: list[Observation], found: list[RunResult | None]) -> None:
        """Measure the cases of this batch whose samples have all ended; once the whole batch has
        ended, judge the documented speeds against the rest of the group."""
        start, fresh = 0, []
        for case in members:
            count = len(self.inits[case.id])
            span = found[start : start + count]
            start += count
            if case.id in self.results or None in span:
                continue
            self.results[case.id] = span
            fresh.append(case)
        for case in fresh:
            self.rows[case.id] = self._row(case, self._measure(case))
        if None not in found and any(not self.rows[case.id].final for case in members):
            for case in members:
                measured = _with_speed(case, self.rows[case.id].measured, members, self.results)
                self.rows[case.id] = self._row(case, measured, final=True)

    def _measure(self, case: Observation) -> CaseMeasurement:
        results, inits = self.results[case.id], self.inits[case.id]
        count = len(results)
        endings = Counter(result.ending for result in results)
        stalled = [r for r in results if r.outcome == STALLED]
        silent = [r for r in results if r.outcome == DEAD_IN_PRACTICE]
        return CaseMeasurement(
            samples=count,
            shares={ending: endings[ending] / count for ending in Ending},
            median_steps=_median([r.converged_at for r in results if r.outcome == CONVERGED]),
            analytic_dead=dead_share(case, self.settings.magnitudes),
            stalled_active=_median([r.active for r in stalled]),
            stalled_threshold=_median(_thresholds(stalled)),
            silent_threshold=_median(_thresholds(silent)),
            remark_subset=remark_subset(case, results, inits),
        )

    def _row(self, case: Observation, measured: CaseMeasurement, final=False) -> CaseResult:
        speed_known = final or case.documented not in DOCUMENTED_SPEED
        agreement = (
            agreement_of(case.documented, measured.converged, measured.speed_ratio)
            if speed_known
            else None
        )
        relu_final = final and not self._awaits_recheck(case, agreement)
        if relu_final:
            self.relu_final.add(case.id)
        remedy = self.remedies.get(case.id)
        return CaseResult(
            case=case,
            measured=measured,
            agreement=agreement,
            explanation=explain_case(case, measured, self.settings.steps),
            typical=typical_samples(
                case, self.results[case.id], self.inits[case.id], self.settings
            ),
            final=relu_final and (remedy is not None or not self.settings.remedy),
            remedy=remedy,
        )

    def _awaits_recheck(self, case: Observation, agreement: Agreement | None) -> bool:
        return self.settings.needs_recheck and _disputed(case, agreement, self.results[case.id])

    def recheck(self, runner: Runner) -> None:
        """Train the converged samples of each disputed case again under the notebook's rule."""
        chosen = {}
        for case in self.cases:
            row = self.rows[case.id]
            picked = []
            if _disputed(case, row.agreement, self.results[case.id]):
                picked = [i for i, r in enumerate(self.results[case.id]) if r.outcome == CONVERGED]
            chosen[case.id] = self.inits[case.id][picked[:RECHECK_SAMPLES]]
        count = sum(len(values) for values in chosen.values())
        budget = self.settings.recheck_budget
        phase = f"Re-checking {count:,} initialisations under the notebook's stop rule"

        def make_config(bias: bool) -> TrainConfig:
            return self.settings.train_config(bias, criterion=NOTEBOOK_RULE, steps=budget)

        groups = _groups(self.cases, chosen, make_config)
        found = _unfilled(groups)

        def on_ended(index: int, models, results: list[RunResult]) -> None:
            for k, result in zip(models, results):
                found[index][k] = result

        runner.run(
            [batch for _, batch in groups],
            on_ended,
            lambda done: self.publish(progress=0.9 + 0.1 * done, phase=phase),
        )
        for (members, _), flat in zip(groups, found):
            start = 0
            for case in members:
                rerun = flat[start : start + len(chosen[case.id])]
                start += len(rerun)
                steps = [r.converged_at for r in rerun if r.outcome == CONVERGED]
                again = Recheck(
                    NOTEBOOK_RULE, budget, len(rerun), len(steps) / len(rerun), _median(steps)
                )
                measured = replace(self.rows[case.id].measured, notebook_rule=again)
                self.rows[case.id] = self._row(case, measured, final=True)
        for case in self.cases:
            self.rows[case.id] = replace(self.rows[case.id], final=True)


def _groups(cases, inits: dict, make_config) -> list[tuple[list[Observation], ModelBatch]]:
    """One batch per bias setting over every case's inits (cases without any are skipped)."""
    groups = []
    for bias in (False, True):
        members = [case for case in cases if case.bias == bias and len(inits[case.id])]
        if members:
            stacked = torch.cat([inits[case.id] for case in members])
            groups.append((members, ModelBatch(stacked, make_config(bias))))
    return groups


def _unfilled(groups) -> list[list[RunResult | None]]:
    """Per group, a place for each model's result, None until it has ended."""
    return [[None] * batch.count for _, batch in groups]


def _disputed(case: Observation, agreement: Agreement | None, results: list[RunResult]) -> bool:
    converged = any(result.outcome == CONVERGED for result in results)
    return case.documented == DOES_NOT_CONVERGE and agreement != AGREES and converged


def _with_speed(case, measured: CaseMeasurement, members, results: dict) -> CaseMeasurement:
    """The case's median steps to converge relative to the other cases with its bias setting."""
    others = [
        result.converged_at
        for other in members
        if other.id != case.id
        for result in results[other.id]
        if result.outcome == CONVERGED
    ]
    reference = _median(others)
    median = measured.median_steps
    ratio = median / reference if median is not None and reference else None
    return replace(measured, reference_steps=reference, speed_ratio=ratio)


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
    if case.remark not in (SUM_NEGATIVE, SUM_POSITIVE):
        return None
    total = inits.sum(1)
    chosen = (total < 0 if case.remark == SUM_NEGATIVE else total > 0).tolist()
    picked = [result for result, keep in zip(results, chosen) if keep]
    converged = sum(result.outcome == CONVERGED for result in picked)
    return RemarkSubset(len(picked) / len(results), converged / len(picked) if picked else None)


def typical_samples(case: Observation, results: list[RunResult], inits, settings) -> tuple:
    """For each ending present, the sample nearest the middle of the region that ended so; the
    most common ending first (ties: the documented kind first)."""
    counts = Counter(result.ending for result in results)

    def documented_kind(ending: Ending) -> bool:
        return (ending == Ending.CONVERGED) == (case.documented != DOES_NOT_CONVERGE)

    box = bounds(case, settings.magnitudes)
    middle = torch.tensor([(low + high) / 2 for low, high in box.values()])
    width = torch.tensor([(high - low) or 1.0 for low, high in box.values()])
    distance = (((inits - middle) / width) ** 2).sum(1)
    picks = []
    for ending in sorted(counts, key=lambda e: (-counts[e], not documented_kind(e))):
        mask = torch.tensor([result.ending != ending for result in results])
        index = int(torch.where(mask, float("inf"), distance).argmin())
        values = dict(zip(box, inits[index].tolist()))
        share = counts[ending] / len(results)
        picks.append(Typical(ending, share, Init(**values), results[index].steps))
    return tuple(picks)
