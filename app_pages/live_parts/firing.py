"""Where the cell fires: the share of positive pre-activations over the run, and for one step the
activity raster (sequences × time) of that step's batch at that step's parameters."""

from __future__ import annotations

import streamlit as st
import torch

from l1viz.engine.data import batch_at
from l1viz.live.run import LiveRun, Snapshot
from l1viz.plots import time_charts
from l1viz.plots.activity import activity_figure
from l1viz.study.activity import activity

STEP_KEY = "live.raster.step"


def section(run: LiveRun, now: Snapshot) -> None:
    st.plotly_chart(
        time_charts.active_figure(now.series, now.spans, run.run_id),
        key="live.chart.active",
        config=time_charts.TOOLBAR,
    )
    if now.playing:
        st.caption("Pause to look inside one step: which sequences and time steps fired.")
        return
    _, history = run.trajectory()
    steps = history["step"]
    last = int(steps[-1])
    if st.session_state.get(STEP_KEY, (None, None))[0] != run.run_id:
        st.session_state[STEP_KEY] = (run.run_id, _interesting_step(now, last))
    chosen = st.slider(
        "Step shown in the raster",
        0,
        max(last, 1),
        value=min(st.session_state[STEP_KEY][1], last),
        key=f"live.raster.slider.{run.run_id}",
        disabled=last == 0,
        help="The batch this step trained on, at the parameters it started from.",
    )
    st.session_state[STEP_KEY] = (run.run_id, chosen)
    row = max(i for i, step in enumerate(steps) if step <= chosen)
    step = int(steps[row])
    cell = run.trainer.cell
    params = torch.tensor([[float(history[name][row])] for name in cell.names])
    config = run.config
    batch = batch_at(config.seed, config.batch_size, config.max_length, step)
    st.plotly_chart(
        activity_figure(activity(cell, params, batch), step),
        key="live.chart.raster",
        config=time_charts.TOOLBAR,
    )
    if step != chosen:
        st.caption(f"Step {chosen:,} is not kept in the run's history: showing step {step:,}.")


def _interesting_step(now: Snapshot, last: int) -> int:
    """Where a run ended badly, the step it went dark (or diverged); else the last step."""
    decided = now.result.decided_at
    return decided if decided is not None and now.spans else last
