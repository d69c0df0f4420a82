"""The outcome map: the grid, the cell's bias setting, outcomes equal to lone runs, the figure."""

import json
import subprocess
import sys

import pytest
import torch

from l1viz.engine.config import ConfigError, Init
from l1viz.engine.outcomes import OUTCOMES, dead_at_init
from l1viz.engine.trainer import Trainer
from l1viz.live.links import map_cell_settings
from l1viz.plots.outcome_map import CELLS, outcome_map_figure, selected_cell
from l1viz.study.sweep import (
    SweepSettings,
    case_regions,
    cell_centres,
    cell_init,
    measure_sweep,
    plane_inits,
)

TINY = SweepSettings(grid=6, steps=400)


@pytest.fixture(scope="module")
def tiny():
    return measure_sweep(TINY)


def test_cell_centres_split_the_range_evenly():
    centres = cell_centres((-1.5, 1.5), 64).tolist()
    assert len(centres) == 64 and centres[0] == pytest.approx(-1.5 + 3 / 128)
    assert centres[-1] == pytest.approx(1.5 - 3 / 128) and 0.0 not in centres
    assert all(b - a == pytest.approx(3 / 64) for a, b in zip(centres, centres[1:]))


def test_plane_is_row_major_with_fixed_values():
    settings = SweepSettings(x="b_hh", y="w_ih", fixed=(("w_hh", 0.7), ("b_ih", -0.2)))
    xs, ys = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([-1.0, -2.0])
    inits = plane_inits(settings, xs, ys)
    expected = [
        [0.7, -1.0, 1.0, -0.2],
        [0.7, -1.0, 2.0, -0.2],
        [0.7, -1.0, 3.0, -0.2],
        [0.7, -2.0, 1.0, -0.2],
    ]
    assert torch.allclose(inits[:4], torch.tensor(expected))


def test_the_cell_has_biases_iff_one_is_swept_or_fixed():
    assert SweepSettings().bias is False
    assert SweepSettings().fixed_values() == {}
    assert SweepSettings(fixed=(("b_hh", 0.1),)).bias is True
    assert SweepSettings(fixed=(("b_hh", 0.1),)).fixed_values() == {"b_hh": 0.1, "b_ih": 0.0}
    assert SweepSettings(x="b_ih").bias is True


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"x": "w_hh", "y": "w_hh"}, "y"),
        ({"x": "gain"}, "x"),
        ({"grid": 1}, "grid"),
        ({"grid": 257}, "grid"),
        ({"steps": 0}, "steps"),
        ({"x_range": (1.0, -1.0)}, "x_range"),
        ({"y_range": (0.0, float("nan"))}, "y_range"),
        ({"fixed": (("w_hh", 1.0),)}, "fixed"),
        ({"fixed": (("b_hh", 1.0), ("b_hh", 2.0))}, "fixed"),
        ({"fixed": (("b_hh", float("inf")),)}, "fixed"),
        ({"seed": -3}, "seed"),
    ],
)
def test_bad_sweep_settings_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as error:
        SweepSettings(**kwargs)
    assert error.value.field == field


def test_every_cell_ends_as_its_init_would_alone(tiny):
    config = TINY.train_config()
    for row, column in [(0, 0), (2, 5), (4, 3), (5, 5)]:
        init = cell_init(tiny, row, column)
        alone = Trainer(Init(**init), config).run()[0]
        assert tiny["outcome"][row][column] == alone.outcome
        assert tiny["steps"][row][column] == alone.steps
        assert tiny["loss"][row][column] == alone.loss


def test_dead_cells_and_boundary_follow_the_dead_rule(tiny):
    for row, w_ih in enumerate(tiny["ys"]):
        for column in range(len(tiny["xs"])):
            assert tiny["dead_at_init"][row][column] == dead_at_init(w_ih)
            if w_ih <= 0:
                assert tiny["outcome"][row][column] == "dead"
    boundary = tiny["boundary"]
    for row, w_ih in enumerate(boundary["ys"][::40]):
        assert set(boundary["dead"][row * 40]) == {int(dead_at_init(w_ih))}
    assert sum(tiny["counts"].values()) == 36


def test_same_settings_give_the_same_map(tiny):
    assert measure_sweep(TINY) == tiny


def test_case_regions_are_those_the_plane_cuts():
    ids = lambda settings: [case["id"] for case in case_regions(settings)]  # noqa: E731
    assert ids(SweepSettings()) == [f"no-bias-{n}" for n in range(1, 6)]
    chosen = SweepSettings(fixed=(("b_hh", 0.5), ("b_ih", -0.75)))
    assert ids(chosen) == ["bias-2", "bias-4", "bias-7", "bias-11"]
    assert ids(SweepSettings(fixed=(("b_hh", 0.0), ("b_ih", 0.0)))) == []
    region = case_regions(SweepSettings())[3]  # no bias 4: w_hh very small negative, w_ih +
    assert region["x"] == pytest.approx([-0.1, 0.0]) and region["y"] == pytest.approx([0.1, 1.0])


def test_loading_a_cell_sends_its_values_and_the_runs_settings(tiny):
    settings = map_cell_settings(TINY, tiny, 1, 4)
    assert settings["w_hh"] == tiny["xs"][4] and settings["w_ih"] == tiny["ys"][1]
    assert settings["b_hh"] == settings["b_ih"] == 0.0 and settings["bias"] is False
    assert settings["steps"] == 400 and settings["seed"] == 42 and settings["lr"] == 1e-3


def test_figure_has_the_map_the_boundary_the_cases_and_clickable_cells(tiny):
    figure = outcome_map_figure(tiny)
    kinds = [trace.type for trace in figure.data]
    assert kinds[0] == "heatmap" and "contour" in kinds
    heatmap = figure.data[0]
    assert heatmap.z[0][0] == OUTCOMES.index("dead")  # bottom-left: w_ih < 0
    assert {trace.name for trace in figure.data} >= {"no bias 1", "no bias 5", CELLS}
    cells = next(trace for trace in figure.data if trace.name == CELLS)
    assert len(cells.x) == 36 and list(cells.customdata[0])[0] == "dead from the start"


def test_a_click_on_a_cell_selects_its_row_and_column(tiny):
    figure = outcome_map_figure(tiny)
    cells = next(i for i, trace in enumerate(figure.data) if trace.name == CELLS)
    assert selected_cell([], figure, 6) is None
    assert selected_cell([{"curve_number": 0, "point_index": 3}], figure, 6) is None
    assert selected_cell([{"curve_number": cells, "point_index": 14}], figure, 6) == (2, 2)
    assert selected_cell([{"curve_number": cells, "point_index": 35}], figure, 6) == (5, 5)


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
    assert out["settings"]["fixed"] == {"b_hh": 0.1, "b_ih": 0.0}
    assert len(out["outcome"]) == 4 and all(len(row) == 4 for row in out["outcome"])
    assert out["xs"] == [-1.125, -0.375, 0.375, 1.125] and "boundary" not in out
    lines = target.read_text().splitlines()
    assert lines[0].startswith("row,column,w_hh,w_ih,b_hh,b_ih,outcome") and len(lines) == 17


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
    ],
)
def test_sweep_cli_bad_input_exits_2_with_one_line(args, flag):
    process = run_cli("sweep", *args)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in process.stderr
