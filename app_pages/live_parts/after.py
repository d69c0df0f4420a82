"""The live page below the charts, once the run stops or pauses: the replay animation and the
generalisation check. Both are built once per run state and kept in session state: the replay
takes ~0.4 s to build, and every click elsewhere on the page reruns this."""

from __future__ import annotations

import streamlit as st

from app_pages.live_parts.surface import surface_for
from l1viz.live.run import LiveRun
from l1viz.plots import plane, time_charts

MADE = "live.after"


def section(run: LiveRun) -> None:
    st.subheader("Replay")
    now = run.snapshot()
    if now.steps_done == 0 and not now.done:
        st.caption("The replay and the generalisation check appear once the run has taken a step.")
        return
    made = st.session_state.get(MADE)
    if made is None or made[0] != (run.run_id, now.steps_done):
        grid, label = surface_for(run.config, now.landscape_key, now.series)
        made = (
            (run.run_id, now.steps_done),
            plane.replay_figure(grid, now.series, label),
            run.generalisation(),
        )
        st.session_state[MADE] = made
    _, replay, general = made
    st.caption(
        "The run again, on the landscape at its final biases: press Play or drag the slider."
    )
    st.plotly_chart(replay, key="live.chart.replay", config=time_charts.TOOLBAR)

    st.subheader("Does it compute the L1 norm beyond length 10?")
    check = general.check
    numbers = st.grid(4, min_column_width=130)
    numbers.metric("sequence length", f"{check.length:,}")
    numbers.metric("true L1 norm", f"{check.actual:,.2f}")
    numbers.metric("cell's output", f"{check.predicted:,.2f}" if check.finite else "not finite")
    numbers.metric("relative error", f"{check.relative_error:.2%}" if check.finite else "—")
    st.plotly_chart(
        time_charts.generalisation_figure(general.lengths, general.predicted, general.actual),
        key="live.chart.general",
        config=time_charts.TOOLBAR,
    )
    st.caption(
        "One N(0, 1) sequence of length 10,000 (drawn from the run's seed); the cell's state "
        "after t inputs is its answer for the first t values, so one pass gives every length."
    )
