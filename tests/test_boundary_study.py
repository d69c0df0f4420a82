"""The boundary study's zoom and estimates: each level a box `zoom` times narrower around the
boundary cell nearest the middle, inside the last level's ranges; an early stop says why; the
dimension's uncertainty is the standard error over seeds, then over levels."""

import math

import numpy as np
import pytest

from l1viz.engine.config import ConfigError
from l1viz.study.map.sweep import SweepSettings
from l1viz.study.map.zoom_levels import (
    BoundaryResult,
    BoundarySettings,
    Estimate,
    Level,
    estimate,
    next_settings,
)

PLANE = SweepSettings(x="w_hh", y="w_ih", grid=8)


def level_of(endings: np.ndarray, settings=PLANE, index=0) -> Level:
    return Level(index, settings, endings.astype(np.int8), 0.0)


def test_the_next_box_is_zoom_times_narrower_around_the_boundary_nearest_the_middle():
    endings = np.zeros((1, 8, 8))
    endings[0, :, 5:] = 1  # a vertical edge between columns 4 and 5
    zoomed = next_settings(level_of(endings), zoom=4)
    xs, ys = PLANE.axis_values("x"), PLANE.axis_values("y")
    assert zoomed.x_range == pytest.approx((xs[4] - 0.375, xs[4] + 0.375))
    assert zoomed.y_range == pytest.approx((ys[3] - 0.375, ys[3] + 0.375))


def test_a_box_at_the_edge_stays_inside_and_a_log_axis_zooms_in_log_space():
    settings = SweepSettings(x="w_hh", y="lr", y_range=(1e-4, 1.0), grid=8)
    endings = np.zeros((1, 8, 8))
    endings[0, 0, 0] = 1  # a boundary only in the corner
    zoomed = next_settings(level_of(endings, settings), zoom=4)
    assert zoomed.x_range == pytest.approx((-1.5, -0.75))
    low, high = zoomed.y_range
    assert low == pytest.approx(1e-4) and math.log10(high / low) == pytest.approx(1.0)


def test_the_study_stops_saying_why():
    assert (
        next_settings(level_of(np.zeros((2, 8, 8))), 4) == "level 0 shows no boundary to zoom into"
    )
    narrow = SweepSettings(x="w_hh", y="w_ih", x_range=(1.0, 1.0 + 2e-6), grid=8)
    endings = np.zeros((1, 8, 8))
    endings[0, :, 4:] = 1
    assert next_settings(level_of(endings, narrow), 4) == (
        "level 1: its w_hh values would repeat at the engine's precision"
    )


def test_the_dimension_is_a_mean_with_its_standard_error():
    assert estimate([1.0, 1.2, None, float("nan")]) == Estimate(1.1, pytest.approx(0.1), 2)
    assert str(estimate([1.25])) == "1.250" and str(estimate([])) == "—"
    stripes = np.zeros((2, 64, 64))
    stripes[:, :, ::2] = 1  # every column an edge: it fills the plane
    level = level_of(stripes)
    assert level.dimensions() == pytest.approx((2.0, 2.0), abs=0.01)
    result = BoundaryResult(BoundarySettings(PLANE, levels=2), (level, level_of(stripes, index=1)))
    assert result.estimate() == Estimate(pytest.approx(2.0, abs=0.01), 0.0, 2)


def test_the_budget_counts_every_level_seed_and_step():
    settings = BoundarySettings(SweepSettings(grid=256, seeds=16, steps=50_000), levels=6)
    assert settings.budget() == 6 * 256 * 256 * 16 * 50_000
    assert settings.budget_cell_steps() == settings.budget() * 32 * 5.5


@pytest.mark.parametrize("given", [{"levels": 0}, {"levels": 13}, {"zoom": 1.0}, {"zoom": True}])
def test_bad_settings_name_the_field(given):
    with pytest.raises(ConfigError):
        BoundarySettings(PLANE, **given)
