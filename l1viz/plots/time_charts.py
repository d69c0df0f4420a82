"""The live view's charts over steps and lengths: pure functions from a run's numbers to plotly
figures (no Streamlit). The (w_hh, w_ih) plane is drawn by `plane_figures`.

Time charts take `series` as made by `LiveRun.series` (lists keyed by field, with "step") and the
spans to shade. Values that are not finite become gaps, never a broken axis. Data go in as numpy
arrays: plotly validates them at once and sends them as compact binary.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from l1viz.engine.config import BIAS_NAMES
from l1viz.engine.outcomes import DEAD, DEAD_IN_PRACTICE, DIVERGED, Ending, RunResult
from l1viz.plots import palette
from l1viz.study.fatal_update import FatalUpdate


@dataclass(frozen=True)
class Span:
    """A stretch of steps to shade on the time charts."""

    kind: Ending  # dead (from the start or died), dead in practice, diverged
    start: int
    end: int


def spans_of(result: RunResult) -> list[Span]:
    """Dead from the step it entered the dead region, dead in practice from the first silent step,
    diverged from the step the loss stopped being finite, each to the end of the run."""
    if result.outcome in (DEAD, DEAD_IN_PRACTICE, DIVERGED):
        return [Span(result.ending, result.decided_at, result.steps)]
    return []


COLORS = {
    **palette.PARAMETER_COLORS,
    "loss": palette.LOSS,
    "active": palette.ACTIVE,
    "path": palette.PATH,
}
LABELS = {
    "w_hh": "w_hh",
    "w_ih": "w_ih",
    "w_ih_pos": "w_ih·s₊ (x > 0)",
    "w_ih_neg": "w_ih·s₋ (x < 0)",
    "b_hh": "b_hh",
    "b_ih": "b_ih",
    "b": "b_hh + b_ih",
}
SPAN_WORDS = {
    Ending.DEAD_AT_INIT: "dead",
    Ending.DIED: "dead",
    Ending.DEAD_IN_PRACTICE: "silent",
    Ending.DIVERGED: "diverged",
}
# Overlaid runs: the palette's ten hues, then dashed, then dotted.
OVERLAY_DASHES = ("solid", "dash", "dot")
CHART_HEIGHT = 320
TALL_HEIGHT = 440
# Room at the top for the title and, below it, a legend; the toolbar covers the top ~30 px on the
# right (TOOLBAR keeps it short).
TOP_MARGIN = 64
TOP_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"}
SIDE_LEGEND = {
    "orientation": "v",
    "yanchor": "top",
    "y": 1,
    "x": 1.02,
    "xanchor": "left",
    "font": {"size": 11},
}
# Plotly config for the live charts: zoom, pan, reset and download stay; the zoom-in/out and
# autoscale buttons (double-click does both) go, so the toolbar is short.
TOOLBAR = {"modeBarButtonsToRemove": ["zoomIn2d", "zoomOut2d", "autoScale2d"], "displaylogo": False}
LOG_AXIS = {"type": "log", "exponentformat": "power"}
# Charts drawn by the browser's own plotly.js (the live player) do not get Streamlit's theme:
# they take plotly's white template and the page's font.
BROWSER_LOOK = {
    "template": "plotly_white",
    "font": {"family": '"Source Sans Pro", sans-serif', "size": 13},
}
# Steps start at 0: a run with one recorded step is not drawn on an axis from -1 to 1.
STEP_AXIS = {"title": "step", "rangemode": "nonnegative"}


def figure_json(figure: go.Figure) -> dict:
    """A figure as plain JSON values (arrays as plotly's typed-array specs), for the browser."""
    return json.loads(figure.to_json())


def finite_array(values) -> np.ndarray:
    """float64 values with NaN (a gap in plotly) where a value is missing or not finite."""
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    array[~np.isfinite(array)] = np.nan
    return array


def positive_array(values) -> np.ndarray:
    """For log axes: zero and negative values become gaps too."""
    array = finite_array(values)
    array[~(array > 0)] = np.nan
    return array


def layout(
    figure: go.Figure,
    title: str,
    revision,
    height=CHART_HEIGHT,
    legend=TOP_LEGEND,
    subtitle: str = "",
    **settings,
) -> go.Figure:
    """The look shared by the live charts; `revision` (the run) keeps zoom while a run updates.

    The chart toolbar appears over the top right corner on hover: the title sits at the top left
    and the legend (if on top) in a band below it, left-aligned, clear of the toolbar."""
    figure.update_layout(
        title={
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 8},
            "font": {"size": 15},
            "subtitle": {"text": subtitle, "font": {"size": 12}},
        },
        height=height,
        margin={"l": 10, "r": 10, "t": TOP_MARGIN, "b": 10},
        legend=legend,
        uirevision=str(revision),
        **settings,
    )
    return figure


