"""Notebook observations: the notebook's 17 cases beside what happens over each case's whole region.

The documented half of every row is drawn at once; each case's measurement fills in as it finishes
(`app_pages.studies`: computed once per server, the default settings from the server's first page
view). The row of the live view's current case, or the one a link names (?case=bias-8), is
highlighted; "Load" plays a sample of any ending the case's region showed in the live view.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown, request_live_run
from app_pages.studies import follow, table_job
from l1viz.engine.config import CRITERIA, MAX_SEED, ConfigError
from l1viz.engine.outcomes import Ending
from l1viz.live.links import live_settings
from l1viz.live.settings import INIT_RANGE, Settings
from l1viz.plots.palette import AGREEMENT, CURRENT_ROW, ENDINGS, MEASURING
from l1viz.plots.table import share_bar_html, share_legend_html
from l1viz.study.table import (
    MAX_SAMPLES,
    CaseResult,
    Magnitudes,
    TableResult,
    TableSettings,
    measured_summary,
    percent,
    place,
    remark_text,
    signs_text,
)
from l1viz.study.vocabulary import SAMPLE_WORDS

COLUMNS = [0.35, 1.4, 1.5, 2.0, 1.2, 2.9, 0.9]
HEADERS = ["#", "initial signs", "notebook", "measured", "agreement", "why", ""]
# Magnitudes stay within what the live view accepts, so "Load" always works.
MAX_MAGNITUDE = INIT_RANGE[1]
COUNT_WORDS = {"agrees": "agree", "partly": "partly", "disagrees": "disagree"}
LIVE_SETTINGS = "live.settings"  # the live page's current setup (app_pages/live_parts/controls)
HIGHLIGHT_CSS = f"""<style>
.st-key-table-row-current {{ background: {CURRENT_ROW}; border-radius: 0.5rem; }}
</style>"""


def settings_form() -> TableSettings | None:
    defaults, magnitudes = TableSettings(), Magnitudes()
    with st.sidebar.form("table.form"):
        st.subheader("Sampling and budget")
        samples = st.number_input(
            "Samples per case", 1, MAX_SAMPLES, defaults.samples, key="table.samples"
        )
        steps = st.number_input(
            "Step budget", 1, 1_000_000, defaults.steps, step=1000, key="table.steps"
        )
        seed = st.number_input("Seed", 0, MAX_SEED, defaults.seed, key="table.seed")
        normal_low = st.number_input(
            "Normal magnitude: low",
            0.0,
            MAX_MAGNITUDE,
            magnitudes.normal_low,
            format="%.3f",
            key="table.normal_low",
        )
        normal_high = st.number_input(
            "Normal magnitude: high",
            0.0,
            MAX_MAGNITUDE,
            magnitudes.normal_high,
            format="%.3f",
            key="table.normal_high",
        )
        small_high = st.number_input(
            "Very small magnitude: at most",
            0.0,
            MAX_MAGNITUDE,
            magnitudes.small_high,
            format="%.3f",
            key="table.small_high",
        )
        criterion = st.selectbox(
            "Convergence rule",
            CRITERIA,
            index=CRITERIA.index(defaults.criterion),
            key="table.criterion",
            help="exact: the notebook's rule, both weights exactly 1.0 (the default); "
            "tolerance: every parameter within 1e-3 of the solution",
        )
        recheck = st.toggle(
            "Re-check disputed cases under the notebook's stop rule",
            defaults.recheck,
            key="table.recheck",
            help="Only with another rule than exact: converged samples of a 'does not converge' "
            "case are trained again under the notebook's rule.",
        )
        st.form_submit_button("Measure", type="primary")
    try:
        return TableSettings(
            samples=int(samples),
            steps=int(steps),
            seed=int(seed),
            criterion=criterion,
            recheck=recheck,
            magnitudes=Magnitudes(normal_low, normal_high, small_high),
        )
    except ConfigError as error:
        st.error(plain_markdown(f"Cannot measure with these settings: {error}"))
        return None


def highlighted_case(magnitudes: Magnitudes) -> str | None:
    """The case a link names (?case=...), else the live view's current case."""
    named = st.query_params.get("case")
    if named:
        return named
    current = st.session_state.get(LIVE_SETTINGS)
    if not isinstance(current, Settings):
        return None
    placement = place(current.init().as_dict(), current.bias, magnitudes)
    return placement.case.id if placement.case else None


