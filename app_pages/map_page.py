"""Outcome map: how training ends from every initialisation on a grid over two parameters.

Thin: widgets -> `l1viz.study.sweep.measure_sweep` (cached for every session) -> the heatmap from
`l1viz.table_figures`. Clicking a cell trains that initialisation in the live view.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import request_live_run
from l1viz.engine.config import ConfigError
from l1viz.live.links import map_cell_settings
from l1viz.live.settings import INIT_RANGE
from l1viz.plots.outcome_map import outcome_map_figure, selected_cell
from l1viz.study.observations import PARAMETERS
from l1viz.study.sweep import (
    BIASES,
    SweepSettings,
    measure_sweep,
    outcome_counts_text,
)

GRIDS = (16, 24, 32, 48, 64, 96, 128)
# Ranges and values stay within what the live view accepts, so every cell can be loaded there.
FIXED_DEFAULTS = {"w_hh": 0.5, "w_ih": 0.5, "b_hh": 0.5, "b_ih": -0.75}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_sweep(x, y, x_range, y_range, grid, steps, fixed, seed):
    """The map as plain data; the progress bar lives inside, so a cached map comes back at once."""
    settings = SweepSettings(
        x=x, y=y, x_range=x_range, y_range=y_range, grid=grid, steps=steps, fixed=fixed, seed=seed
    )
    bar = st.progress(0.0, text="Starting…")
    sweep = measure_sweep(
        settings,
        on_progress=lambda share, label: bar.progress(
            min(share, 1.0), text=f"{label}: {share:.0%}"
        ),
    )
    bar.empty()
    return sweep


def settings_form() -> dict:
    defaults = SweepSettings()
    with st.sidebar.form("map.form"):
        st.subheader("Map")
        x = st.selectbox("x axis", PARAMETERS, PARAMETERS.index(defaults.x), key="map.x")
        y = st.selectbox("y axis", PARAMETERS, PARAMETERS.index(defaults.y), key="map.y")
        x_range = st.slider("x range", *INIT_RANGE, defaults.x_range, 0.1, key="map.x_range")
        y_range = st.slider("y range", *INIT_RANGE, defaults.y_range, 0.1, key="map.y_range")
        grid = st.select_slider("Grid (cells per side)", GRIDS, defaults.grid, key="map.grid")
        steps = st.number_input(
            "Step budget", 1, 1_000_000, defaults.steps, step=1000, key="map.steps"
        )
        seed = st.number_input("Seed", 0, 2**32 - 1, defaults.seed, key="map.seed")
        bias = st.toggle(
            "Cell with biases",
            False,
            key="map.bias",
            help="A bias on an axis gives the cell biases too.",
        )
        st.caption("Values of the parameters that are not on an axis:")
        left, right = st.columns(2)
        values = {
            name: column.number_input(
                name,
                *INIT_RANGE,
                FIXED_DEFAULTS[name],
                0.05,
                format="%.3f",
                key=f"map.fixed.{name}",
            )
            for column, name in zip((left, right, left, right), PARAMETERS)
        }
        st.form_submit_button("Draw map", type="primary")
    bias = bias or x in BIASES or y in BIASES
    fixed = tuple(
        (name, value)
        for name, value in values.items()
        if name not in (x, y) and (bias or name not in BIASES)
    )
    return {
        "x": x,
        "y": y,
        "x_range": tuple(x_range),
        "y_range": tuple(y_range),
        "grid": grid,
        "steps": int(steps),
        "fixed": fixed,
        "seed": int(seed),
    }


st.title("Outcome map")
st.markdown(
    "Each cell is one initialisation, trained with the notebook's settings (Adam, lr 0.001, "
    "batch 32, length ≤ 10) until it converges, dies or the budget runs out. The dashed line is "
    "where the dead rule starts to hold (the cell can never fire: w_ih ≤ 0 and "
    "b_hh + b_ih ≤ 0); "
    "dotted boxes are the notebook's cases whose region this plane passes through. "
    "**Click a cell** to train it in the live view."
)
chosen = settings_form()
try:
    SweepSettings(**chosen)
except ConfigError as error:
    st.error(f"Cannot draw this map — {error}")
    st.stop()
sweep = cached_sweep(**chosen)
figure = outcome_map_figure(sweep)
event = st.plotly_chart(
    figure, key="map.chart", on_select="rerun", selection_mode="points", width="stretch"
)
note = "" if sweep["cases"] else " · no notebook case has these fixed values"
st.caption(f"Outcomes: {outcome_counts_text(sweep['counts'])}{note}")
cell = selected_cell(event.selection.points if event else [], figure, chosen["grid"])
if cell is not None:
    request_live_run(map_cell_settings(SweepSettings(**chosen), sweep, *cell))
