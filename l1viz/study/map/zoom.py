"""Zooming into the outcome map: a box drawn on a map is measured again on a grid as fine."""

from __future__ import annotations

from dataclasses import replace

from l1viz.study.map.sweep import SweepSettings


def zoom_in(settings: SweepSettings, x_ends, y_ends) -> SweepSettings:
    """The same map over the box between `x_ends` and `y_ends` (two numbers each, in either
    order); `ConfigError` when the box is not a map the engine accepts."""
    x_range = tuple(sorted(float(value) for value in x_ends))
    y_range = tuple(sorted(float(value) for value in y_ends))
    return replace(settings, x_range=x_range, y_range=y_range)
