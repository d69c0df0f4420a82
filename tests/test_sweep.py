"""The outcome map: the grid and its axes, the cell's bias setting, endings equal to lone runs,
seeds, drawing as cells are decided, the figure and the boundary's roughness."""

import json
import subprocess
import sys

import numpy as np
import pytest

from l1viz.engine.config import ConfigError
from l1viz.engine.outcomes import Ending, dead_at_init
from l1viz.engine.trainer import Trainer
from l1viz.live.links import map_cell_settings
from l1viz.plots.outcome_map import (
    CELLS,
    ENDING_ORDER,
    SHARE_MODE,
    STEPS_MODE,
    MapView,
    outcome_map_figure,
    selected_cell,
)
from l1viz.plots.palette import CASE_BOX, CASE_TAGS, WHITE
from l1viz.study.map.boundary import box_counting
from l1viz.study.map.sweep import SweepSettings, axis_points, case_regions, measure_sweep
from l1viz.study.map.zoom import zoom_in

TINY = SweepSettings(grid=6, steps=400)


@pytest.fixture(scope="module")
def tiny():
    return measure_sweep(TINY)


def test_cell_centres_split_the_range_evenly():
    centres = axis_points("w_hh", (-1.5, 1.5), 64)
    assert len(centres) == 64 and centres[0] == pytest.approx(-1.5 + 3 / 128)
    assert centres[-1] == pytest.approx(1.5 - 3 / 128) and 0.0 not in centres
    assert all(b - a == pytest.approx(3 / 64) for a, b in zip(centres, centres[1:]))


def test_learning_rates_are_log_spaced_and_lengths_whole_and_distinct():
    rates = axis_points("lr", (1e-4, 1.0), 5)
    assert rates == (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    lengths = axis_points("max_length", (1, 1000), 64)
    assert lengths[0] == 1 and lengths[-1] == 1000 and len(lengths) < 64
    assert all(value == int(value) for value in lengths) and list(lengths) == sorted(set(lengths))


def test_a_cell_holds_every_setting_row_major():
    settings = SweepSettings(x="b_hh", y="w_ih", fixed=(("w_hh", 0.7), ("b_ih", -0.2)))
    point = settings.point(1.0, -2.0)
    assert point == {
        "w_hh": 0.7,
        "w_ih": -2.0,
        "b_hh": 1.0,
        "b_ih": -0.2,
        "lr": 1e-3,
        "max_length": 10,
    }
    config = settings.train_config(point)
    assert (config.lr, config.max_length, config.bias, config.criterion) == (
        1e-3,
        10,
        True,
        "exact",
    )


def test_the_cell_has_biases_iff_one_is_swept_or_fixed():
    assert SweepSettings().bias is False
    assert SweepSettings().fixed_values() == {"lr": 1e-3, "max_length": 10}
    with_bias = SweepSettings(fixed=(("b_hh", 0.1),))
    assert with_bias.bias is True
    assert with_bias.fixed_values() == {"b_hh": 0.1, "b_ih": 0.0, "lr": 1e-3, "max_length": 10}
    assert SweepSettings(x="b_ih").bias is True


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"x": "w_hh", "y": "w_hh"}, "y"),
        ({"x": "gain"}, "x"),
        ({"grid": 1}, "grid"),
        ({"grid": 257}, "grid"),
        ({"steps": 0}, "steps"),
        ({"seeds": 0}, "seeds"),
        ({"x_range": (1.0, -1.0)}, "x_range"),
        ({"y_range": (0.0, float("nan"))}, "y_range"),
        ({"x": "lr", "x_range": (0.0, 1.0)}, "x_range"),
        ({"x": "max_length", "x_range": (1, 20_000)}, "x_range"),
        ({"fixed": (("w_hh", 1.0),)}, "fixed"),
        ({"fixed": (("b_hh", 1.0), ("b_hh", 2.0))}, "fixed"),
        ({"fixed": (("b_hh", float("inf")),)}, "fixed"),
        ({"fixed": (("lr", -1.0),)}, "fixed"),
        ({"seed": -3}, "seed"),
    ],
)
def test_bad_sweep_settings_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as error:
        SweepSettings(**kwargs)
    assert error.value.field == field


