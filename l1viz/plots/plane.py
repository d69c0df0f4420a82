"""Charts of the (w_hh, w_ih) plane: the loss landscape with the path on it, live and as a replay
animation. Pure functions, no Streamlit.

The replay paints the landscape as a background image rather than a contour trace: plotly.js
drops contour and heatmap traces from view as soon as an animation runs (plotly.js #4491).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from l1viz.engine.history import evenly_spaced
from l1viz.plots import palette
from l1viz.plots.field import gradient_traces
from l1viz.plots.time_charts import (
    COLORS,
    TALL_HEIGHT,
    TOP_MARGIN,
    finite_array,
    layout,
    positive_array,
)
from l1viz.study.landscape import LossGrid

# log10 of the loss is coloured over this fixed range in every state (a plane that is flat, as a
# dead run's often is, still reads on the same scale); beyond it values share the end colours.
LOG_LOSS_FLOOR, LOG_LOSS_CAP = -4.0, 3.0
CONTOUR_STEP = 0.5  # one contour line per half decade of loss
COLORSCALE = palette.LOSS_SCALE
DEAD_FILL = palette.DEAD_REGION
PATH_LINE = {"color": COLORS["path"], "width": 2.5}
FADED_PATH_LINE = {"color": palette.FADED_PATH, "width": 2}
FADED_LOSS_LINE = {"color": palette.FADED_LOSS, "width": 1.5}
# Below everything, the w_hh axis title included (placed in the figure, not on the plot area).
BOTTOM_LEGEND = {
    "orientation": "h",
    "yref": "container",
    "y": 0,
    "yanchor": "bottom",
    "x": 0,
    "xanchor": "left",
}
REPLAY_HEIGHT = 560
REPLAY_FRAMES = 60
REPLAY_POINTS = 400


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


def _marker(xs, ys, row: int, name: str, symbol: str = "circle") -> go.Scatter:
    """One point of a path (none if `row` is outside it)."""
    inside = 0 <= row < len(xs)
    return go.Scatter(
        x=xs[row : row + 1] if inside else [],
        y=ys[row : row + 1] if inside else [],
        mode="markers",
        name=name,
        marker={
            "symbol": symbol,
            "size": 12,
            "color": COLORS["path"],
            "line": {"color": palette.WHITE if symbol == "circle" else COLORS["path"], "width": 2},
        },
    )


def _plane_axes(grid: LossGrid) -> dict:
    return {
        "xaxis": {"range": list(grid.x_range), "title": "w_hh"},
        "yaxis": {"range": list(grid.y_range), "title": "w_ih"},
    }


# -- live ---------------------------------------------------------------------------------------
def landscape_figure(
    grid: LossGrid,
    w_hh: Sequence[float],
    w_ih: Sequence[float],
    bias_label: str,
    revision=0,
    arrows: bool = True,
) -> go.Figure:
    """The expected loss (colour on a fixed scale, with contour lines), the gradient field as
    arrows, the dead region shaded, the solution, the path so far, its start and the current point.
    A smoothed heatmap under bare contour lines draws faster in the browser than a
    filled contour."""
    z = log_loss(grid)
    surface = go.Heatmap(
        x=grid.w_hh,
        y=grid.w_ih,
        z=z,
        zmin=LOG_LOSS_FLOOR,
        zmax=LOG_LOSS_CAP,
        colorscale=COLORSCALE,
        zsmooth="fast",
        colorbar=COLOR_BAR,
        hovertemplate="w_hh %{x:.2f}<br>w_ih %{y:.2f}<br>log₁₀ loss %{z:.2f}<extra></extra>",
        name="expected loss",
    )
    levels = go.Contour(
        x=grid.w_hh,
        y=grid.w_ih,
        z=z,
        autocontour=False,
        showscale=False,
        contours={
            "coloring": "lines",
            "start": LOG_LOSS_FLOOR,
            "end": LOG_LOSS_CAP,
            "size": CONTOUR_STEP,
        },
        line={"color": palette.CONTOUR},
        hoverinfo="skip",
        name="contours",
    )
    xs, ys = finite_array(w_hh), finite_array(w_ih)
    figure = go.Figure(
        [
            surface,
            levels,
            *(gradient_traces(grid) if arrows else []),
            _dead_trace(grid),
            _solution_trace(),
            go.Scatter(x=xs, y=ys, mode="lines", name="path", line=PATH_LINE),
        ]
    )
    known = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
    if len(known):
        figure.add_trace(_marker(xs, ys, known[0], "start", symbol="circle-open"))
        figure.add_trace(_marker(xs, ys, known[-1], "now"))
    return layout(
        figure,
        "Path on the loss landscape",
        revision,
        subtitle=f"the surface at {bias_label}" if bias_label != "no bias" else "no bias",
        height=TALL_HEIGHT,
        legend=BOTTOM_LEGEND,
        **_plane_axes(grid),
    )


# -- replay -------------------------------------------------------------------------------------
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


def replay_rows(step_count: int, frames: int = REPLAY_FRAMES) -> list[int]:
    """The rows of a run's series that the replay's frames show (evenly spread, both ends)."""
    keep = evenly_spaced(step_count, REPLAY_POINTS)
    return [keep[pick] for pick in evenly_spaced(len(keep), frames)]


def replay_figure(series: dict, surfaces: Sequence[tuple[LossGrid, str]]) -> go.Figure:
    """The run again as an animation (plotly frames, a Play button and a step slider): the point
    moving over the landscape and along the loss curve. `surfaces` holds, for each row of
    `replay_rows`, the landscape at that frame's biases and the words that say which it is (all
    over the same view): a frame shows the plane its parameters were on. Axis ranges are fixed
    so the view does not jump between frames."""
    keep = evenly_spaced(len(series["step"]), REPLAY_POINTS)
    steps = np.asarray([series["step"][i] for i in keep])
    xs = finite_array([series["w_hh"][i] for i in keep])
    ys = finite_array([series["w_ih"][i] for i in keep])
    losses = positive_array([series["loss"][i] for i in keep])
    position = {row: index for index, row in enumerate(keep)}
    picks = [position[row] for row in replay_rows(len(series["step"]), len(surfaces))]
    grid = surfaces[0][0]
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.2,
        subplot_titles=("Path on the landscape", "Loss"),
    )
    for trace in (
        _solution_trace(),
        go.Scatter(x=xs, y=ys, mode="lines", name="whole path", line=FADED_PATH_LINE),
        _color_scale_trace(),
    ):
        figure.add_trace(trace, row=1, col=1)
    figure.add_trace(
        go.Scatter(x=steps, y=losses, mode="lines", name="loss", line=FADED_LOSS_LINE), row=1, col=2
    )

    def moving(row: int, surface: LossGrid) -> list[go.Scatter]:
        return [
            _dead_trace(surface),
            go.Scatter(x=xs[: row + 1], y=ys[: row + 1], mode="lines", line=PATH_LINE),
            _marker(xs, ys, row, "now"),
            _marker(steps, losses, row, "loss now"),
        ]

    first = len(figure.data)
    for trace, col in zip(moving(picks[0] if picks else -1, grid), (1, 1, 1, 2)):
        figure.add_trace(trace, row=1, col=col)
    names = [f"{steps[row]:,} · surface at {label}" for row, (_, label) in zip(picks, surfaces)]
    images = [_surface_layout_image(surface) for surface, _ in surfaces]
    figure.frames = [
        go.Frame(
            name=name,
            data=moving(row, surface),
            traces=list(range(first, first + 4)),
            layout={"images": [image]},
        )
        for name, row, (surface, _), image in zip(names, picks, surfaces, images)
    ]
    figure.add_layout_image(images[0])
    (x0, x1), (y0, y1) = grid.x_range, grid.y_range
    plain = {"showgrid": False, "zeroline": False}  # nothing drawn over the landscape image
    figure.update_xaxes(range=[x0, x1], title="w_hh", row=1, col=1, **plain)
    figure.update_yaxes(range=[y0, y1], title="w_ih", row=1, col=1, **plain)
    last = int(steps[-1]) if len(steps) else 1
    figure.update_xaxes(range=[0, max(last, 1)], title="step", row=1, col=2)
    figure.update_yaxes(type="log", range=_log_range(losses), row=1, col=2)
    # A frame changes the background image only when the biases moved between frames: plotly
    # redraws the layout for that, which is slower than moving the traces alone.
    redraw = len({image["source"] for image in images}) > 1
    figure.update_layout(
        height=REPLAY_HEIGHT,
        # The subplot titles sit just above the plots: below the toolbar's band at the top.
        margin={"l": 10, "r": 10, "t": TOP_MARGIN, "b": 170},
        showlegend=False,
        updatemenus=[_play_buttons(redraw)],
        sliders=[_frame_slider(names, redraw)],
    )
    return figure


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
        marker={
            "color": [LOG_LOSS_FLOOR],
            "cmin": LOG_LOSS_FLOOR,
            "cmax": LOG_LOSS_CAP,
            "colorscale": COLORSCALE,
            "showscale": True,
            "colorbar": {**COLOR_BAR, "x": 0.46, "xanchor": "left", "len": 0.9},
        },
    )


def _log_range(values: np.ndarray) -> list[float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return [-3.0, 1.0]
    return [math.log10(finite.min()) - 0.2, math.log10(finite.max()) + 0.2]


def _still(redraw: bool) -> dict:
    return {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate"}


def _play_buttons(redraw: bool) -> dict:
    play = {
        "frame": {"duration": 80, "redraw": redraw},
        "transition": {"duration": 0},
        "fromcurrent": True,
        "mode": "immediate",
    }
    return {
        "type": "buttons",
        "direction": "left",
        "x": 0.0,
        "y": -0.2,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 0, "r": 10},
        "showactive": False,
        "buttons": [
            {"label": "▶ Play", "method": "animate", "args": [None, play]},
            {"label": "❚❚ Pause", "method": "animate", "args": [[None], _still(False)]},
        ],
    }


def _frame_slider(names: list[str], redraw: bool) -> dict:
    """One stop per frame. Stop labels are transparent (sixty would overlap); the current one is
    shown above the slider."""
    return {  # its own row under the Play/Pause buttons, so narrow charts keep their width
        "x": 0,
        "y": -0.3,
        "len": 1,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 0},
        "currentvalue": {"prefix": "step ", "font": {"size": 13, "color": palette.INK}},
        "font": {"color": palette.INVISIBLE},
        "steps": [
            {"label": name, "method": "animate", "args": [[name], _still(redraw)]} for name in names
        ],
    }
