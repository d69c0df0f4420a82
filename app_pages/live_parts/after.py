"""The live page's views of a stopped run: the replay animation and the long-sequence check. Each
is built once per run state and kept in session state, because every click elsewhere on the page
reruns this and the replay is slow to build."""

from __future__ import annotations

import streamlit as st

from app_pages.live_parts.surface import replay_surfaces
from l1viz.live.run import Generalisation, LiveRun, Snapshot
from l1viz.plots import plane, time_charts

REPLAY, GENERAL = "live.after.replay", "live.after.general"


def _made(key: str, now: Snapshot, build):
    """`build()` once per (run, step) and session."""
    made = st.session_state.get(key)
    if made is None or made[0] != (now.run_id, now.steps_done):
        made = ((now.run_id, now.steps_done), build())
        st.session_state[key] = made
    return made[1]


def generalisation_of(run: LiveRun, now: Snapshot) -> Generalisation:
    return _made(GENERAL, now, run.generalisation)


def replay(run: LiveRun, now: Snapshot) -> None:
    if now.playing:
        st.caption("The replay is built when the run stops or pauses.")
        return
    if now.steps_done == 0:
        st.caption("The replay appears once the run has taken a step.")
        return

    def build():
        rows = plane.replay_rows(len(now.series["step"]))
        return plane.replay_figure(now.series, replay_surfaces(run.config, now.series, rows))

    with st.spinner("Drawing the replay…"):
        figure = _made(REPLAY, now, build)
    st.caption(
        "The run again: press Play or drag the slider. Each frame shows the landscape at that "
        "frame's biases (the slider says which)."
    )
    st.plotly_chart(figure, key="live.chart.replay", config=time_charts.TOOLBAR)


def long_sequences(run: LiveRun, now: Snapshot) -> None:
    if now.playing:
        st.caption("The check runs when the run stops or pauses.")
        return
    general = generalisation_of(run, now)
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
