""" "Run 32 seeds": the live view's init and setup trained on 32 data seeds at once, to see whether
the run being watched was typical."""

from __future__ import annotations

import streamlit as st

from app_pages import studies
from app_pages.charts import plotly_chart
from app_pages.common import plain_markdown
from l1viz.live.run import LiveRun
from l1viz.plots import palette, time_charts
from l1viz.plots.fan import fan_figure

SEEDS = 32
ASKED = "live.seeds.asked"  # the settings the user asked a fan for


def asked(run: LiveRun) -> bool:
    return st.session_state.get(ASKED) == run.settings


def busy(run: LiveRun) -> bool:
    """A fan for this run is still training (the page keeps polling until it ends)."""
    return asked(run) and studies.running(studies.seeds_job(run.settings, SEEDS))


def section(run: LiveRun) -> None:
    if not asked(run):
        st.caption(
            f"The same initial values and hyperparameters trained from {SEEDS} data seeds "
            f"({run.config.seed:,} onwards, this run's first): does this init usually end the "
            "way this run did?"
        )
        if st.button(f"Run {SEEDS} seeds", key="live.seeds.run", icon=":material/stacks:"):
            st.session_state[ASKED] = run.settings
            st.rerun()  # the page sets its timer to follow the fan
        return
    state = studies.seeds_job(run.settings, SEEDS).state()
    if state.error:
        st.error(plain_markdown(f"The seed fan failed: {state.error}"))
        return
    fan = state.latest
    if fan is None or len(fan.runs) < SEEDS:
        done = fan.progress if fan is not None else 0.0
        st.progress(min(done, 1.0), text=f"Training {SEEDS} seeds: {done:.0%}")
    if fan is None or not fan.runs:
        return
    split = fan.split()
    row = st.container(horizontal=True)
    for ending, share in split.items():
        shade = palette.ENDINGS[ending]
        row.badge(f"{share:.0%} {shade.label}", color=shade.badge)
    plotly_chart(
        fan_figure(fan, watched_seed=run.config.seed),
        key="live.chart.fan",
        file_name="l1viz-seed-fan",
        config=time_charts.TOOLBAR,
    )
    st.caption(
        f"{len(fan.runs)} of {SEEDS} runs finished; black: seed {run.config.seed:,}, the run "
        "above (trained again in the batch, ending the same way)."
    )
