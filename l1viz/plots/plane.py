"""The (w_hh, w_ih) plane the live path moves on: the loss landscape at each level of the run's
biases, the dead region and the gradient field. Pure functions, no Streamlit.

A surface is a background image, not a heatmap: the browser swaps images as the playhead moves
between bias levels, and redraws a heatmap far more slowly.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale

from l1viz.plots import palette
from l1viz.plots.field import gradient_traces
from l1viz.plots.time_charts import BROWSER_LOOK, COLORS, TALL_HEIGHT, layout
from l1viz.study.landscape import LossGrid

# log10 of the loss is coloured over this fixed range in every state (a plane that is flat, as a
# dead run's often is, still reads on the same scale); beyond it values share the end colours.
LOG_LOSS_FLOOR, LOG_LOSS_CAP = -4.0, 3.0
COLORSCALE = palette.LOSS_SCALE
DEAD_FILL = palette.DEAD_REGION
# Below everything, the w_hh axis title included (placed in the figure, not on the plot area).
BOTTOM_LEGEND = {
    "orientation": "h",
    "yref": "container",
    "y": 0,
    "yanchor": "bottom",
    "x": 0,
    "xanchor": "left",
}


def log_loss(grid: LossGrid) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.log10(grid.loss)
    values = np.nan_to_num(values, nan=LOG_LOSS_CAP, posinf=LOG_LOSS_CAP, neginf=LOG_LOSS_FLOOR)
    return np.clip(values, LOG_LOSS_FLOOR, LOG_LOSS_CAP)


COLOR_BAR = {"title": {"text": "log₁₀ loss"}, "thickness": 12}


def _cell_half_sizes(grid: LossGrid) -> tuple[float, float]:
    return (
        (grid.x_range[1] - grid.x_range[0]) / len(grid.w_hh) / 2,
        (grid.y_range[1] - grid.y_range[0]) / len(grid.w_ih) / 2,
    )


def dead_outline(grid: LossGrid) -> tuple[list, list]:
    """Rectangles covering the dead cells, one per run of dead cells along w_hh, as one polygon
    list (None between rectangles) for a filled scatter trace drawn over the surface."""
    half_x, half_y = _cell_half_sizes(grid)
    xs, ys = [], []
    for row, y in enumerate(grid.w_ih):
        for first, last in _runs(np.flatnonzero(grid.dead[row])):
            x0, x1 = grid.w_hh[first] - half_x, grid.w_hh[last] + half_x
            y0, y1 = y - half_y, y + half_y
            xs += [x0, x1, x1, x0, x0, None]
            ys += [y0, y0, y1, y1, y0, None]
    return xs, ys


def _runs(indices: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive integers in a sorted index array."""
    if not len(indices):
        return []
    breaks = np.flatnonzero(np.diff(indices) > 1)
    starts = [indices[0], *indices[breaks + 1]]
    ends = [*indices[breaks], indices[-1]]
    return list(zip(starts, ends))


def _dead_trace(grid: LossGrid) -> go.Scatter:
    xs, ys = dead_outline(grid)
    return go.Scatter(
        x=xs,
        y=ys,
        fill="toself",
        fillcolor=DEAD_FILL,
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
        name="dead region",
    )


def _solution_trace() -> go.Scatter:
    return go.Scatter(
        x=[1.0],
        y=[1.0],
        mode="markers",
        name="solution (1, 1)",
        marker={
            "symbol": "star",
            "size": 14,
            "color": palette.WHITE,
            "line": {"color": palette.BLACK, "width": 1},
        },
    )


# -- live ----------------------------------------------------------------------------------------
def landscape_template(grid: LossGrid, label: str) -> go.Figure:
    """The plane the live path moves on, without its surface: the solution, the colour bar and
    axes over the view of `grid`. Each surface comes as a `landscape_level`; the path, its start
    and the current point are drawn by the browser at the playhead."""
    figure = go.Figure([_color_scale_trace(), _solution_trace()])
    figure.data[0].marker.colorbar.update(x=1.0, xanchor="left", len=0.9)
    plain = {"showgrid": False, "zeroline": False}  # nothing drawn over the landscape image
    (x0, x1), (y0, y1) = grid.x_range, grid.y_range
    figure = layout(
        figure,
        "Path on the loss landscape",
        "plane",
        subtitle=label,
        height=TALL_HEIGHT,
        legend=BOTTOM_LEGEND,
        xaxis={"range": [x0, x1], "title": "w_hh", "autorange": False, **plain},
        yaxis={"range": [y0, y1], "title": "w_ih", "autorange": False, **plain},
    )
    figure.update_layout(margin={"b": 70}, meta={"path_color": COLORS["path"]}, **BROWSER_LOOK)
    return figure


def landscape_level(grid: LossGrid, label: str, arrows: bool = True) -> dict:
    """One surface of a run's plane, at one level of its biases: the expected loss as an image on
    the fixed colour scale, the dead region over it and the gradient field as arrows (none where
    the cell is dead: no gradient flows there)."""
    traces = [_dead_trace(grid), *(gradient_traces(grid) if arrows else [])]
    return {
        "image": _surface_layout_image(grid),
        "traces": json.loads(go.Figure(traces).to_json())["data"],
        "label": label,
    }


# -- surfaces as images ----------------------------------------------------------------------
def surface_image(grid: LossGrid) -> str:
    """The landscape as a PNG data URI, one pixel per grid cell, top row = largest w_ih, on the
    same fixed colour scale as the live landscape."""
    scaled = (log_loss(grid) - LOG_LOSS_FLOOR) / (LOG_LOSS_CAP - LOG_LOSS_FLOOR)
    colors = sample_colorscale(COLORSCALE, scaled.ravel().tolist())
    rgb = np.array([[int(c) for c in color[4:-1].split(",")] for color in colors], np.uint8)
    pixels = rgb.reshape(*scaled.shape, 3)[::-1]
    return "data:image/png;base64," + base64.b64encode(_png(pixels)).decode()


def _png(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an (h, w, 3) uint8 array."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _surface_layout_image(grid: LossGrid) -> dict:
    (x0, x1), (y0, y1) = grid.x_range, grid.y_range
    return {
        "source": surface_image(grid),
        "xref": "x",
        "yref": "y",
        "x": x0,
        "y": y1,
        "sizex": x1 - x0,
        "sizey": y1 - y0,
        "sizing": "stretch",
        "layer": "below",
    }


def _color_scale_trace() -> go.Scatter:
    """The landscape's colour bar (an image has none): a marker trace with no visible point."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        hoverinfo="skip",
        showlegend=False,  # it would show as "trace 2" with a dot of the scale's colour
        marker={
            "color": [LOG_LOSS_FLOOR],
            "cmin": LOG_LOSS_FLOOR,
            "cmax": LOG_LOSS_CAP,
            "colorscale": COLORSCALE,
            "showscale": True,
            "colorbar": {**COLOR_BAR, "x": 0.46, "xanchor": "left", "len": 0.9},
        },
    )
