"""Initialisation schemes: how often each is born dead, and how its draws train, by the length of
the sequences. Widgets -> `SchemeSettings` -> a shared job -> `l1viz.plots.schemes`; "Load" plays
a draw of any ending in the live view."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from app_pages.activation_box import activation_choice, seed_activation, slope_box
from app_pages.boxes import seed_box, typed_box
from app_pages.charts import plotly_chart
from app_pages.common import request_live_run
from app_pages.downloads import download_buttons
from app_pages.page_state import accepted, keep_view, show_notes, take_view
from app_pages.studies import follow, schemes_job
from l1viz.engine.outcomes import Ending, dead_rules_apply, possible_endings
from l1viz.live.downloads import schemes_csv
from l1viz.live.links import live_settings
from l1viz.live.schemes_view import BIASES, FIELDS, SchemesView
from l1viz.plots.palette import ENDINGS
from l1viz.plots.schemes import schemes_figure
from l1viz.study.schemes import SCHEMES, SchemeResult, SchemeSettings
from l1viz.study.vocabulary import ACTIVATION_NAMES, dead_rule_text, still_learns

VIEW = "schemes.view"
BIAS_LABELS = {"both": "both", "with": "with bias", "without": "without bias"}
BOXES = {  # view field -> (label, widget key)
    "max_length": ("Max sequence lengths", "schemes.lengths"),
    "samples": ("Draws per scheme", "schemes.samples"),
    "steps": ("Step budget", "schemes.steps"),
    "seed": ("Seed", "schemes.seed"),
}
CHOICES = {"schemes": "schemes.names", "bias": "schemes.bias", "ending": "schemes.ending"}


def seed_widgets(view: SchemesView, force: bool) -> None:
    for name, (_, key) in BOXES.items():
        seed_box(key, FIELDS[name].text(getattr(view, name)), force)
    for name, key in CHOICES.items():
        if force or key not in st.session_state:
            value = getattr(view, name)
            st.session_state[key] = list(value) if name == "schemes" else value
    seed_activation("schemes", view.activation, view.slope, force)


def settings_form(view: SchemesView) -> SchemesView:
    """The form's view: each refused box says why beside it and keeps the last accepted value."""
    st.sidebar.subheader("Schemes")
    activation = activation_choice(st.sidebar, "schemes")
    values = {"activation": activation}
    with st.sidebar.form("schemes.form"):
        values["slope"] = slope_box(st, "schemes", activation, (view.activation, view.slope))
        values["schemes"] = tuple(st.multiselect("Schemes", SCHEMES, key="schemes.names"))
        for name, (label, key) in BOXES.items():
            help = "Comma-separated, e.g. 10, 100: each length trains every scheme's draws again."
            options = {"help": help} if name == "max_length" else {}
            values[name] = typed_box(st, label, FIELDS[name], key, getattr(view, name), **options)
        values["bias"] = st.radio(
            "Cells", list(BIASES), format_func=BIAS_LABELS.get, key="schemes.bias", horizontal=True
        )
        st.form_submit_button("Measure", type="primary")
    return replace(view, **values)


def dead_column(activation: str) -> str:
    """The exact chance of being born dead: ReLU's dead rule at step 0, under any activation."""
    born_dead = "dead at init" if dead_rules_apply(activation) else "ReLU dead at init"
    return f"P({born_dead}), exact"


def shares_table(result: SchemeResult) -> pd.DataFrame:
    """A row per scheme, bias setting and length: the shares of the endings its activation can
    reach."""
    records = []
    activation = result.settings.activation
    for row in result.rows:
        record = {
            "scheme": row.scheme,
            "bias": "yes" if row.bias else "no",
            "max length": row.max_length,
            dead_column(activation): row.dead_at_init,
        }
        for ending in possible_endings(activation):
            share = row.measured[ending] if row.measured else None
            record[ENDINGS[ending].label] = share.value if share else None
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


def ending_choice(view: SchemesView, activation: str) -> str:
    """The ending whose share the chart shows, among those the activation can reach."""
    endings = [e.value for e in possible_endings(activation)]
    if st.session_state.get("schemes.ending") not in endings:
        st.session_state["schemes.ending"] = view.ending if view.ending in endings else endings[0]
    return st.selectbox(
        "Share of draws that ended",
        endings,
        format_func=lambda value: ENDINGS[Ending(value)].label,
        key="schemes.ending",
    )


def activation_note(settings: SchemeSettings) -> None:
    """Under another activation than ReLU: what born dead still means, and why nothing dies."""
    if dead_rules_apply(settings.activation):
        return
    name = ACTIVATION_NAMES[settings.activation]
    endings = ", ".join(ENDINGS[e].label for e in possible_endings(settings.activation))
    st.caption(
        f"The draws train under {name}. {still_learns(settings.activation, settings.slope)} "
        "Born dead is ReLU's rule at step 0; here no draw dies, so the shares are of "
        f"{endings} only."
    )


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
    view, from_url = take_view(VIEW, SchemesView)
    seed_widgets(view, force=from_url)
    show_notes(VIEW)
    view = accepted(settings_form(view), view, type(view).settings)
    settings = view.settings()
    activation_note(settings)
    view = replace(view, ending=ending_choice(view, settings.activation))
    keep_view(VIEW, view)
    ending = view.ending

    def draw(state) -> None:
        result = state.latest
        plotly_chart(
            schemes_figure(result, Ending(ending)), key="schemes.chart", file_name="l1viz-schemes"
        )
        st.dataframe(
            shares_table(result),
            hide_index=True,
            column_config={
                name: st.column_config.NumberColumn(name, format="percent")
                for name in [dead_column(settings.activation), *(s.label for s in ENDINGS.values())]
            },
        )
        load_controls(result)
        if result.complete:
            download_buttons("schemes", result.to_json(), schemes_csv(result))

    follow(lambda: schemes_job(settings), draw, "The measurement")


main()
