"""Notebook observations: the notebook's 17 cases beside what happens over each case's whole region.

With a remedy activation chosen (?activation=leaky_relu&slope=0.05), every case's samples are also
trained under it and each row shows that measurement under ReLU's, which the verdict stays on.
The documented half of every row is drawn at once; each case's measurement fills in as it finishes
(`app_pages.studies`: computed once per server, the default settings from the server's first page
view). The row of the live view's current case, or the one a link names (?case=bias-8), is
highlighted; "Load" plays a sample of any ending the case's region showed in the live view.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app_pages.boxes import seed_box, typed_box
from app_pages.common import plain_markdown, request_live_run
from app_pages.downloads import download_buttons
from app_pages.live_parts.controls import HELP as SETUP_HELP
from app_pages.live_parts.controls import LABELS as SETUP_LABELS
from app_pages.page_state import accepted, keep_view, show_notes, take_view
from app_pages.studies import follow, table_job
from l1viz.engine.config import ACTIVATIONS, CRITERIA, SLOPE_DEFAULTS
from l1viz.engine.outcomes import Ending
from l1viz.live.downloads import table_csv
from l1viz.live.links import live_settings
from l1viz.live.settings import Settings
from l1viz.live.table_view import FIELDS, MAGNITUDE, TableView, default_text
from l1viz.plots.palette import AGREEMENT, ENDINGS, MEASURING
from l1viz.plots.table import share_bar_html, share_legend_html, table_css
from l1viz.study.table import (
    CaseResult,
    Magnitudes,
    TableResult,
    TableSettings,
    measured_summary,
    percent,
    place,
    remark_text,
    remedy_summary,
    signs_text,
)
from l1viz.study.vocabulary import SAMPLE_WORDS, activation_name

VIEW = "table.view"
COLUMNS = [0.35, 1.4, 1.5, 2.0, 1.2, 2.9, 0.9]
HEADERS = ["#", "initial signs", "notebook", "measured", "agreement", "why", ""]
COUNT_WORDS = {"agrees": "agree", "partly": "partly", "disagrees": "disagree"}
LIVE_SETTINGS = "live.settings"  # the live page's current setup (app_pages/live_parts/controls)
BOXES = {  # view field -> (label, widget key)
    "samples": ("Samples per case", "table.samples"),
    "steps": ("Step budget", "table.steps"),
    "seed": ("Seed", "table.seed"),
    "small": ("Very small magnitude: at most", "table.small_high"),
    "slope": ("Slope α below 0", "table.slope"),
}
RELU = activation_name("relu")
REMEDY_HELP = (
    f"{SETUP_HELP['activation']} Any but ReLU: each case's samples are trained again under it, "
    "shown under ReLU's measurement in every row (the verdict stays ReLU's)."
)
SLOPE_HELP = f"{SETUP_HELP['slope']} Blank: the default. The other activations have none."
NORMAL_KEYS = ("table.normal_low", "table.normal_high")


def seed_widgets(view: TableView, force: bool) -> None:
    for name, (_, key) in BOXES.items():
        seed_box(key, FIELDS[name].text(getattr(view, name)), force)
    for key, value in zip(NORMAL_KEYS, view.normal):
        seed_box(key, MAGNITUDE.text(value), force)
    chosen = (
        ("table.criterion", view.criterion),
        ("table.recheck", view.recheck),
        ("table.activation", view.activation),
    )
    for key, value in chosen:
        if force or key not in st.session_state:
            st.session_state[key] = value


def settings_form(view: TableView) -> TableView:
    """The form's view: each refused box says why beside it and keeps the last accepted value."""
    values = {}
    with st.sidebar.form("table.form"):
        st.subheader("Sampling and budget")
        for name in ("samples", "steps", "seed"):
            label, key = BOXES[name]
            values[name] = typed_box(st, label, FIELDS[name], key, getattr(view, name))
        low, high = (
            typed_box(st, f"Normal magnitude: {end}", MAGNITUDE, key, used)
            for end, key, used in zip(("low", "high"), NORMAL_KEYS, view.normal)
        )
        values["normal"] = (low, high)
        label, key = BOXES["small"]
        values["small"] = typed_box(st, label, MAGNITUDE, key, view.small)
        values["criterion"] = st.selectbox(
            "Convergence rule",
            CRITERIA,
            key="table.criterion",
            help="exact: the notebook's rule, both weights exactly 1.0 (the default); "
            "tolerance: every parameter within 1e-3 of the solution",
        )
        values["recheck"] = st.toggle(
            "Re-check disputed cases under the notebook's stop rule",
            key="table.recheck",
            help="Only with another rule than exact: converged samples of a 'does not converge' "
            "case are trained again under the notebook's rule.",
        )
        values.update(remedy_boxes(view))
        st.form_submit_button("Measure", type="primary")
    return replace(view, **values)