def test_every_cell_ends_as_its_init_would_alone(tiny):
    for row, column in [(0, 0), (2, 5), (4, 3), (5, 5)]:
        point = tiny.cell_point(row, column)
        alone = Trainer(TINY.init_at(point), TINY.train_config(point)).run()[0]
        assert tiny.ending[row][column] == alone.ending
        assert tiny.steps[row][column] == alone.steps
        assert tiny.loss[row][column] == alone.loss
        assert tiny.decided_at[row][column] == alone.decided_at


def test_dead_cells_and_boundary_follow_the_dead_rule(tiny):
    for row, w_ih in enumerate(tiny.ys):
        for column in range(len(tiny.xs)):
            assert tiny.dead_at_init[row][column] == dead_at_init(w_ih)
            if w_ih <= 0:
                assert tiny.ending[row][column] == Ending.DEAD_AT_INIT
    boundary = tiny.boundary
    for row, w_ih in enumerate(boundary.ys[::40]):
        assert set(boundary.dead[row * 40]) == {int(dead_at_init(w_ih))}
    assert sum(tiny.counts().values()) == 36 and tiny.complete


def test_same_settings_give_the_same_map(tiny):
    assert measure_sweep(TINY) == tiny


def test_cells_arrive_as_they_are_decided():
    seen = []
    final = measure_sweep(SweepSettings(grid=4, steps=3000), on_update=seen.append)
    assert seen[-1] == final and final.complete
    early = next(m for m in seen if any(e is not None for row in m.ending for e in row))
    assert not early.complete  # dead cells (w_ih < 0) ended before the converging ones
    assert all(e == Ending.DEAD_AT_INIT for row in early.ending[:2] for e in row)


def test_several_seeds_give_the_share_of_each_ending():
    settings = SweepSettings(grid=4, steps=6000, seeds=3, fixed=(("b_hh", 0.5), ("b_ih", -0.55)))
    sweep = measure_sweep(settings)
    for row in range(4):
        for column in range(4):
            total = sum(sweep.fractions[ending][row][column] for ending in Ending)
            assert total == pytest.approx(1.0)
            point = sweep.cell_point(row, column)
            alone = [
                Trainer(settings.init_at(point), settings.train_config(point, seed=42 + i)).run()[0]
                for i in range(3)
            ]
            for ending in Ending:
                share = sum(result.ending == ending for result in alone) / 3
                assert sweep.fractions[ending][row][column] == pytest.approx(share)


def test_a_learning_rate_axis_trains_each_column_at_its_rate():
    settings = SweepSettings(
        x="lr",
        y="w_ih",
        x_range=(1e-3, 1.0),
        y_range=(0.2, 1.0),
        grid=3,
        steps=2000,
        fixed=(("w_hh", 0.9),),
    )
    sweep = measure_sweep(settings)
    assert sweep.xs == (1e-3, pytest.approx(0.03162, rel=1e-3), 1.0)
    for row in range(3):
        for column in range(3):
            point = sweep.cell_point(row, column)
            alone = Trainer(settings.init_at(point), settings.train_config(point)).run()[0]
            assert sweep.ending[row][column] == alone.ending
    assert sweep.boundary is None and sweep.cases == ()


def test_case_regions_are_those_the_plane_cuts():
    ids = lambda settings: [region.case.id for region in case_regions(settings)]  # noqa: E731
    assert ids(SweepSettings()) == [f"no-bias-{n}" for n in range(1, 6)]
    chosen = SweepSettings(fixed=(("b_hh", 0.5), ("b_ih", -0.75)))
    assert ids(chosen) == ["bias-2", "bias-4", "bias-7", "bias-11"]
    assert ids(SweepSettings(fixed=(("b_hh", 0.0), ("b_ih", 0.0)))) == []
    region = case_regions(SweepSettings())[3]  # no bias 4: w_hh very small negative, w_ih +
    assert region.x == pytest.approx((-0.1, 0.0)) and region.y == pytest.approx((0.1, 1.0))


