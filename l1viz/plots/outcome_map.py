"""The outcome map as a figure (no Streamlit here): every grid cell coloured by how its run ended,
by the share of its seeds that ended one way, or by the steps it took; the dead rule's boundary;
the notebook's cases whose region the plane cuts, each box saying what the notebook claimed and
coloured by how the measurement agreed; and a marker on the live view's current init.

An invisible marker sits on every cell centre: it carries the hover text and is what a click
selects (plotly's point selection works on markers), its index being the cell's row * columns +
column. Cells still training are drawn in a pale grey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from l1viz.engine.config import PARAMETERS
from l1viz.engine.outcomes import Ending, dead_rules_apply, possible_endings
from l1viz.plots.palette import (
    BLACK,
    CASE_BOX,
    CASE_TAGS,
    ENDINGS,
    INK,
    PATH,
    PENDING,
    STEPS_SCALE,
    UNDECIDED,
    WHITE,
)
from l1viz.study.map import DeadBoundary, SweepResult, SweepSettings
from l1viz.study.vocabulary import ACTIVATION_NAMES, activation_name

MAP_HEIGHT = 720
CELLS = "cells"  # the invisible markers a click selects
ENDING_ORDER = tuple(ENDINGS)
# Colour modes: the ending, the share of seeds with an ending, or steps on a log scale.
ENDING_MODE, SHARE_MODE, STEPS_MODE = "ending", "share", "steps"
AXIS_TITLES = {"lr": "learning rate", "max_length": "max sequence length", "slope": "slope α"}


@dataclass(frozen=True)
class MapView:
    """How to colour the map: by ending, by the share of seeds that ended as `ending`, or by the
    steps it took to end as `ending` (log scale)."""

    mode: str = ENDING_MODE
    ending: Ending = Ending.CONVERGED


def _ending_scale() -> list:
    """Colour i of ENDING_ORDER on z in [i - 0.5, i + 0.5]; one more slot for cells in training."""
    colors = [ENDINGS[ending].hex for ending in ENDING_ORDER] + [UNDECIDED]
    scale = []
    for index, color in enumerate(colors):
        scale += [[index / len(colors), color], [(index + 1) / len(colors), color]]
    return scale


def _ending_codes(sweep: SweepResult) -> np.ndarray:
    training = len(ENDING_ORDER)
    return np.array(
        [[training if e is None else ENDING_ORDER.index(e) for e in row] for row in sweep.ending],
        dtype=float,
    )


def _hover_rows(sweep: SweepResult) -> list[list]:
    rows = []
    for endings, decided, losses in zip(sweep.ending, sweep.decided_at, sweep.loss):
        for ending, step, loss in zip(endings, decided, losses):
            if ending is None:
                rows.append([PENDING["training"].label, "—", "—"])
                continue
            step_text = f"at step {step:,}" if step is not None else "—"
            loss_text = f"{loss:.3g}" if math.isfinite(loss) else "not finite"
            rows.append([ENDINGS[ending].label, step_text, loss_text])
    return rows


def _surface(sweep: SweepResult, view: MapView) -> go.Heatmap:
    """The coloured cells. Steps are drawn as log10(max(step, 1)): dead from the start is 0."""
    common = {"x": list(sweep.xs), "y": list(sweep.ys), "hoverinfo": "skip", "name": "outcome"}
    if view.mode == SHARE_MODE:
        shares = np.array(sweep.fractions[view.ending], dtype=float)  # None: still training
        color = ENDINGS[view.ending]
        return go.Heatmap(
            z=shares,
            zmin=0,
            zmax=1,
            colorscale=[[0, WHITE], [1, color.hex]],
            colorbar={"title": {"text": f"share {color.label}"}, "thickness": 12},
            **common,
        )
    if view.mode == STEPS_MODE:
        steps = np.array(
            [
                [max(s, 1) if e == view.ending else np.nan for e, s in zip(endings, decided)]
                for endings, decided in zip(sweep.ending, sweep.decided_at)
            ],
            dtype=float,
        )
        return go.Heatmap(
            z=np.log10(steps),
            colorscale=STEPS_SCALE,
            colorbar={
                "title": {"text": f"log₁₀ steps ({ENDINGS[view.ending].label})"},
                "thickness": 12,
            },
            **common,
        )
    return go.Heatmap(
        z=_ending_codes(sweep),
        zmin=-0.5,
        zmax=len(ENDING_ORDER) + 0.5,
        colorscale=_ending_scale(),
        showscale=False,
        **common,
    )


def outcome_map_figure(
    sweep: SweepResult,
    view: MapView = MapView(),
    agreements: dict[str, str] | None = None,
    current: tuple[float, float] | None = None,
) -> go.Figure:
    """`agreements`: case id -> agrees / partly / disagrees (the table's, measured under ReLU:
    shown on a ReLU map only); `current`: the live view's init in this plane's coordinates,
    marked with a cross. The legend lists the endings the map's activation can reach."""
    figure = go.Figure(_surface(sweep, view))
    activation = sweep.settings.activation
    if view.mode == ENDING_MODE:
        figure.add_traces(_legend_entries(possible_endings(activation)))
    if sweep.boundary is not None:
        figure.add_trace(_boundary_trace(sweep.boundary))
    relu = dead_rules_apply(activation)
    for region in sweep.cases:
        agreement = (agreements or {}).get(region.case.id) if relu else None
        _add_case_region(figure, region, agreement, relu)
    if current is not None:
        figure.add_trace(_current_marker(current))
    figure.add_trace(_cell_markers(sweep))
    _lay_out(figure, sweep.settings)
    return figure