def bound_line(column: str, label: str, color: str, width: float = 1.5, log: bool = False):
    """An empty line the browser fills from the run's rows: x from "step", y from `column`
    (`log`: only positive values, for a log axis). Its current value gets a dot."""
    return go.Scatter(
        x=[],
        y=[],
        mode="lines",
        name=label,
        line={"color": color, "width": width},
        meta={"y": column, "log": log},
    )


def template_layout(figure: go.Figure, title: str, y_include=(), log_y: bool = False, **settings):
    """The look of a live chart; `layout.meta` tells the browser how to range its axes: the
    revealed data and the values in `y_include` (the targets), a log y axis or not."""
    yaxis = {**(LOG_AXIS if log_y else {}), **settings.pop("yaxis", {})}
    figure = layout(figure, title, "live", xaxis=STEP_AXIS, yaxis=yaxis, **settings)
    figure.update_layout(meta={"y_include": list(y_include), "log_y": log_y}, **BROWSER_LOOK)
    return figure


def loss_template() -> go.Figure:
    figure = go.Figure(bound_line("loss", "batch loss", COLORS["loss"], log=True))
    return template_layout(
        figure,
        "Loss (MSE on each step's batch)",
        log_y=True,
        showlegend=False,
        yaxis={"title": "loss"},
    )


def parameter_names(learned: bool, bias: bool) -> list[str]:
    """The traces to draw: w_hh, the input weight(s) the target refers to, and the biases."""
    names = ["w_hh"]
    names += ["w_ih_pos", "w_ih_neg"] if learned else ["w_ih"]
    if bias:
        names += [*BIAS_NAMES, "b"]
    return names


def parameters_template(learned: bool, bias: bool, fatal: FatalUpdate | None = None) -> go.Figure:
    """Parameters vs step with the targets (w = 1 and, with bias, b_hh + b_ih = 0) drawn across
    the plot and named in the margin beside it, where no curve crosses their words; for a run
    that died, the update that killed it, before → after, shown once the playhead has passed it."""
    figure = go.Figure(
        [
            bound_line(name, LABELS[name], COLORS[name], 2.5 if name == "b" else 1.5)
            for name in parameter_names(learned, bias)
        ]
    )
    targets = [(1.0, "w = 1", palette.TARGET, "dash")]
    if bias:
        targets.append((0.0, "b = 0", COLORS["b"], "dot"))
    for value, words, color, dash in targets:
        figure.add_shape(
            type="line",
            xref="paper",
            x0=0,
            x1=1,
            y0=value,
            y1=value,
            line={"color": color, "dash": dash, "width": 1},
            layer="below",
            name=f"target {words}",
        )
        figure.add_annotation(
            xref="paper",
            x=1,
            xanchor="left",
            y=value,
            text=words,
            showarrow=False,
            font={"size": 11, "color": color},
        )
    if fatal is not None:
        figure.add_trace(_fatal_trace(fatal))
    figure = template_layout(
        figure,
        "Parameters",
        y_include=[value for value, *_ in targets],
        yaxis={"title": "value"},
    )
    figure.update_layout(margin={"r": 44}, legend={"font": {"size": 11}})
    return figure