def test_loading_a_cell_sends_its_values_and_the_runs_settings(tiny):
    settings = map_cell_settings(tiny, 1, 4)
    assert settings["w_hh"] == tiny.xs[4] and settings["w_ih"] == tiny.ys[1]
    assert settings["b_hh"] == settings["b_ih"] == 0.0 and settings["bias"] is False
    assert settings["steps"] == 400 and settings["seed"] == 42 and settings["lr"] == 1e-3
    assert settings["criterion"] == "exact"


def test_figure_has_the_map_the_boundary_the_cases_and_clickable_cells(tiny):
    figure = outcome_map_figure(tiny, agreements={"no-bias-3": "disagrees"}, current=(0.83, 0.76))
    kinds = [trace.type for trace in figure.data]
    assert kinds[0] == "heatmap" and "contour" in kinds
    heatmap = figure.data[0]
    assert heatmap.z[0][0] == ENDING_ORDER.index(Ending.DEAD_AT_INIT)  # bottom-left: w_ih < 0
    assert {trace.name for trace in figure.data} >= {"no bias 1", "no bias 5", CELLS}
    assert [a.text for a in figure.layout.annotations] == [f"<b>{n}</b>" for n in range(1, 6)]
    cells = next(trace for trace in figure.data if trace.name == CELLS)
    assert len(cells.x) == 36 and list(cells.customdata[0])[0] == "dead from the start"
    assert any(t.name == "no bias 3" and t.mode == "lines" for t in figure.data)
    tag = next(a for a in figure.layout.annotations if a.name == "no bias 3")
    # disagrees: the case tags' own maroon, not the diverged red
    assert tag.bgcolor == CASE_TAGS["disagrees"].hex and tag.text == "<b>3</b>"
    unjudged = outcome_map_figure(tiny, agreements={})
    hollow = next(a for a in unjudged.layout.annotations if a.name == "no bias 3")
    assert hollow.bgcolor == WHITE and hollow.font.color == CASE_BOX  # no verdict colour yet
    assert "notebook: does not converge" in tag.hovertext and "disagrees" in tag.hovertext
    marker = next(t for t in figure.data if t.name == "live view's init")
    assert (marker.x[0], marker.y[0]) == (0.83, 0.76)


def test_colour_modes_share_and_steps(tiny):
    share = outcome_map_figure(tiny, MapView(SHARE_MODE, Ending.DEAD_AT_INIT)).data[0]
    assert share.zmin == 0 and share.zmax == 1 and share.z[0][0] == 1.0
    steps = outcome_map_figure(tiny, MapView(STEPS_MODE, Ending.DEAD_AT_INIT)).data[0]
    assert steps.z[0][0] == 0.0  # dead at step 0, drawn as log10(1)
    assert np.isnan(steps.z[-1][-1])  # w_ih > 0: not dead


def test_cells_still_training_are_drawn_pale():
    seen = []
    measure_sweep(SweepSettings(grid=4, steps=3000), on_update=seen.append)
    early = outcome_map_figure(seen[0]).data[0]
    assert len(ENDING_ORDER) in np.asarray(early.z).ravel()  # the extra "training" slot


def test_a_click_on_a_cell_selects_its_row_and_column(tiny):
    figure = outcome_map_figure(tiny)
    cells = next(i for i, trace in enumerate(figure.data) if trace.name == CELLS)
    assert selected_cell([], figure, 6) is None
    assert selected_cell([{"curve_number": 0, "point_index": 3}], figure, 6) is None
    assert selected_cell([{"curve_number": cells, "point_index": 14}], figure, 6) == (2, 2)
    assert selected_cell([{"curve_number": cells, "point_index": 35}], figure, 6) == (5, 5)


