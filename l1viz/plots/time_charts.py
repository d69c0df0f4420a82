"""The live view's charts over steps and lengths: pure functions from a run's numbers to plotly
figures (no Streamlit). The (w_hh, w_ih) plane is drawn by `plane_figures`.

Time charts take `series` as made by `LiveRun.series` (lists keyed by field, with "step") and the
spans to shade. Values that are not finite become gaps, never a broken axis. Data go in as numpy
arrays: plotly validates them at once and sends them as compact binary.
"""

from __future__ import annotations

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
# Plotly config for the live charts: zoom, pan, reset and download stay; the zoom-in/out and
# autoscale buttons (double-click does both) go, so the toolbar is short.
TOOLBAR = {"modeBarButtonsToRemove": ["zoomIn2d", "zoomOut2d", "autoScale2d"], "displaylogo": False}
LOG_AXIS = {"type": "log", "exponentformat": "power"}
# Steps start at 0: a run with one recorded step is not drawn on an axis from -1 to 1.
STEP_AXIS = {"title": "step", "rangemode": "nonnegative"}


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


def shade_spans(figure: go.Figure, spans: Sequence[Span], last_step: int) -> None:
    """Bands in the ending's colour. A band too narrow to see gets a minimum width, to the left
    if there are steps there, else (a verdict at step 0) to the right: never below step 0."""
    minimum = max(1.0, 0.01 * last_step)
    for span in spans:
        x0 = max(0.0, min(span.start, span.end - minimum))
        figure.add_vrect(
            x0=x0,
            x1=max(span.end, x0 + minimum),
            fillcolor=palette.ENDINGS[span.kind].hex,
            opacity=0.25,
            line_width=0,
            layer="below",
            annotation_text=f"{SPAN_WORDS[span.kind]} from step {span.start}",
            annotation_position="top left",
            annotation_font_size=11,
        )


def _line(series: dict, name: str, values: np.ndarray, label: str, width=1.5) -> go.Scatter:
    """A line over the steps; a run with one recorded step (a verdict at step 0) is a dot."""
    return go.Scatter(
        x=np.asarray(series["step"]),
        y=values,
        mode="lines" if len(series["step"]) > 1 else "markers",
        name=label,
        line={"color": COLORS[name], "width": width},
        marker={"color": COLORS[name], "size": 8},
    )


def _last(series: dict) -> int:
    return series["step"][-1] if series["step"] else 0


def loss_figure(series: dict, spans: Sequence[Span] = (), revision=0) -> go.Figure:
    figure = go.Figure(_line(series, "loss", positive_array(series["loss"]), "batch loss"))
    shade_spans(figure, spans, _last(series))
    return layout(
        figure,
        "Loss (MSE on each step's batch)",
        revision,
        showlegend=False,
        xaxis=STEP_AXIS,
        yaxis={**LOG_AXIS, "title": "loss"},
    )


def parameter_names(series: dict, bias: bool) -> list[str]:
    """The traces to draw: w_hh, the input weight(s) the target refers to, and the biases."""
    names = ["w_hh"]
    names += ["w_ih_pos", "w_ih_neg"] if "w_ih_pos" in series else ["w_ih"]
    if bias:
        names += [*BIAS_NAMES, "b"]
    return names


def parameters_figure(
    series: dict,
    bias: bool,
    spans: Sequence[Span] = (),
    revision=0,
    fatal: FatalUpdate | None = None,
):
    """Parameters vs step with the targets: w = 1 and, with bias, b_hh + b_ih = 0; for a run
    that died, the update that killed it, its parameters before and after."""
    figure = go.Figure(
        [
            _line(
                series, name, finite_array(series[name]), LABELS[name], 2.5 if name == "b" else 1.5
            )
            for name in parameter_names(series, bias)
        ]
    )
    figure.add_hline(  # its label above the line, the bias target's below: never on each other
        y=1,
        line_dash="dash",
        line_color=palette.TARGET,
        annotation_text="target w = 1",
        annotation_position="top right",
    )
    if bias:
        figure.add_hline(
            y=0,
            line_dash="dot",
            line_color=COLORS["b"],
            annotation_text="target b_hh + b_ih = 0",
            annotation_position="bottom right",
        )
    shade_spans(figure, spans, _last(series))
    if fatal is not None:
        figure.add_trace(_fatal_trace(fatal))
    return layout(figure, "Parameters", revision, xaxis=STEP_AXIS, yaxis_title="value")


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
    )


def active_figure(series: dict, spans: Sequence[Span] = (), revision=0) -> go.Figure:
    """Fraction of the batch's pre-activations that were > 0: 0 means the cell is silent."""
    figure = go.Figure(_line(series, "active", finite_array(series["active"]), "active"))
    shade_spans(figure, spans, _last(series))
    return layout(
        figure,
        "Active cell: pre-activations > 0 on each batch",
        revision,
        height=TALL_HEIGHT,
        showlegend=False,
        xaxis=STEP_AXIS,
        yaxis={"range": [-0.02, 1.05], "title": "fraction positive"},
    )


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
