"""How rough the boundary between endings is: its box-counting dimension on one map.

A cell lies on the boundary when its right or upper neighbour ended differently. Covering the grid
with boxes of b × b cells, N(b) boxes hold a boundary cell; for a boundary of dimension D,
N(b) ∝ b^-D, so D is minus the slope of log N against log b (least squares over the box sizes that
leave at least four boxes per side). A smooth curve gives D ≈ 1; Sohl-Dickstein (2024) found
fractal boundaries (1 < D < 2) between trainable and untrainable hyperparameters. Zooming in and
measuring again shows whether the roughness persists at finer scales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_BOXES_PER_SIDE = 4


@dataclass(frozen=True)
class BoxCounting:
    sizes: tuple[int, ...]  # box side, in cells
    counts: tuple[int, ...]  # boxes holding a boundary cell
    dimension: float | None  # None when the map has no boundary or too few sizes


def boundary_cells(labels: np.ndarray) -> np.ndarray:
    """(rows, columns) bool: the cell's right or upper neighbour has another label."""
    edge = np.zeros(labels.shape, dtype=bool)
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edge


def box_counting(labels) -> BoxCounting:
    """`labels`: a grid (rows of equal length) of any comparable values, e.g. endings."""
    cells = boundary_cells(np.asarray(labels, dtype=object))
    rows, columns = cells.shape
    sizes, counts = [], []
    size = 1
    while min(rows, columns) // size >= MIN_BOXES_PER_SIDE:
        height, width = -(-rows // size), -(-columns // size)
        padded = np.zeros((height * size, width * size), dtype=bool)
        padded[:rows, :columns] = cells
        boxes = padded.reshape(height, size, width, size).any(axis=(1, 3))
        sizes.append(size)
        counts.append(int(boxes.sum()))
        size *= 2
    usable = [(s, n) for s, n in zip(sizes, counts) if n > 0]
    if len(usable) < 2:
        return BoxCounting(tuple(sizes), tuple(counts), None)
    logs = np.log([s for s, _ in usable])
    values = np.log([n for _, n in usable])
    slope = np.polyfit(logs, values, 1)[0]
    dimension = float(-slope)
    return BoxCounting(tuple(sizes), tuple(counts), dimension if math.isfinite(dimension) else None)