def test_zooming_in_measures_the_box_with_every_other_setting_kept():
    settings = SweepSettings(
        x="w_hh", y="lr", y_range=(1e-4, 1.0), grid=16, steps=300, fixed=(("w_ih", 0.5),), seeds=2
    )
    zoomed = zoom_in(settings, [1.2, 0.4], (0.01, 0.002))
    assert zoomed.x_range == (0.4, 1.2) and zoomed.y_range == (0.002, 0.01)
    assert (zoomed.x, zoomed.y, zoomed.grid, zoomed.steps) == ("w_hh", "lr", 16, 300)
    assert (zoomed.fixed, zoomed.seed, zoomed.seeds) == (settings.fixed, 42, 2)
    with pytest.raises(ConfigError) as raised:
        zoom_in(settings, (0.4, 1.2), (0.01, 50.0))  # a learning rate beyond what is accepted
    assert raised.value.field == "y_range"


def test_box_counting_gives_one_for_a_straight_boundary_and_two_for_noise():
    straight = np.array([[int(x > 31) for x in range(64)] for _ in range(64)])
    assert box_counting(straight).dimension == pytest.approx(1.0, abs=0.05)
    noise = np.random.default_rng(0).integers(0, 2, (64, 64))
    assert box_counting(noise).dimension == pytest.approx(2.0, abs=0.1)
    assert box_counting(np.zeros((64, 64))).dimension is None


# -- command line -------------------------------------------------------------------------------
def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "l1viz", *args], capture_output=True, text=True, timeout=300
    )


def test_sweep_cli_json_and_csv(tmp_path):
    target = tmp_path / "map.csv"
    process = run_cli(
        "sweep",
        "--x",
        "w_hh",
        "--y",
        "w_ih",
        "--grid",
        "4",
        "--steps",
        "300",
        "--fixed",
        "b_hh=0.1",
        "--csv",
        str(target),
        "--json",
    )
    assert process.returncode == 0, process.stderr
    out = json.loads(process.stdout.strip().splitlines()[-1])
    assert out["settings"]["bias"] is True
    assert out["settings"]["fixed"] == {"b_hh": 0.1, "b_ih": 0.0, "lr": 0.001, "max_length": 10}
    assert len(out["ending"]) == 4 and all(len(row) == 4 for row in out["ending"])
    assert out["xs"] == [-1.125, -0.375, 0.375, 1.125] and "boundary" not in out
    assert set(out["fractions"]) == {ending.value for ending in Ending}
    lines = target.read_text().splitlines()
    assert lines[0].startswith("row,column,w_hh,w_ih,b_hh,b_ih,lr,max_length,ending")
    assert len(lines) == 17


def test_sweep_cli_over_the_learning_rate_with_seeds():
    process = run_cli(
        "sweep", "--x", "lr", "--grid", "3", "--steps", "300", "--seeds", "2", "--json"
    )
    assert process.returncode == 0, process.stderr
    out = json.loads(process.stdout.strip().splitlines()[-1])
    assert out["xs"] == [1e-4, 0.01, 1.0] and out["settings"]["seeds"] == 2
    for row in range(3):
        for column in range(3):
            total = sum(out["fractions"][e][row][column] for e in out["fractions"])
            assert total == pytest.approx(1.0)


def test_sweep_cli_readable_map():
    process = run_cli("sweep", "--grid", "4", "--steps", "200")
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert lines[-3:-1] == ["....", "...."]  # the bottom rows: w_ih < 0, dead
    assert lines[-1].startswith("outcomes: converged")


@pytest.mark.parametrize(
    "args,flag",
    [
        (["--grid", "1"], "--grid"),
        (["--x", "w_ih"], "--y"),
        (["--fixed", "b_hh"], "--fixed"),
        (["--fixed", "w_hh=2"], "--fixed"),
        (["--fixed", "b_hh=nan"], "--fixed"),
        (["--x-range", "1", "-1"], "--x-range"),
        (["--steps", "0"], "--steps"),
        (["--csv", "/nonexistent-dir/map.csv"], "--csv"),
        (["--x", "lr", "--x-range", "0", "1"], "--x-range"),
        (["--seeds", "0"], "--seeds"),
    ],
)
def test_sweep_cli_bad_input_exits_2_with_one_line(args, flag):
    process = run_cli("sweep", *args)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in process.stderr