def remedy_boxes(view: TableView) -> dict:
    """The activation trained beside ReLU, and its slope α when it has one (a form cannot redraw
    while it is filled in, so the slope box is always there; blank is the activation's own)."""
    st.subheader("Remedy")
    activation = st.selectbox(
        "Activation beside ReLU",
        ACTIVATIONS,
        key="table.activation",
        format_func=SETUP_LABELS["activation"].get,
        help=REMEDY_HELP,
    )
    label, key = BOXES["slope"]
    slope = typed_box(
        st,
        label,
        FIELDS["slope"],
        key,
        view.slope,
        text=lambda value: default_text("slope", value),
        placeholder="blank: leaky ReLU 0.01, PReLU 0.25",
        help=SLOPE_HELP,
    )
    return {"activation": activation, "slope": slope if activation in SLOPE_DEFAULTS else None}


def highlighted_case(view: TableView, magnitudes: Magnitudes) -> str | None:
    """The case a link names (?case=...), else the live view's current case."""
    if view.case:
        return view.case
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
        if settings.remedy:
            remedy_loads(row, settings)


def remedy_loads(row: CaseResult, settings: TableSettings) -> None:
    """The same samples trained under the table's remedy activation instead of ReLU."""
    case, name = row.case, settings.remedy_name
    st.caption(plain_markdown(f"The same samples under {name}:"))
    for item in row.typical:
        label = f"{SAMPLE_WORDS[item.ending]} init under ReLU, under {name}"
        if st.button(label, key=f"table.remedy.{case.id}.{item.ending.value}", width="stretch"):
            origin = (
                f"Loaded from the notebook table, {case.label}: a sample that ended "
                f"{ENDINGS[item.ending].label} under ReLU, trained under {name} as the table did."
            )
            config = settings.remedy_config(case.bias)
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
    measured_cell(cells[3], row, settings)
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


def measured_cell(cell, row: CaseResult, settings: TableSettings) -> None:
    """ReLU's shares and summary; with a remedy, the same samples under it below them."""
    cell.html(share_bar_html(row.measured))
    if not settings.remedy:
        cell.caption(plain_markdown(measured_summary(row.measured)))
        return
    cell.caption(plain_markdown(f"{RELU}: {measured_summary(row.measured)}"))
    if row.remedy is None:
        name = settings.remedy_name
        cell.caption(plain_markdown(f"{name}: measuring…"))
        return
    cell.html(share_bar_html(row.remedy))
    cell.caption(plain_markdown(remedy_summary(row.remedy)))


def headers(settings: TableSettings) -> list[str]:
    if not settings.remedy:
        return HEADERS
    name = settings.remedy_name
    return [text if text != "measured" else f"measured: {RELU}, then {name}" for text in HEADERS]


def summary(table: TableResult) -> None:
    verdicts = [row.agreement for row in table.cases]
    badges = st.container(horizontal=True)
    for name, shade in AGREEMENT.items():
        badges.badge(f"{verdicts.count(name)} {COUNT_WORDS[name]}", color=shade.badge)
    waiting = sum(row.measured is None for row in table.cases)
    if waiting:
        badges.badge(f"{waiting} {MEASURING.label}", color=MEASURING.badge)


def rows(table: TableResult, settings: TableSettings, highlight: str | None) -> None:
    """One group of rows per bias setting, each with a header that stays in view while its rows
    scroll (the layout is `l1viz.plots.table.TABLE_CSS`: a grid, a card per row when narrow)."""
    summary(table)
    st.html(share_legend_html())
    for bias in (False, True):
        group = "bias" if bias else "plain"
        with st.container(key=f"table.rows.{group}"):
            st.subheader("With bias" if bias else "Without bias (the notebook's cell)")
            header = st.container(key=f"table.head.{group}").columns(COLUMNS)
            for cell, text in zip(header, headers(settings)):
                cell.caption(plain_markdown(text))
            for row in table.cases:
                if row.case.bias == bias:
                    case_row(row, settings, highlighted=row.case.id == highlight)
    remedy = ""
    if settings.remedy:
        name = settings.remedy_name
        remedy = f", and the same samples under {name}"
    st.caption(
        f"{len(table.cases)} cases × {settings.samples:,} samples, budget {settings.steps:,} "
        f"steps, seed {settings.seed}, rule “{settings.criterion}”{remedy}. Each Load replays the "
        "sample (under ReLU) nearest the middle of the region among those that ended that way: in "
        "the live view it ends the same way."
    )
    if table.complete:
        download_buttons("table", table.to_json(), table_csv(table))


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
    st.html(table_css())
    view, from_url = take_view(VIEW, TableView)
    seed_widgets(view, force=from_url)
    show_notes(VIEW)
    view = accepted(settings_form(view), view, type(view).settings)
    keep_view(VIEW, view)
    settings = view.settings()
    highlight = highlighted_case(view, settings.magnitudes)
    follow(
        lambda: table_job(settings),
        lambda state: rows(state.latest, settings, highlight),
        "The measurement",
    )


main()
