"""Notebook observations: the notebook's 17 cases beside what happens over each case's whole region.

Thin: widgets -> `l1viz.study.table.measure_table` (cached for every session) -> rows of text,
a small stacked bar and a "Load" button that replays the case's typical initialisation in the
live view.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown, request_live_run
from l1viz.engine.config import CRITERIA, ConfigError
from l1viz.live.links import live_settings
from l1viz.live.settings import INIT_RANGE
from l1viz.plots.palette import AGREEMENT
from l1viz.plots.table import share_bar_html, share_legend_html
from l1viz.study.case_explain import measured_summary, percent, remark_text, signs_text
from l1viz.study.observations import OBSERVATIONS
from l1viz.study.regions import Magnitudes
from l1viz.study.table import MAX_SAMPLES, TableSettings, measure_table

COLUMNS = [0.35, 1.4, 1.5, 2.0, 1.45, 2.9, 0.8]
HEADERS = ["#", "initial signs", "notebook", "measured", "verdict", "why", ""]
# Magnitudes stay within what the live view accepts, so "Load" always works.
MAX_MAGNITUDE = INIT_RANGE[1]
COUNT_WORDS = {"agrees": "agree", "partly": "partly", "disagrees": "disagree"}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_table(samples, steps, seed, normal_low, normal_high, small_high, criterion, recheck):
    """The measured table as plain data. The progress bar lives inside, so a cached result
    replays it already emptied and comes back at once."""
    settings = TableSettings(
        samples=samples,
        steps=steps,
        seed=seed,
        criterion=criterion,
        recheck=recheck,
        magnitudes=Magnitudes(normal_low, normal_high, small_high),
    )
    bar = st.progress(0.0, text="Starting…")
    table = measure_table(
        settings,
        on_progress=lambda share, label: bar.progress(
            min(share, 1.0), text=f"{label}: {share:.0%}"
        ),
    )
    bar.empty()
    return table


def settings_form() -> dict:
    defaults, magnitudes = TableSettings(), Magnitudes()
    with st.sidebar.form("table.form"):
        st.subheader("Sampling and budget")
        values = {
            "samples": st.number_input(
                "Samples per case", 1, MAX_SAMPLES, defaults.samples, key="table.samples"
            ),
            "steps": st.number_input(
                "Step budget", 1, 1_000_000, defaults.steps, step=1000, key="table.steps"
            ),
            "seed": st.number_input("Seed", 0, 2**32 - 1, defaults.seed, key="table.seed"),
            "normal_low": st.number_input(
                "Normal magnitude: low",
                0.0,
                MAX_MAGNITUDE,
                magnitudes.normal_low,
                format="%.3f",
                key="table.normal_low",
            ),
            "normal_high": st.number_input(
                "Normal magnitude: high",
                0.0,
                MAX_MAGNITUDE,
                magnitudes.normal_high,
                format="%.3f",
                key="table.normal_high",
            ),
            "small_high": st.number_input(
                "Very small magnitude: at most",
                0.0,
                MAX_MAGNITUDE,
                magnitudes.small_high,
                format="%.3f",
                key="table.small_high",
            ),
            "criterion": st.selectbox(
                "Convergence rule",
                CRITERIA,
                index=CRITERIA.index(defaults.criterion),
                key="table.criterion",
                help="exact: the notebook's rule, both weights exactly 1.0 (the default); "
                "tolerance: every parameter within 1e-3 of the solution",
            ),
            "recheck": st.toggle(
                "Re-check disputed cases under the notebook's stop rule",
                defaults.recheck,
                key="table.recheck",
            ),
        }
        st.form_submit_button("Measure", type="primary")
    return values


def case_row(case: dict, settings: TableSettings):
    cells = st.columns(COLUMNS, vertical_alignment="center")
    cells[0].markdown(f"**{case['number']}**")
    cells[1].markdown(plain_markdown(signs_text(case["signs"])))
    cells[2].markdown(plain_markdown(case["documented"]))
    if case["remark"]:
        cells[2].caption(plain_markdown(remark_text(case)))
    measured = case["measured"]
    cells[3].html(share_bar_html(measured))
    cells[3].caption(plain_markdown(measured_summary(measured)))
    cells[4].badge(case["verdict"], color=AGREEMENT[case["verdict"]].badge)
    if measured["analytic_dead"] > 0:
        cells[4].badge(
            f"dead ReLU {percent(measured['analytic_dead'])}",
            color="gray",
            help="share of the region where the cell can never fire",
        )
    cells[5].caption(plain_markdown(case["explanation"]))
    typical = case["representative"]
    init = ", ".join(f"{k} = {v:.4g}" for k, v in typical["init"].items())
    hint = (
        f"Train {init} in the live view ({typical['outcome']} here, after "
        f"{typical['steps']:,} steps)"
    )
    if cells[6].button("Load", key=f"table.load.{case['id']}", help=hint):
        request_live_run(live_settings(typical["init"], settings.train_config(case["bias"])))


st.title("Notebook observations")
st.markdown(
    "The notebook ends with 17 cases: a sign for each initial parameter and the outcome its author "
    "saw. Here every case is a **region** (normal magnitudes in [0.1, 1], very small ones in "
    "(0, 0.1], PyTorch initialises from U(−1, 1)), sampled uniformly and trained with the "
    "notebook's settings (Adam, lr 0.001, batch 32, length ≤ 10). **agrees**: more than 80 % of "
    "the samples do what the notebook says; **partly**: 20–80 %; **disagrees**: under 20 %."
)
chosen = settings_form()
try:
    table_settings = TableSettings(
        samples=chosen["samples"],
        steps=chosen["steps"],
        seed=chosen["seed"],
        criterion=chosen["criterion"],
        recheck=chosen["recheck"],
        magnitudes=Magnitudes(chosen["normal_low"], chosen["normal_high"], chosen["small_high"]),
    )
except ConfigError as error:
    st.error(f"Cannot measure with these settings — {error}")
    st.stop()
table = cached_table(**chosen)

verdicts = [case["verdict"] for case in table["cases"]]
summary = st.container(horizontal=True)
for name, shade in AGREEMENT.items():
    summary.badge(f"{verdicts.count(name)} {COUNT_WORDS[name]}", color=shade.badge)
st.html(share_legend_html())
for bias in (False, True):
    st.subheader("With bias" if bias else "Without bias (the notebook's cell)")
    header = st.columns(COLUMNS)
    for cell, text in zip(header, HEADERS):
        cell.caption(plain_markdown(text))
    for case in table["cases"]:
        if case["bias"] == bias:
            case_row(case, table_settings)
st.caption(
    f"{len(OBSERVATIONS)} cases × {table['settings']['samples']:,} samples, budget "
    f"{table['settings']['steps']:,} steps, seed {table['settings']['seed']}, rule "
    f'“{table["settings"]["criterion"]}”. "Load" replays the sample nearest the middle of the '
    "region among those with the case's most common outcome: in the live view it ends the same way."
)