def load_menu(container, row: CaseResult, settings: TableSettings) -> None:
    """One button per ending the case's region showed, most common first."""
    case = row.case
    with container.popover("Load", help="Play a sample of this case in the live view"):
        st.caption(plain_markdown(f"{case.label}: the sample nearest the middle of the region"))
        for item in row.typical:
            shade = ENDINGS[item.ending]
            values = ", ".join(f"{k} = {v:.4g}" for k, v in item.init.as_dict().items())
            label = f"{SAMPLE_WORDS[item.ending]} init ({percent(item.share)})"
            if st.button(
                label,
                key=f"table.load.{case.id}.{item.ending.value}",
                help=f"{values}: {shade.label} after {item.steps:,} steps here",
                width="stretch",
            ):
                origin = (
                    f"Loaded from the notebook table, {case.label} (notebook: {case.documented}): "
                    f"a sample that ended {shade.label} in the measurement "
                    f"({percent(item.share)} of the region did)."
                )
                config = settings.train_config(case.bias)
                request_live_run(live_settings(item.init, config), origin=origin)


def case_row(row: CaseResult, settings: TableSettings, highlighted: bool) -> None:
    case = row.case
    key = "table.row.current" if highlighted else f"table.row.{case.id}"
    cells = st.container(key=key).columns(COLUMNS, vertical_alignment="center")
    cells[0].markdown(f"**{case.number}**")
    cells[1].markdown(plain_markdown(signs_text(case.signs)))
    cells[2].markdown(plain_markdown(case.documented))
    if case.remark:
        cells[2].caption(plain_markdown(remark_text(case, row.measured)))
    measured = row.measured
    if measured is None:
        cells[3].caption("measuring…")
        return
    cells[3].html(share_bar_html(measured))
    cells[3].caption(plain_markdown(measured_summary(measured)))
    if row.agreement:
        cells[4].badge(row.agreement, color=AGREEMENT[row.agreement].badge)
    else:
        cells[4].caption("speed: comparing with the other cases…")
    if measured.analytic_dead > 0:
        cells[4].badge(
            f"dead ReLU {percent(measured.analytic_dead)}",
            color=ENDINGS[Ending.DEAD_AT_INIT].badge,
            help="share of the region where the cell can never fire",
        )
    cells[5].caption(plain_markdown(row.explanation))
    load_menu(cells[6], row, settings)


def summary(table: TableResult) -> None:
    verdicts = [row.agreement for row in table.cases]
    badges = st.container(horizontal=True)
    for name, shade in AGREEMENT.items():
        badges.badge(f"{verdicts.count(name)} {COUNT_WORDS[name]}", color=shade.badge)
    waiting = sum(row.measured is None for row in table.cases)
    if waiting:
        badges.badge(f"{waiting} {MEASURING.label}", color=MEASURING.badge)


def rows(table: TableResult, settings: TableSettings, highlight: str | None) -> None:
    summary(table)
    st.html(share_legend_html())
    for bias in (False, True):
        st.subheader("With bias" if bias else "Without bias (the notebook's cell)")
        header = st.columns(COLUMNS)
        for cell, text in zip(header, HEADERS):
            cell.caption(plain_markdown(text))
        for row in table.cases:
            if row.case.bias == bias:
                case_row(row, settings, highlighted=row.case.id == highlight)
    st.caption(
        f"{len(table.cases)} cases × {settings.samples:,} samples, budget {settings.steps:,} "
        f"steps, seed {settings.seed}, rule “{settings.criterion}”. Each Load replays the sample "
        "nearest the middle of the region among those that ended that way: in the live view it "
        "ends the same way."
    )


def main() -> None:
    st.title("Notebook observations")
    st.markdown(
        "The notebook ends with 17 cases: a sign for each initial parameter and the outcome its "
        "author saw. Here every case is a **region** (normal magnitudes in [0.1, 1], very small "
        "ones in (0, 0.1]; PyTorch initialises from U(−1, 1)), sampled uniformly and trained with "
        "the notebook's settings (Adam, lr 0.001, batch 32, length ≤ 10, stop when both weights "
        "are exactly 1). **agrees**: more than 80 % of the samples do what the notebook says; "
        "**partly**: 20–80 %; **disagrees**: under 20 %."
    )
    st.html(HIGHLIGHT_CSS)
    settings = settings_form()
    if settings is None:
        return
    highlight = highlighted_case(settings.magnitudes)
    follow(
        lambda: table_job(settings),
        lambda state: rows(state.latest, settings, highlight),
        "The measurement",
    )


main()
