"""The gradient field over the (w_hh, w_ih) plane, drawn as arrows on the loss landscape.

Each arrow points down the expected gradient (−∇L, the way plain gradient descent would move), its
length the same for all (Adam's steps hardly depend on the gradient's size either): the direction
is what shows the basin, the separatrix and the flat dead half-plane, where no arrow is drawn
because the gradient is exactly 0.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from l1viz.plots.palette import WHITE, with_alpha
from l1viz.study.landscape import LossGrid

ARROWS_PER_SIDE = 16
HEAD = 0.35  # the head's length, as a share of the arrow's


def gradient_traces(grid: LossGrid, arrows: int = ARROWS_PER_SIDE) -> list[go.Scatter]:
    """Arrows on an even sub-grid of the landscape, as one line trace (segments and heads)."""
    rows = _picks(len(grid.w_ih), arrows)
    columns = _picks(len(grid.w_hh), arrows)
    spacing = min(
        (grid.x_range[1] - grid.x_range[0]) / arrows, (grid.y_range[1] - grid.y_range[0]) / arrows
    )
    size = 0.8 * spacing
    xs, ys, shades = [], [], []
    for row in rows:
        for column in columns:
            dx, dy = -grid.grad_hh[row, column], -grid.grad_ih[row, column]
            norm = math.hypot(dx, dy)
            if not math.isfinite(norm) or norm == 0:
                continue
            x0, y0 = grid.w_hh[column], grid.w_ih[row]
            ux, uy = dx / norm * size, dy / norm * size
            x1, y1 = x0 + ux, y0 + uy
            left = (x1 - HEAD * (ux - 0.5 * uy), y1 - HEAD * (uy + 0.5 * ux))
            right = (x1 - HEAD * (ux + 0.5 * uy), y1 - HEAD * (uy - 0.5 * ux))
            xs += [x0, x1, None, left[0], x1, right[0], None]
            ys += [y0, y1, None, left[1], y1, right[1], None]
            shades.append(norm)
    if not shades:
        return []
    return [
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": with_alpha(WHITE, 0.85), "width": 1.2},
            hoverinfo="skip",
            name="−gradient (direction)",
        )
    ]


def _picks(count: int, wanted: int) -> list[int]:
    """About `wanted` evenly spread indices into `count` cells, away from the edges."""
    if count <= wanted:
        return list(range(count))
    step = count / wanted
    return sorted({int(step * (i + 0.5)) for i in range(wanted)})
