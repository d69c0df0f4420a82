"""The loss landscapes under a live run, cached per shape: during a run only the biases (and the
learned layer's slopes, and PReLU's learned alpha) move the surface, so a run needs few of them.
Every surface is the run's activation's."""

from __future__ import annotations

import numpy as np
import streamlit as st

from l1viz.engine.config import TrainConfig
from l1viz.study.landscape import LossGrid, expected_loss, view_range
from l1viz.study.vocabulary import ACTIVATION_NAMES

# At most this many distinct surfaces per run (~0.2 s each, then cached): steps whose biases
# differ by less than the path's bias range / LEVELS share one.
LEVELS = 12


@st.cache_data(max_entries=64, show_spinner=False)
def loss_grid(key: tuple, x_range: tuple, y_range: tuple) -> LossGrid:
    transform, bias, bias_sum, slopes, max_length, activation, alpha = key
    return expected_loss(
        transform, bias, bias_sum, slopes, max_length, x_range, y_range, activation, alpha
    )


def run_surfaces(config: TrainConfig, table: dict) -> tuple[list[tuple], list[str]]:
    """([(level key, grid, label)], the columns a key is made of) for a run's recorded rows
    (`LiveRun.trajectory`): one surface per level of b_hh + b_ih (and of the learned slopes and
    PReLU's alpha) the path passes through, all over the view of the whole path."""
    view = view_range(table["w_hh"].tolist()), view_range(table["w_ih"].tolist())
    columns = (
        (["b"] if config.bias else [])
        + (["slope_pos", "slope_neg"] if config.transform == "learned" else [])
        + (["alpha"] if config.activation == "prelu" else [])
    )
    values = np.stack([table[name] for name in columns], 1) if columns else np.zeros((1, 0))
    keys = sorted(_levels(values))
    surfaces = []
    for key in keys:
        named = dict(zip(columns, key))
        grid_key = (
            config.transform,
            config.bias,
            named.get("b", 0.0),
            (named.get("slope_pos", 1.0), named.get("slope_neg", 1.0)),
            config.max_length,
            config.activation,
            named.get("alpha", config.slope),  # leaky ReLU's alpha is fixed: the config's
        )
        surfaces.append((key, loss_grid(grid_key, *view), _label(config, grid_key)))
    return surfaces, columns


def _levels(values: np.ndarray) -> set[tuple]:
    """The rounded level of every row: each column's range cut into at most LEVELS steps."""
    if values.shape[1] == 0:
        return {()}
    finite = values[np.isfinite(values).all(1)].astype(np.float64)
    if not len(finite):
        return {tuple(0.0 for _ in range(values.shape[1]))}
    quanta = np.maximum(0.01, (finite.max(0) - finite.min(0)) / LEVELS)
    levels = np.round(np.round(finite / quanta) * quanta, 6)  # as `rounded`, for every row
    return {tuple(float(v) for v in row) for row in np.unique(levels, axis=0)}


def _label(config: TrainConfig, key: tuple) -> str:
    _, bias, bias_sum, slopes, _, activation, alpha = key
    label = f"the surface at b_hh + b_ih = {bias_sum + 0.0:+.2f}" if bias else "no bias"
    if config.transform == "learned":
        label += f", s₊ = {slopes[0]:.2f}, s₋ = {slopes[1]:.2f}"
    if activation != "relu":
        name = ACTIVATION_NAMES[activation]
        label += f", {name}" if alpha is None else f", {name} α = {alpha:.3g}"
    return label
