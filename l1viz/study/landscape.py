"""The expected loss over a (w_hh, w_ih) grid, the other parameters held fixed.

Every grid point is one model of the batched cell, so the whole grid is one evaluation on one fixed
batch of sequences (fixed seed, independent of the training seed: the surface is an estimate of the
expected loss, not of one training batch). The dead region is marked with the engine's own rule.

The cell only ever sees b_hh + b_ih, and the learned transform only its two slopes (s+, s-), so a
landscape is determined by (transform, bias, b, s+, s-, max_length, activation, alpha): callers can
cache on those. Only ReLU has a dead region; under another activation none is marked.
Cell centres sit half a cell off the grid lines, so w_ih = 0 -- the dead region's edge -- is a
cell edge and the shading is drawn exactly there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from l1viz.engine.cell import LEARNED_WIDTH, Cell
from l1viz.engine.data import Batch, BatchStream
from l1viz.engine.outcomes import in_dead_region

EVAL_SEED = 20_240_822
# Sequences in the evaluation batch: as many as the work budget allows, within these bounds.
EVAL_BATCH = (32, 256)
# Cell evaluations (models x sequences x length) allowed for one landscape: small enough to
# recompute while a run plays.
WORK_BUDGET = 1 << 25
CELLS_PER_UNIT = (10, 5, 2, 1)
DEFAULT_SPAN = (-2, 2)
MAX_SPAN = 8  # the view never reaches beyond ±8, whatever the path does


@dataclass(frozen=True)
class LossGrid:
    w_hh: np.ndarray  # (nx,) cell centres
    w_ih: np.ndarray  # (ny,) cell centres
    loss: np.ndarray  # (ny, nx); inf where the cell's output overflowed
    dead: np.ndarray  # (ny, nx) bool: inside the dead region
    # The expected gradient of the loss along w_hh and w_ih on the same batch (NaN: overflow);
    # exactly 0 in the dead region, where no gradient flows.
    grad_hh: np.ndarray
    grad_ih: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def view_range(values, default=DEFAULT_SPAN, limit: int = MAX_SPAN) -> tuple[int, int]:
    """Whole-number bounds covering `default` and the finite `values`, at most ±limit."""
    finite = [v for v in values if math.isfinite(v)]
    low = min([default[0], *[math.floor(v) for v in finite]])
    high = max([default[1], *[math.ceil(v) for v in finite]])
    return max(low, -limit), min(high, limit)


def resolution(x_range, y_range, max_length: int) -> tuple[int, int]:
    """(cells per unit, sequences): the finest grid that fits the work budget with the smallest
    batch, then as many sequences as the budget leaves (long sequences get a coarser grid)."""
    area = (x_range[1] - x_range[0]) * (y_range[1] - y_range[0])
    smallest, largest = EVAL_BATCH
    cells = next(
        (c for c in CELLS_PER_UNIT if area * c * c * smallest * max_length <= WORK_BUDGET),
        CELLS_PER_UNIT[-1],
    )
    batch = WORK_BUDGET // (area * cells * cells * max_length)
    return cells, max(smallest, min(largest, batch))


def expected_loss(
    transform: str,
    bias: bool,
    bias_sum: float,
    slopes: tuple[float, float],
    max_length: int,
    x_range: tuple[int, int],
    y_range: tuple[int, int],
    activation: str = "relu",
    alpha: float | None = None,
) -> LossGrid:
    """Mean squared error of every grid model on the fixed evaluation batch, and its gradient;
    `alpha`: the sloped activation's."""
    cells, batch = resolution(x_range, y_range, max_length)
    xs = _centres(x_range, cells)
    ys = _centres(y_range, cells)
    cell = Cell(bias, transform, activation)
    params = _grid_params(cell, xs, ys, bias_sum, slopes)
    if cell.sloped:
        params[-1] = alpha
    loss, _, grads = cell.loss_and_grads(params, evaluation_batch(batch, max_length, transform))
    loss = torch.nan_to_num(loss, nan=math.inf)
    dead = in_dead_region(cell.effective(params)) & (activation == "relu")
    shape = (len(ys), len(xs))

    def plane(values: torch.Tensor) -> np.ndarray:
        array = values.view(shape).numpy().astype(float)
        array[~np.isfinite(array)] = np.nan
        return array

    return LossGrid(
        w_hh=xs.numpy().astype(float),
        w_ih=ys.numpy().astype(float),
        loss=loss.view(shape).numpy().astype(float),
        dead=dead.view(shape).numpy(),
        grad_hh=plane(grads[0]),
        grad_ih=plane(grads[1]),
        x_range=tuple(float(v) for v in x_range),
        y_range=tuple(float(v) for v in y_range),
    )


@lru_cache(maxsize=4)
def evaluation_batch(batch: int, max_length: int, transform: str) -> Batch:
    """The fixed batch every landscape of this shape is measured on (drawn once, then reused)."""
    cell = Cell(False, transform)
    return BatchStream(batch, max_length, EVAL_SEED, prepare=cell.prepare).next()


def _centres(bounds: tuple[int, int], cells: int) -> torch.Tensor:
    count = (bounds[1] - bounds[0]) * cells
    return bounds[0] + (torch.arange(count, dtype=torch.float64) + 0.5) / cells


def _grid_params(cell: Cell, xs, ys, bias_sum: float, slopes) -> torch.Tensor:
    """(rows, nx * ny) parameters, row-major in w_ih: model k is (xs[k % nx], ys[k // nx])."""
    count = len(xs) * len(ys)
    params = torch.zeros(len(cell.names), count)
    params[0] = xs.repeat(len(ys)).float()
    params[1] = ys.repeat_interleave(len(xs)).float()
    if cell.bias:
        params[2] = bias_sum
    if cell.learned:
        # f(x) = s+ relu(x) + s- relu(-x) exactly, written as a learned layer: in = (1, -1, 0..),
        # out = (s+, s-, 0..).
        start = cell.names.index("in_0")
        params[start] = 1.0
        params[start + 1] = -1.0
        params[start + LEARNED_WIDTH] = slopes[0]
        params[start + LEARNED_WIDTH + 1] = slopes[1]
    return params
