"""One line per measured case saying what happened and why, from the measurement alone.

The documented kind of outcome comes first, then every other outcome with its cause, largest share
first: dead from the start (with the share of the region the dead rule covers), died during
training, stalled at the budget (with how large an input must be to fire the cell), diverged. The
re-check under the notebook's stop rule, when it ran, follows the converged share it re-trained.
"""

from __future__ import annotations

from l1viz.engine.outcomes import Ending
from l1viz.study.table.agreement import DOCUMENTED_SPEED
from l1viz.study.table.case_measurement import CaseMeasurement
from l1viz.study.table.observations import DOES_NOT_CONVERGE, Observation
from l1viz.study.vocabulary import (
    ENDING_WORDS,
    SILENT_RULE,
    chance_text,
    dead_rule_text,
    fires_only_above,
    stalled_text,
)

_SILENT = ENDING_WORDS[Ending.DEAD_IN_PRACTICE]


def percent(share: float) -> str:
    """Whole percent, never rounding a small non-zero share to 0 % or a near-total one to 100 %."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"


def _steps(value: float) -> str:
    return f"{value:,.0f}"


def explain_case(case: Observation, measured: CaseMeasurement, budget: int) -> str:
    converged = (measured.converged, _converged_text(case, measured))
    others = sorted(
        (part for part in _other_parts(case, measured, budget) if part[0] > 0),
        key=lambda part: -part[0],
    )
    if case.documented == DOES_NOT_CONVERGE:
        parts = others + ([converged] if measured.converged > 0 else [])
    else:
        parts = [converged] + others
    return "; ".join(text for _, text in parts) + "."


def _converged_text(case: Observation, measured: CaseMeasurement) -> str:
    text = f"{percent(measured.converged)} converge"
    if measured.median_steps is not None:
        text += f" (median {_steps(measured.median_steps)} steps)"
    if case.documented in DOCUMENTED_SPEED and measured.speed_ratio is not None:
        group = "bias" if case.bias else "no-bias"
        text += (
            f", {measured.speed_ratio:.2f}× the median of the other {group} cases "
            f"({_steps(measured.reference_steps)})"
        )
    return text + _recheck_text(measured)


def _other_parts(case: Observation, measured: CaseMeasurement, budget: int) -> list:
    dead = (
        f"{percent(measured.share(Ending.DEAD_AT_INIT))} {ENDING_WORDS[Ending.DEAD_AT_INIT]} "
        f"({percent(measured.analytic_dead)} of the region has {dead_rule_text(case.bias)}, "
        "where the cell can never fire)"
    )
    stalled = f"{percent(measured.share(Ending.STALLED))} {stalled_text(budget)}"
    if measured.stalled_threshold is not None:
        threshold = measured.stalled_threshold
        stalled += (
            f": where {SILENT_RULE} the cell {fires_only_above(threshold)} "
            f"(median; {chance_text(threshold)})"
        )
    elif measured.stalled_active is not None:
        stalled += f", the cell firing on {measured.stalled_active:.1%} of inputs at the end"
    silent = f"{percent(measured.share(Ending.DEAD_IN_PRACTICE))} {_SILENT}"
    if measured.silent_threshold is not None:
        threshold = measured.silent_threshold
        silent += (
            f" (outside the dead region, but with {SILENT_RULE} the cell "
            f"{fires_only_above(threshold)}, median; {chance_text(threshold)}: it never fired)"
        )
    died = f"{percent(measured.share(Ending.DIED))} {ENDING_WORDS[Ending.DIED]}"
    return [
        (measured.share(Ending.DEAD_AT_INIT), dead),
        (measured.share(Ending.DIED), died),
        (measured.share(Ending.DEAD_IN_PRACTICE), silent),
        (measured.share(Ending.STALLED), stalled),
        (measured.share(Ending.DIVERGED), f"{percent(measured.share(Ending.DIVERGED))} diverged"),
    ]


def _recheck_text(measured: CaseMeasurement) -> str:
    again = measured.notebook_rule
    if not again:
        return ""
    text = (
        f" — re-trained under the notebook's stop rule (both weights exactly 1.0, cap "
        f"{again.budget:,} steps), {percent(again.converged)} of {again.samples} converge"
    )
    if again.median_steps is not None:
        text += f" (median {_steps(again.median_steps)})"
    return text


SIGN_SYMBOLS = {
    "positive": "+",
    "negative": "−",
    "very small positive": "+ (very small)",
    "very small negative": "− (very small)",
}


def signs_text(signs: dict) -> str:
    """ "w_hh −, w_ih + (very small), ..." in the notebook's order of parameters."""
    return ", ".join(f"{name} {SIGN_SYMBOLS[sign]}" for name, sign in signs.items())


def measured_summary(measured: CaseMeasurement) -> str:
    """The largest shares in a few words, e.g. "53% converged (median 5,788 steps) · 47% dead"."""
    text = f"{percent(measured.converged)} converged"
    if measured.median_steps is not None:
        text += f" (median {_steps(measured.median_steps)} steps)"
    for share, word in (
        (measured.dead, "dead"),
        (measured.share(Ending.DEAD_IN_PRACTICE), _SILENT),
        (measured.share(Ending.STALLED), "stalled"),
        (measured.share(Ending.DIVERGED), "diverged"),
    ):
        if share > 0:
            text += f" · {percent(share)} {word}"
    return text


def remark_text(case: Observation, measured: CaseMeasurement | None) -> str:
    """The notebook's remark and how the samples it describes fared."""
    subset = measured.remark_subset if measured else None
    if not subset:
        return case.remark
    text = f"{case.remark}: true for {percent(subset.share)} of the samples"
    if subset.converged is not None:
        text += f", of which {percent(subset.converged)} converge"
    return text
