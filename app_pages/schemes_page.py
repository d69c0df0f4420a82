"""Initialisation schemes: how often each is born dead, and how its draws train, by the length of
the sequences. Widgets -> `SchemeSettings` -> a shared job -> `l1viz.plots.schemes`; "Load" plays
a draw of any ending in the live view."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import plain_markdown, request_live_run
from app_pages.studies import follow, schemes_job
from l1viz.engine.config import MAX_SEED, ConfigError
from l1viz.engine.outcomes import Ending
from l1viz.live.links import live_settings
from l1viz.plots.palette import ENDINGS
from l1viz.plots.schemes import schemes_figure
from l1viz.study.schemes import MAX_SAMPLES, SCHEMES, SchemeResult, SchemeSettings
from l1viz.study.vocabulary import dead_rule_text

LENGTHS = (3, 10, 30, 100, 300, 1000)
BIASES = {"both": (False, True), "with bias": (True,), "without bias": (False,)}


def settings_form() -> SchemeSettings | None:
    with st.sidebar.form("schemes.form"):
        st.subheader("Schemes")
        schemes = st.multiselect("Schemes", SCHEMES, list(SCHEMES), key="schemes.names")
        lengths = st.multiselect(
            "Max sequence lengths",
            LENGTHS,
            [10, 100],
            key="schemes.lengths",
            help="Each length trains every scheme's draws again (the same draws).",
        )
        biases = st.radio("Cells", list(BIASES), key="schemes.bias", horizontal=True)
        samples = st.number_input("Draws per scheme", 1, MAX_SAMPLES, 128, key="schemes.samples")
        steps = st.number_input("Step budget", 1, 1_000_000, 30_000, step=1000, key="schemes.steps")
        seed = st.number_input("Seed", 0, MAX_SEED, 42, key="schemes.seed")
        st.form_submit_button("Measure", type="primary")
    try:
        return SchemeSettings(
            schemes=tuple(schemes),
            max_lengths=tuple(sorted(lengths)),
            samples=int(samples),
            steps=int(steps),
            seed=int(seed),
            biases=BIASES[biases],
        )
    except ConfigError as error:
        st.error(plain_markdown(f"Cannot measure with these settings: {error}"))
        return None


def shares_table(result: SchemeResult) -> pd.DataFrame:
    records = []
    for row in result.rows:
        record = {
            "scheme": row.scheme,
            "bias": "yes" if row.bias else "no",
            "max length": row.max_length,
            "P(dead at init), exact": row.dead_at_init,
        }
        for ending, shade in ENDINGS.items():
            share = row.measured[ending] if row.measured else None
            record[shade.label] = share.value if share else None
        record["median steps"] = row.median_steps
        records.append(record)
    return pd.DataFrame(records)


def load_controls(result: SchemeResult) -> None:
    done = [row for row in result.rows if row.measured is not None and row.examples]
    if not done:
        return
    left, middle, right = st.columns([2, 2, 1], vertical_alignment="bottom")
    row = left.selectbox(
        "A draw of",
        done,
        format_func=lambda r: (
            f"{r.scheme}, {'bias' if r.bias else 'no bias'}, length {r.max_length}"
        ),
        key="schemes.load.row",
    )
    ending = middle.selectbox(
        "that ended",
        list(row.examples),
        format_func=lambda e: ENDINGS[e].label,
        key="schemes.load.ending",
    )
    if right.button("Load", key="schemes.load", type="primary", width="stretch"):
        init = row.examples[ending]
        config = result.settings.train_config(row.bias, row.max_length)
        origin = (
            f"Loaded from the schemes page: a {row.scheme} draw (length {row.max_length}, "
            f"{'with' if row.bias else 'without'} bias) that ended {ENDINGS[ending].label}."
        )
        request_live_run(live_settings(init, config), origin=origin)


def main() -> None:
    st.title("Initialisation schemes")
    st.markdown(
        f"How often is the cell **born dead** ({dead_rule_text(True)}) under each scheme, "
        "and how do its draws train with the notebook's settings as the sequences get longer? "
        "pytorch: every parameter U(−1, 1); identity (IRNN): w_hh = 1, biases 0, w_ih ~ "
        "N(0, 0.001²); xavier: weights U(−√3, √3), biases 0; kaiming: weights N(0, 2), biases 0; "
        "rai (randomized asymmetric, Lu et al. 2019, adapted): all N(0, 2), then one parameter "
        "replaced by a positive Beta(2, 1) draw. Bars are 95 % intervals."
    )
    settings = settings_form()
    if settings is None:
        return
    ending = st.selectbox(
        "Share of draws that ended",
        list(ENDINGS),
        format_func=lambda e: ENDINGS[e].label,
        key="schemes.ending",
    )

    def draw(state) -> None:
        result = state.latest
        st.plotly_chart(schemes_figure(result, Ending(ending)), key="schemes.chart")
        st.dataframe(
            shares_table(result),
            hide_index=True,
            column_config={
                name: st.column_config.NumberColumn(name, format="percent")
                for name in ["P(dead at init), exact", *(s.label for s in ENDINGS.values())]
            },
        )
        load_controls(result)

    follow(lambda: schemes_job(settings), draw, "The measurement")


main()