def _fatal_trace(fatal: FatalUpdate) -> go.Scatter:
    """The killing update as one arrow-headed segment per deciding parameter, before → after."""
    xs, ys, texts = [], [], []
    for name in ("w_ih", "b"):
        if name not in fatal.before:
            continue
        before, after = fatal.before[name], fatal.after[name]
        text = f"fatal update, {LABELS[name]}: {before:.4g} → {after:.4g}"
        xs += [fatal.before_step, fatal.after_step, None]
        ys += [before, after, None]
        texts += [text, text, None]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name="the fatal update",
        line={"color": palette.PATH, "width": 3},  # the path's red: it stands out on the shading
        marker={"symbol": "x", "size": 9, "color": palette.PATH},
        text=texts,
        hovertemplate="%{text}<extra>step %{x}</extra>",
        meta={"reveal_from": fatal.after_step},
    )


def active_template() -> go.Figure:
    """Fraction of the batch's pre-activations that were > 0: 0 means the cell is silent."""
    figure = go.Figure(bound_line("active", "active", COLORS["active"]))
    return template_layout(
        figure,
        "Active cell: pre-activations > 0 on each batch",
        height=TALL_HEIGHT,
        showlegend=False,
        yaxis={"range": [-0.02, 1.05], "title": "fraction positive", "autorange": False},
    )


def span_words(span: Span) -> str:
    return f"{SPAN_WORDS[span.kind]} from step {span.start}"


def generalisation_figure(lengths: Sequence[int], predicted, actual) -> go.Figure:
    """Predicted vs true L1 norm of every prefix of one long sequence, and the relative error."""
    x = np.asarray(lengths)
    predicted, actual = finite_array(predicted), finite_array(actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        error = positive_array(np.abs(predicted - actual) / actual)
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=actual,
            name="true ‖x‖₁",
            mode="lines",
            line={"color": palette.TARGET, "dash": "dash"},
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=x, y=predicted, name="cell's output h_T", mode="lines", line={"color": COLORS["path"]}
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(x=x, y=error, name="relative error", mode="lines", line={"color": COLORS["b"]}),
        row=2,
        col=1,
    )
    figure.update_xaxes(type="log", row=1, col=1)
    figure.update_xaxes(
        type="log", title="sequence length (prefixes of one N(0, 1) sequence)", row=2, col=1
    )
    figure.update_yaxes(title="L1 norm", row=1, col=1)
    figure.update_yaxes(**LOG_AXIS, title="rel. error", row=2, col=1)
    return layout(
        figure,
        "Generalisation: prediction vs true L1 norm by length",
        "general",
        height=TALL_HEIGHT,
    )


def overlay_style(index: int) -> dict:
    """The line of the index-th overlaid run: ten distinct hues, then the same hues dashed, then
    dotted, so no two of up to 30 runs look alike."""
    color = palette.SERIES[index % len(palette.SERIES)]
    dash = OVERLAY_DASHES[index // len(palette.SERIES) % len(OVERLAY_DASHES)]
    return {"color": color, "dash": dash, "width": 2}


def overlay_figure(curves: Sequence[tuple[str, Sequence[int], Sequence[float]]]) -> go.Figure:
    """Loss curves of several runs, one trace each: (label, steps, losses), each in its own line
    style. The legend keeps the given order; the shortest curves are drawn last, on top, so a run
    that ended early is not hidden under the long ones."""
    traces = [
        go.Scatter(
            x=np.asarray(steps),
            y=positive_array(losses),
            mode="lines" if len(steps) > 1 else "markers",
            name=label,
            line=overlay_style(index),
            marker={"color": overlay_style(index)["color"], "size": 8},
            legendrank=index + 1,
        )
        for index, (label, steps, losses) in enumerate(curves)
    ]
    figure = go.Figure(sorted(traces, key=lambda trace: -len(trace.x)))
    return layout(
        figure,
        "Loss of the selected runs",
        "overlay",
        xaxis_title="step",
        yaxis={**LOG_AXIS, "title": "loss"},
    )
