"""The activity raster of one training step: sequences × time, where the pre-activation was
positive, and the gradient reaching every hidden state (symmetric log colour)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from l1viz.engine.outcomes import Ending
from l1viz.plots.palette import ENDINGS, PATH, SIGNED_SCALE, WHITE
from l1viz.study.activity import Activity

HEIGHT = 380
PADDING = -1  # marks time steps past a sequence's end


def activity_figure(found: Activity, step: int) -> go.Figure:
    sequences, steps = found.fired.shape
    beyond = np.arange(steps)[None, :] >= found.lengths[:, None]
    fired = np.where(beyond, PADDING, found.fired.astype(int))
    magnitude = np.abs(found.grad)
    with np.errstate(divide="ignore"):
        grad = np.sign(found.grad) * np.log10(1 + magnitude / max(magnitude.max(), 1e-30) * 1e3)
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("pre-activation > 0", "dL/dh (signed, log scale)"),
        horizontal_spacing=0.08,
    )
    dark = ENDINGS[Ending.DEAD_AT_INIT].hex
    figure.add_trace(
        go.Heatmap(
            z=fired,
            zmin=-1,
            zmax=1,
            colorscale=[
                [0, WHITE],
                [0.33, WHITE],
                [0.34, dark],
                [0.66, dark],
                [0.67, PATH],
                [1, PATH],
            ],
            showscale=False,
            hovertemplate="sequence %{y}, t = %{x}: %{z}<extra>1 fired, 0 silent, −1 padding"
            "</extra>",
        ),
        row=1,
        col=1,
    )
    limit = float(np.nanmax(np.abs(grad))) or 1.0
    figure.add_trace(
        go.Heatmap(
            z=np.where(beyond, np.nan, grad),
            zmin=-limit,
            zmax=limit,
            colorscale=SIGNED_SCALE,
            colorbar={"thickness": 10, "title": {"text": "±log"}},
            customdata=found.grad,
            hovertemplate="sequence %{y}, t = %{x}<br>dL/dh = %{customdata:.3g}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    figure.update_xaxes(title="time t")
    figure.update_yaxes(title="sequence", row=1, col=1)
    share = found.fired[~beyond].mean() if (~beyond).any() else 0.0
    figure.update_layout(
        title={
            "text": f"Inside the batch of step {step:,}: {share:.0%} fired, loss {found.loss:.3g}",
            "x": 0.01,
        },
        height=HEIGHT,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return figure
