"""The outcome map: how training ends over a grid of two settings (`sweep`), how rough the
boundary between endings is (`boundary`) and zooming into a box of it (`zoom`). The names below
are what the pages, the live view and the CLI use."""

from l1viz.study.map.boundary import BoxCounting, box_counting
from l1viz.study.map.export import sweep_csv
from l1viz.study.map.sweep import (
    ALL_AXES,
    AXES,
    DEFAULT_RANGES,
    MAX_SEEDS,
    CaseRegion,
    DeadBoundary,
    SweepResult,
    SweepSettings,
    counts_text,
    measure_sweep,
)
from l1viz.study.map.zoom import zoom_in

__all__ = [
    "ALL_AXES",
    "AXES",
    "DEFAULT_RANGES",
    "MAX_SEEDS",
    "BoxCounting",
    "CaseRegion",
    "DeadBoundary",
    "SweepResult",
    "SweepSettings",
    "box_counting",
    "counts_text",
    "measure_sweep",
    "sweep_csv",
    "zoom_in",
]
