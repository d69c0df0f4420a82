"""The loss landscape under the live run, cached per shape: during a run only the biases (and the
learned layer's slopes) move it, rounded to 0.01, so a run needs few surfaces."""

from __future__ import annotations

import streamlit as st

from l1viz.engine.config import TrainConfig
from l1viz.study.landscape import LossGrid, expected_loss, view_range


@st.cache_data(max_entries=64, show_spinner=False)
def loss_grid(key: tuple, x_range: tuple, y_range: tuple) -> LossGrid:
    transform, bias, bias_sum, slopes, max_length = key
    return expected_loss(transform, bias, bias_sum, slopes, max_length, x_range, y_range)


def surface_for(config: TrainConfig, key: tuple, series: dict) -> tuple[LossGrid, str]:
    """The surface for a run's landscape key (`LiveRun.landscape_key`: its current biases) over a
    view that holds its path, and the words that say which surface it is."""
    grid = loss_grid(key, view_range(series["w_hh"]), view_range(series["w_ih"]))
    _, bias, bias_sum, slopes, _ = key
    label = f"b_hh + b_ih = {bias_sum:+.2f}" if bias else "no bias"
    if config.transform == "learned":
        label += f", s₊ = {slopes[0]:.2f}, s₋ = {slopes[1]:.2f}"
    return grid, label
