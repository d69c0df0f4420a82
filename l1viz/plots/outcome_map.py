"""The outcome map as a figure, from its plain data (no Streamlit here): the ending of every grid
cell as a heatmap, the dead rule's boundary, and the notebook cases whose region the plane cuts.
An invisible marker sits on every cell centre: it carries the hover text and is what a click
selects (plotly's point selection works on markers), its index being the cell's row * grid +
column.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from l1viz.engine.outcomes import Ending
from l1viz.plots.palette import ENDINGS

MAP_HEIGHT = 720
CELLS = "cells"  # the invisible markers a click selects
ENDING_ORDER = tuple(ENDINGS)


def _discrete_scale() -> list:
    """Colour i of ENDING_ORDER on z in [i - 0.5, i + 0.5] (z from -0.5 to len - 0.5)."""
    scale, count = [], len(ENDING_ORDER)
    for index, ending in enumerate(ENDING_ORDER):
        color = ENDINGS[ending].hex
        scale += [[index / count, color], [(index + 1) / count, color]]
    return scale


def _hover_rows(sweep: dict) -> list[list]:
    rows = []
    for endings, converged, losses in zip(sweep["ending"], sweep["converged_at"], sweep["loss"]):
        for ending, steps, loss in zip(endings, converged, losses):
            steps_text = f"{steps:,}" if steps is not None else "—"
            loss_text = f"{loss:.3g}" if math.isfinite(loss) else "not finite"
            rows.append([ENDINGS[Ending(ending)].label, steps_text, loss_text])
    return rows


def outcome_map_figure(sweep: dict) -> go.Figure:
    settings = sweep["settings"]
    x_name, y_name = settings["x"], settings["y"]
    codes = [[ENDING_ORDER.index(Ending(e)) for e in row] for row in sweep["ending"]]
    figure = go.Figure(
        go.Heatmap(
            x=sweep["xs"],
            y=sweep["ys"],
            z=codes,
            zmin=-0.5,
            zmax=len(ENDING_ORDER) - 0.5,
            colorscale=_discrete_scale(),
            showscale=False,
            hoverinfo="skip",
            name="outcome",
        )
    )
    for shade in ENDINGS.values():  # legend entries for the heatmap's colours
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=shade.label,
                showlegend=True,
                marker={"color": shade.hex, "symbol": "square", "size": 12},
            )
        )
    boundary = sweep["boundary"]
    figure.add_trace(
        go.Contour(
            x=boundary["xs"],
            y=boundary["ys"],
            z=boundary["dead"],
            showscale=False,
            contours={"start": 0.5, "end": 0.5, "size": 1, "coloring": "lines"},
            colorscale=[
                [0, "black"],
                [1, "black"],
            ],  # "lines" colouring takes the line's colour here
            line={"width": 2, "dash": "dash"},
            hoverinfo="skip",
            name="dead rule boundary",
            showlegend=True,
        )
    )
    for case in sweep["cases"]:
        _add_case_region(figure, case)
    grid_x = [x for _ in sweep["ys"] for x in sweep["xs"]]
    grid_y = [y for y in sweep["ys"] for _ in sweep["xs"]]
    figure.add_trace(
        go.Scatter(
            x=grid_x,
            y=grid_y,
            mode="markers",
            name=CELLS,
            showlegend=False,
            marker={"size": 8, "opacity": 0, "symbol": "square"},
            customdata=_hover_rows(sweep),
            hovertemplate=(
                f"{x_name} = %{{x:.4f}}<br>{y_name} = %{{y:.4f}}<br><b>%{{customdata[0]}}</b><br>"
                "steps to converge: %{customdata[1]}<br>final loss: %{customdata[2]}"
                "<extra>click to load</extra>"
            ),
        )
    )
    fixed = ", ".join(f"{name} = {value:g}" for name, value in settings["fixed"].items())
    title = f"Outcome after at most {settings['steps']:,} steps"
    title += f" ({fixed})" if fixed else " (no bias)"
    figure.update_layout(
        title=title,
        height=MAP_HEIGHT,
        clickmode="event+select",
        dragmode="zoom",
        xaxis={"title": x_name, "range": settings["x_range"], "constrain": "domain"},
        yaxis={
            "title": y_name,
            "range": settings["y_range"],
            "scaleanchor": "x",
            "scaleratio": _span(settings["x_range"]) / _span(settings["y_range"]),
            "constrain": "domain",
        },
        legend={"orientation": "h", "y": -0.12},
        uirevision="outcome-map",
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return figure


def _span(value_range: list[float]) -> float:
    return value_range[1] - value_range[0]


def _add_case_region(figure: go.Figure, case: dict):
    """A notebook case's region in this plane: dashed outline, labelled with its number."""
    (x0, x1), (y0, y1) = case["x"], case["y"]
    hover = f"{case['label']}: notebook says {case['documented']}"
    figure.add_trace(
        go.Scatter(
            x=[x0, x1, x1, x0, x0],
            y=[y0, y0, y1, y1, y0],
            mode="lines",
            showlegend=False,
            line={"color": "#1f3b73", "width": 1.5, "dash": "dot"},
            hoverinfo="skip",
            name=case["label"],
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[(x0 + x1) / 2],
            y=[(y0 + y1) / 2],
            mode="text",
            text=[case["label"]],
            textfont={"color": "#1f3b73", "size": 11},
            showlegend=False,
            hovertext=[hover],
            hoverinfo="text",
            name=case["label"],
        )
    )


def selected_cell(points: list[dict], figure: go.Figure, grid: int) -> tuple[int, int] | None:
    """(row, column) of the first clicked cell marker among a chart selection's points."""
    cells = next(i for i, trace in enumerate(figure.data) if trace.name == CELLS)
    for point in points:
        if point.get("curve_number") == cells and point.get("point_index") is not None:
            return divmod(int(point["point_index"]), grid)
    return None
