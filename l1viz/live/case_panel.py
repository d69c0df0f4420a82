"""What the live page says about the current initial values beside the notebook's table: the case
they fall in, what the notebook claimed for it, how the case's whole region measured, whether this
run agrees, and whether the cell can fire at all. The notebook's claims are about ReLU: under
another activation each text says so, and what the table measured under it, if it did. Plain
text, no Streamlit."""

from __future__ import annotations

from dataclasses import dataclass

from l1viz.engine.outcomes import CONVERGED, TRAINING, RunResult
from l1viz.live.settings import Settings
from l1viz.live.table_view import TableView
from l1viz.study.table import (
    DOES_NOT_CONVERGE,
    Magnitudes,
    Observation,
    TableResult,
    measured_summary,
    place,
    remedy_summary,
    signs_text,
)
from l1viz.study.vocabulary import activation_name, firing_text, still_learns, what_happened


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
    activation: str = ""  # the run's activation, named, when it is not the notebook's ReLU
    table_link: dict[str, str] | None = None  # the table page's query: this case, this activation

    @property
    def heading(self) -> str:
        if self.inside:
            return f"{self.case.label}: {signs_text(self.case.signs)}"
        return f"in no case of the notebook (nearest: {self.case.label})"


def case_panel(
    settings: Settings,
    table: TableResult | None,
    result: RunResult | None,
    remedies: TableResult | None = None,
) -> CasePanel:
    """`table` gives ReLU's rows; `remedies` (default: `table`) the same samples under the run's
    activation, when it is measuring or has measured them."""
    magnitudes = table.settings.magnitudes if table else Magnitudes()
    values = settings.init().as_dict()
    placement = place(values, settings.bias, magnitudes)
    case = placement.nearest
    claim = case.documented + (f" ({case.remark})" if case.remark else "")
    row = table.row(case.id) if table else None
    other = settings.activation != "relu"  # the notebook's claims, and the table's rows, are ReLU's
    relu = " under ReLU" if other else ""
    if row is None or row.measured is None:
        measured, agreement = f"Measuring the region{relu} at the table's settings…", None
    else:
        samples = row.measured.samples
        measured = (
            f"Measured{relu} over {samples:,} inits of this region: "
            f"{measured_summary(row.measured)}."
        )
        agreement = row.agreement
    agrees, sentence = _run_verdict(case, result, row.measured if row else None)
    if other:
        claim += " (for ReLU)"
        measured += f" {_remedy_text(settings, remedies or table, case)}"
        if sentence:
            sentence += f" The notebook's claim is for ReLU; this run uses {_name(settings)}."
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
        activation=_name(settings) if other else "",
        table_link=quoted_view(settings, case).to_query(),
    )


def quoted_view(settings: Settings, case: Observation) -> TableView:
    """The table the panel quotes (its default settings, the run's activation beside ReLU), with
    the panel's case highlighted."""
    return TableView(activation=settings.activation, slope=settings.slope, case=case.id)


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
    text = firing_text(settings.w_ih, bias, settings.bias)
    if not text or settings.activation == "relu":
        return text
    return f"For ReLU: {text} {still_learns(settings.activation, settings.slope)}"


def _name(settings: Settings) -> str:
    return activation_name(settings.activation, settings.slope)


def _remedy_text(settings: Settings, table: TableResult | None, case: Observation) -> str:
    """What the table measured for this case under the run's activation: measuring it, or not
    measured at all (a table under another activation, or none)."""
    remedy = table.row(case.id).remedy if table else None
    asked = (settings.activation, settings.slope)
    if remedy is None and table and (table.settings.activation, table.settings.slope) == asked:
        return f"Measuring the same inits under {_name(settings)}…"
    if remedy is None or (remedy.activation, remedy.slope) != asked:
        return (
            f"The table has not measured this region under {_name(settings)} "
            f"(python -m l1viz table {_table_options(settings)} measures it)."
        )
    return f"The same inits under {remedy_summary(remedy)}."


def _table_options(settings: Settings) -> str:
    """The CLI's options that measure the table under the run's activation."""
    options = f"--activation {settings.activation}"
    return options if settings.slope is None else f"{options} --slope {settings.slope:g}"