def _legend_entries(endings: tuple[Ending, ...]) -> list[go.Scatter]:
    """One legend entry per ending, for the heatmap's colours."""
    return [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=ENDINGS[ending].label,
            marker={"color": ENDINGS[ending].hex, "symbol": "square", "size": 12},
        )
        for ending in endings
    ]


def _boundary_trace(boundary: DeadBoundary) -> go.Contour:
    """The dead rule's edge, a dashed line where the fine grid's 0/1 field crosses 0.5."""
    return go.Contour(
        x=list(boundary.xs),
        y=list(boundary.ys),
        z=[list(row) for row in boundary.dead],
        showscale=False,
        contours={"start": 0.5, "end": 0.5, "size": 1, "coloring": "lines"},
        colorscale=[[0, BLACK], [1, BLACK]],  # "lines" takes the scale's colour
        line={"width": 2, "dash": "dash"},
        hoverinfo="skip",
        name="dead rule boundary",
        showlegend=True,
    )


def _current_marker(current: tuple[float, float]) -> go.Scatter:
    return go.Scatter(
        x=[current[0]],
        y=[current[1]],
        mode="markers",
        name="live view's init",
        marker={"symbol": "x-thin", "size": 16, "line": {"width": 3, "color": PATH}},
        hoverinfo="name",
    )


def _cell_markers(sweep: SweepResult) -> go.Scatter:
    """The invisible marker on every cell centre: its hover text, and what a click selects."""
    settings = sweep.settings
    return go.Scatter(
        x=[x for _ in sweep.ys for x in sweep.xs],
        y=[y for y in sweep.ys for _ in sweep.xs],
        mode="markers",
        name=CELLS,
        showlegend=False,
        marker={"size": 8, "opacity": 0, "symbol": "square"},
        customdata=_hover_rows(sweep),
        hovertemplate=(
            f"{settings.x} = %{{x:.4g}}<br>{settings.y} = %{{y:.4g}}<br>"
            "<b>%{customdata[0]}</b> %{customdata[1]}<br>final loss: %{customdata[2]}"
            "<br><i>click to train it in the live view</i><extra></extra>"
        ),
        # dark text on white: the trace's own colour would tint the label like a cell
        hoverlabel={"bgcolor": WHITE, "bordercolor": INK, "font": {"color": INK}},
    )


