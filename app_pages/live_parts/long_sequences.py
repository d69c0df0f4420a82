"""The live page's Long sequences tab: the parameters at the step the playhead stopped at, on one
N(0, 1) sequence of length 10,000. Built once per (run, step) and kept in session state, because
every click elsewhere on the page reruns this."""

from __future__ import annotations

import streamlit as st

from app_pages.charts import plotly_chart
from l1viz.live.prefix_curve import PrefixCurve, parameters_at, prefix_curve
from l1viz.live.run import LiveRun
from l1viz.live.view import ViewState
from l1viz.plots import time_charts

KEPT = "live.long_sequences"


def curve_at(run: LiveRun, step: int) -> tuple[int, PrefixCurve]:
    """(the recorded step at or before `step`, the check there), once per session and step."""
    made = st.session_state.get(KEPT)
    if made is None or made[0] != (run.run_id, step):
        table = run.trajectory(step)
        row = len(table["step"]) - 1
        params = parameters_at(table, run.cell.names, row)
        made = (
            (run.run_id, step),
            (int(table["step"][row]), prefix_curve(run.cell, params, run.config.seed)),
        )
        st.session_state[KEPT] = made
    return made[1]


def section(run: LiveRun, view: ViewState) -> None:
    if view.playing:
        st.caption("The check runs at the step the playhead stops at: pause to see it.")
        return
    step, general = curve_at(run, view.step)
    check = general.check
    numbers = st.grid(4, min_column_width=130)
    numbers.metric("sequence length", f"{check.length:,}")
    numbers.metric("true L1 norm", f"{check.actual:,.2f}")
    numbers.metric("cell's output", f"{check.predicted:,.2f}" if check.finite else "not finite")
    numbers.metric("relative error", f"{check.relative_error:.2%}" if check.finite else "—")
    plotly_chart(
        time_charts.generalisation_figure(general.lengths, general.predicted, general.actual),
        key="live.chart.general",
        file_name=f"l1viz-long-sequences-step-{step}",
        config=time_charts.TOOLBAR,
    )
    st.caption(
        f"The parameters of step {step:,} on one N(0, 1) sequence of length 10,000 (drawn from "
        "the run's seed); the cell's state after t inputs is its answer for the first t values, "
        "so one pass gives every length."
    )
