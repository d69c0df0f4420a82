"""The loss landscape under the live run, cached per shape: during a run only the biases (and the
learned layer's slopes) move it, rounded to 0.01, so a run needs few surfaces."""

from __future__ import annotations

import math

import streamlit as st

from l1viz.engine.config import TrainConfig
from l1viz.live.run import rounded
from l1viz.study.landscape import LossGrid, expected_loss, view_range


@st.cache_data(max_entries=64, show_spinner=False)
def loss_grid(key: tuple, x_range: tuple, y_range: tuple) -> LossGrid:
    transform, bias, bias_sum, slopes, max_length = key
    return expected_loss(transform, bias, bias_sum, slopes, max_length, x_range, y_range)


def surface_for(config: TrainConfig, key: tuple, series: dict) -> tuple[LossGrid, str]:
    """The surface for a run's landscape key (`LiveRun.landscape_key`: its current biases) over a
    view that holds its path, and the words that say which surface it is."""
    grid = loss_grid(key, view_range(series["w_hh"]), view_range(series["w_ih"]))
    return grid, _label(config, key)


# The replay computes at most this many distinct surfaces (~0.2 s each, then cached): frames whose
# biases differ by less than the path's bias range / REPLAY_SURFACES share one.
REPLAY_SURFACES = 12


def replay_surfaces(config: TrainConfig, series: dict, rows: list[int]) -> list[tuple]:
    """For each replay frame (a row of the series), the landscape at that frame's biases and its
    label, all over the view of the whole path."""
    view = view_range(series["w_hh"]), view_range(series["w_ih"])
    sums = [series["b"][row] if config.bias else 0.0 for row in rows]
    finite = [value for value in sums if math.isfinite(value)] or [0.0]
    quantum = max(0.01, (max(finite) - min(finite)) / REPLAY_SURFACES)
    surfaces = []
    for row, bias_sum in zip(rows, sums):
        key = (
            config.transform,
            config.bias,
            rounded(bias_sum, quantum),
            _slopes(config, series, row),
            config.max_length,
        )
        surfaces.append((loss_grid(key, *view), _label(config, key)))
    return surfaces


def _slopes(config: TrainConfig, series: dict, row: int) -> tuple[float, float]:
    """The learned layer's slopes (s+, s-) at a row: its effective input weights over w_ih."""
    w_ih = series["w_ih"][row]
    if config.transform != "learned" or not w_ih or not math.isfinite(w_ih):
        return (1.0, 1.0)
    return tuple(rounded(series[name][row] / w_ih, 0.01) for name in ("w_ih_pos", "w_ih_neg"))


def _label(config: TrainConfig, key: tuple) -> str:
    _, bias, bias_sum, slopes, _ = key
    label = f"b_hh + b_ih = {bias_sum:+.2f}" if bias else "no bias"
    if config.transform == "learned":
        label += f", s₊ = {slopes[0]:.2f}, s₋ = {slopes[1]:.2f}"
    return label
