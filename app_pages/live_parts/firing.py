"""Where the cell fires: the share of positive pre-activations over the run, drawn in the browser up
to the playhead, and for the step the playhead stopped at the activity raster (sequences × time)
of that step's batch at that step's parameters."""

from __future__ import annotations

import streamlit as st

from app_pages.charts import plotly_chart
from app_pages.common import plain_markdown
from app_pages.live_parts import player
from l1viz.engine.data import batch_at
from l1viz.live.prefix_curve import parameters_at
from l1viz.live.run import LiveRun
from l1viz.live.view import ViewState
from l1viz.plots import time_charts
from l1viz.plots.activity import activity_figure
from l1viz.plots.time_charts import figure_json
from l1viz.study.activity import activity
from l1viz.study.vocabulary import still_learns


def section(run: LiveRun, view: ViewState) -> None:
    player.follower(
        "active",
        {
            "role": "chart",
            "run": view.run,
            "plotly": player.plotly_url(),
            "template": figure_json(time_charts.active_template()),
            "height": time_charts.TALL_HEIGHT,
        },
    )
    config = run.config
    below = still_learns(config.activation, config.slope)
    if below:  # the raster's gradient half shows it: dL/dh is not 0 where the cell is silent
        st.caption(plain_markdown(f"{below} Silent steps still carry a gradient (dL/dh)."))
    if view.playing:
        st.caption("Pause to look inside the step shown: which sequences and time steps fired.")
        return
    table = run.trajectory(view.step)
    row = len(table["step"]) - 1
    step = int(table["step"][row])
    batch = batch_at(config.seed, config.batch_size, config.max_length, step)
    params = parameters_at(table, run.cell.names, row)
    plotly_chart(
        activity_figure(activity(run.cell, params, batch), step),
        key="live.chart.raster",
        file_name=f"l1viz-firing-step-{step}",
        config=time_charts.TOOLBAR,
    )
    st.caption(
        f"Step {step:,}, the step the playhead stopped at: the batch that step trained on, at "
        "the parameters it started from. Move the playhead (timeline, ← →) to see another."
    )
