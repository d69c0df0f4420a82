"""What the live page says about the current initial values beside the notebook's table: the case
they fall in, what the notebook claimed for it, how the case's whole region measured, whether this
run agrees, and whether the cell can fire at all. Plain text, no Streamlit."""

from __future__ import annotations

from dataclasses import dataclass

from l1viz.engine.outcomes import CONVERGED, TRAINING, RunResult
from l1viz.live.settings import Settings
from l1viz.study.table import (
    DOES_NOT_CONVERGE,
    Magnitudes,
    Observation,
    TableResult,
    measured_summary,
    place,
    signs_text,
)
from l1viz.study.vocabulary import firing_text, what_happened


@dataclass(frozen=True)
class CasePanel:
    case: Observation  # the case the values fall in, else the nearest one
    inside: bool
    outside: tuple[str, ...]  # why the values are in no case (when not inside)
    claim: str  # the notebook's words, with its remark
    measured: str  # a sentence: how the case's region measured at the table's default settings
    agreement: str | None  # the table's agrees / partly / disagrees, once measured
    firing: str  # the dead-ReLU marking: never fires, fires only for |x| > T, or ''
    run_agrees: bool | None  # None until the run has ended
    run_sentence: str  # why this run agrees or disagrees ('' until it has ended)

    @property
    def heading(self) -> str:
        if self.inside:
            return f"{self.case.label}: {signs_text(self.case.signs)}"
        return f"in no case of the notebook (nearest: {self.case.label})"


def case_panel(
    settings: Settings, table: TableResult | None, result: RunResult | None
) -> CasePanel:
    magnitudes = table.settings.magnitudes if table else Magnitudes()
    values = settings.init().as_dict()
    placement = place(values, settings.bias, magnitudes)
    case = placement.nearest
    claim = case.documented + (f" ({case.remark})" if case.remark else "")
    row = table.row(case.id) if table else None
    if row is None or row.measured is None:
        measured, agreement = "Measuring the region at the table's settings…", None
    else:
        samples = row.measured.samples
        measured = (
            f"Measured over {samples:,} inits of this region: {measured_summary(row.measured)}."
        )
        agreement = row.agreement
    agrees, sentence = _run_verdict(case, result, row.measured if row else None)
    return CasePanel(
        case=case,
        inside=placement.case is not None,
        outside=placement.outside,
        claim=claim,
        measured=measured,
        agreement=agreement,
        firing=_firing(settings),
        run_agrees=agrees if placement.case is not None else None,
        run_sentence=sentence if placement.case is not None else "",
    )


def _run_verdict(case: Observation, result: RunResult | None, measured) -> tuple:
    if result is None or result.outcome == TRAINING:
        return None, ""
    converged = result.outcome == CONVERGED
    claimed = case.documented != DOES_NOT_CONVERGE
    agrees = converged == claimed
    what = what_happened(result)
    said = "converge" if claimed else "not converge"
    region = ""
    if measured is not None:
        region = f"; {measured.converged:.0%} of the region's inits converge"
    if agrees:
        return True, f"It {what}, as the notebook saw this case {said}{region}."
    return False, f"It {what}, but the notebook saw this case {said}{region}."


def _firing(settings: Settings) -> str:
    """The dead-ReLU marking of the initial values (the notebook's fixed |x| input)."""
    bias = settings.b_hh + settings.b_ih if settings.bias else 0.0
    return firing_text(settings.w_ih, bias, settings.bias)