def _lay_out(figure: go.Figure, settings: SweepSettings) -> None:
    """Title, axes and legend; a plane of initial values keeps one unit the same on both axes."""
    fixed = ", ".join(f"{name} = {value:g}" for name, value in settings.fixed_values().items())
    seeds = f", {settings.seeds} data seeds" if settings.seeds > 1 else ""
    budget = f"at most {settings.steps:,} steps ({fixed}{seeds})"
    named = _activation_title(settings)
    figure.update_layout(
        title={"text": f"{named}, after {budget}" if named else f"After {budget}", "x": 0.01},
        height=MAP_HEIGHT,
        clickmode="event+select",
        dragmode="zoom",
        xaxis=_axis(settings.x, settings.x_range),
        yaxis=_axis(settings.y, settings.y_range),
        legend={"orientation": "h", "y": -0.1, "x": 0},
        uirevision="outcome-map",
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    if settings.plane_of_inits:
        span = (settings.x_range[1] - settings.x_range[0]) / (
            settings.y_range[1] - settings.y_range[0]
        )
        figure.update_yaxes(scaleanchor="x", scaleratio=span, constrain="domain")
        figure.update_xaxes(constrain="domain")


def _activation_title(settings: SweepSettings) -> str:
    """ "Leaky ReLU α = 0.01" to lead the title of a map under another activation than ReLU."""
    if dead_rules_apply(settings.activation):
        return ""
    if "slope" in (settings.x, settings.y):
        name = ACTIVATION_NAMES[settings.activation]
    else:
        name = activation_name(settings.activation, settings.slope)
    return name[0].upper() + name[1:]


def _axis(name: str, value_range: tuple[float, float]) -> dict:
    title = AXIS_TITLES.get(name, name)
    if name in PARAMETERS:
        return {"title": title, "range": list(value_range)}
    low, high = (math.log10(v) for v in value_range)
    pad = (high - low) / 100
    return {"title": title, "type": "log", "range": [low - pad, high + pad]}


def _add_case_region(figure: go.Figure, region, agreement: str | None, relu: bool) -> None:
    """A notebook case's box in this plane: a dotted outline, and its number on a tag in the
    colour of the table's agreement (once judged) that says what the notebook claimed on hover.
    The claims and the table are ReLU's: on another activation's map the tag says so."""
    (x0, x1), (y0, y1) = region.x, region.y
    case = region.case
    figure.add_trace(
        go.Scatter(
            x=[x0, x1, x1, x0, x0],
            y=[y0, y0, y1, y1, y0],
            mode="lines",
            showlegend=False,
            line={"color": CASE_BOX, "width": 2, "dash": "dot"},
            hoverinfo="skip",
            name=case.label,
        )
    )
    verdict = f"<br>measured: {agreement}" if agreement else "<br>measured: not yet"
    claim = f"notebook: {case.documented}{verdict}"
    if not relu:
        claim = f"notebook, for ReLU: {case.documented}"
    figure.add_annotation(
        x=x0,
        y=y1,
        xanchor="left",
        yanchor="top",
        text=f"<b>{case.number}</b>",
        showarrow=False,
        # Before its verdict a tag is hollow, so no verdict colour is read into it.
        font={"color": WHITE if agreement else CASE_BOX, "size": 12},
        bgcolor=CASE_TAGS[agreement].hex if agreement else WHITE,
        bordercolor=CASE_TAGS[agreement].hex if agreement else CASE_BOX,
        borderpad=2,
        hovertext=f"<b>{case.label}</b><br>{claim}",
        hoverlabel={"bgcolor": WHITE, "bordercolor": INK, "font": {"color": INK}},
        name=case.label,
    )


def selected_cell(points: list[dict], figure: go.Figure, columns: int) -> tuple[int, int] | None:
    """(row, column) of the first clicked cell marker among a chart selection's points."""
    cells = next(i for i, trace in enumerate(figure.data) if trace.name == CELLS)
    for point in points:
        if point.get("curve_number") == cells and point.get("point_index") is not None:
            return divmod(int(point["point_index"]), columns)
    return None
