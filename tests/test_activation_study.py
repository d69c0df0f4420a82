"""The activations beyond the engine: what each one's solution is (computed), how a run under it is
explained, and the CLI forms of issue 20 with their JSON."""

import pytest

from l1viz.engine.config import ACTIVATIONS, SETUP_FIELDS, ConfigError, Init, TrainConfig
from l1viz.engine.outcomes import Ending, possible_endings
from l1viz.engine.solutions import solution_check
from l1viz.engine.trainer import Trainer
from l1viz.study.landscape import expected_loss
from l1viz.study.map import SweepSettings, measure_sweep, sweep_csv
from l1viz.study.table import TableSettings, comparison, measure_table
from l1viz.study.vocabulary import activation_name, sentence
from tests.test_cli import last_json, run_cli

DEAD_FROM_THE_START = Init(0.83, -0.2)  # no bias: dead from the start under ReLU


def test_the_notebooks_solution_is_exact_for_every_activation_that_is_the_identity_above_zero():
    """At w = 1, b = 0 each z is h + |x| >= 0: ReLU, leaky ReLU, PReLU and ELU add the values up
    exactly as the target does; softplus adds too much and tanh cannot pass 1."""
    exact = {activation: solution_check(activation).exact for activation in ACTIVATIONS}
    assert exact == {
        "relu": True,
        "leaky_relu": True,
        "elu": True,
        "softplus": False,
        "tanh": False,
        "prelu": True,
    }
    softplus, tanh = solution_check("softplus"), solution_check("tanh")
    assert 0.5 < softplus.target_loss < 2 and softplus.bounded_floor is None
    assert tanh.target_loss > tanh.bounded_floor > 10  # most norms lie far above 1


def test_a_revived_run_says_when_it_was_silent_and_why_it_still_learned():
    config = TrainConfig(activation="leaky_relu", bias=False)
    (result,) = Trainer(DEAD_FROM_THE_START, config).run()
    text = sentence(result, config)
    assert text.startswith(f"Converged at step {result.converged_at}:")
    assert "silent (no positive pre-activation) from the start and fired again at step " in text
    assert f"{result.revived_at:,}" in text and "α = 0.01 of the gradient" in text


def test_a_stalled_tanh_run_says_why_the_exact_rule_cannot_hold():
    config = TrainConfig(activation="tanh", bias=False, steps=3000)
    (result,) = Trainer(Init(0.83, 0.7645), config).run()
    text = sentence(result, config)
    assert result.outcome == "stalled" and "no solution for tanh" in text
    assert f"{solution_check('tanh').bounded_floor:.3g}" in text
    relu = TrainConfig(bias=False, steps=3000)
    (plain,) = Trainer(Init(0.83, 0.7645), relu).run()
    assert "solution" not in sentence(plain, relu) and "silent" not in sentence(plain, relu)


def test_activation_names_carry_the_slope():
    assert activation_name("leaky_relu", 0.01) == "leaky ReLU α = 0.01"
    assert activation_name("prelu", 0.25) == "PReLU (α from 0.25)"
    assert activation_name("elu") == "ELU" and activation_name("relu") == "ReLU"


# -- the command line ---------------------------------------------------------------------------
def test_train_with_a_leaky_relu_rescues_the_dead_case_and_says_so_in_json():
    out = last_json(
        run_cli(
            "train", "--activation", "leaky_relu", "--slope", "0.01", "--no-bias", "--w-ih", "-0.2",
            "--json",
        )
    )  # fmt: skip
    assert out["config"]["activation"] == "leaky_relu" and out["config"]["slope"] == 0.01
    assert out["dead_at_init"] and out["outcome"] == "converged"
    assert out["revived_from"] == 0 and 0 < out["revived_at"] < out["converged_at"]
    assert out["params"]["w_hh"] == out["params"]["w_ih"] == 1.0
    assert out["params"]["alpha"] == pytest.approx(0.01)
    assert "fired again" in out["explanation"]
    relu = last_json(run_cli("train", "--no-bias", "--w-ih", "-0.2", "--json"))
    assert relu["outcome"] == "dead" and relu["revived_at"] is None
    assert relu["config"]["activation"] == "relu" and relu["config"]["slope"] is None
    assert {"activation", "slope"} <= set(SETUP_FIELDS)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--slope", "0.1"], "argument --slope: only leaky_relu and prelu have a slope, not relu"),
        (["--activation", "prelu", "--slope", "1"], "argument --slope: must be in (0, 1)"),
        (["--activation", "gelu"], "argument --activation: invalid choice"),
    ],
)
def test_a_bad_activation_or_slope_is_one_line_naming_the_flag(args, message):
    process = run_cli("train", "--steps", "5", *args, check=False)
    assert process.returncode == 2
    (line,) = process.stderr.strip().splitlines()
    assert line.startswith(f"l1viz: error: {message}")


# -- the table's remedy -------------------------------------------------------------------------
def test_the_table_trains_the_same_samples_under_the_remedy_beside_an_unchanged_relu_measurement():
    relu = measure_table(TableSettings(samples=8, steps=12_000, recheck=False))
    leaky = measure_table(
        TableSettings(samples=8, steps=12_000, recheck=False, activation="leaky_relu")
    )
    assert leaky.complete and leaky.settings.slope == 0.01
    for plain, row in zip(relu.cases, leaky.cases):
        assert plain.measured == row.measured and plain.agreement == row.agreement
        assert plain.remedy is None and row.remedy.activation == "leaky_relu"
        assert row.remedy.shares[Ending.DEAD_AT_INIT] == row.remedy.shares[Ending.DIED] == 0
        assert sum(row.remedy.shares.values()) == pytest.approx(1)
    # Dead from the start under ReLU: most such cases are silent at first under leaky ReLU, then
    # revived (with w_hh < 0 a negative state times w_hh can fire the cell at once instead).
    dead = [row for row in leaky.cases if row.measured.shares[Ending.DEAD_AT_INIT] == 1]
    revived = [row for row in dead if row.remedy.revived > 0.9]
    assert len(revived) >= 2 and len(dead) > len(revived)
    assert all(row.remedy.median_revived_at >= 100 for row in revived)  # dead_patience
    rescued = [row for row in leaky.cases if row.measured.converged == 0 and row.remedy.converged]
    assert len(rescued) >= 3
    text = comparison(rescued[0].measured, rescued[0].remedy)
    assert text.startswith("ReLU: 100% dead from the start · leaky ReLU α = 0.01: ")
    assert "converge, median" in text and "revived (median step" in text
    row = leaky.to_json()["cases"][0]
    assert row["remedy"]["activation"] == "leaky_relu" and "revived" in row["remedy"]
    assert leaky.to_json()["settings"]["activation"] == "leaky_relu"


def test_table_activation_on_the_command_line():
    out = last_json(
        run_cli(
            "table", "--activation", "elu", "--samples", "4", "--steps", "2000", "--no-recheck",
            "--json",
        )
    )  # fmt: skip
    assert out["settings"]["activation"] == "elu" and out["settings"]["slope"] is None
    assert all(row["remedy"]["activation"] == "elu" for row in out["cases"])
    plain = run_cli("table", "--samples", "4", "--steps", "2000", "--no-recheck")
    assert "ReLU:" not in plain.stdout
    remedy = run_cli("table", "--activation", "prelu", "--samples", "4", "--steps", "2000")
    assert remedy.stdout.count("· PReLU (α from 0.25): ") == 17


# -- the map and the schemes --------------------------------------------------------------------
def test_a_slope_axis_trains_leaky_relu_each_cell_at_its_own_alpha_as_a_lone_run_would():
    settings = SweepSettings(x="slope", y="w_ih", x_range=(1e-4, 0.5), grid=4, steps=600)
    assert settings.activation == "leaky_relu"
    assert settings.axis_values("x") == (0.0001, 0.00171, 0.02924, 0.5)  # log-spaced
    sweep = measure_sweep(settings)
    assert sweep.complete and sweep.to_json()["settings"]["slope"] is None
    assert not {Ending.DEAD_AT_INIT, Ending.DIED} & {e for row in sweep.ending for e in row}
    row, column = 0, 2  # w_ih < 0: dead from the start under ReLU
    point = sweep.cell_point(row, column)
    config = settings.train_config(point)
    (alone,) = Trainer(settings.init_at(point), config).run()
    assert config.slope == point["slope"] == 0.02924 and alone.dead_at_init
    assert alone.steps == sweep.steps[row][column] and alone.loss == sweep.loss[row][column]
    assert "slope" in sweep_csv(sweep).splitlines()[0].split(",")
    with pytest.raises(ConfigError, match="elu has no slope"):
        SweepSettings(x="slope", activation="elu")


def test_sweep_and_schemes_take_the_activation_on_the_command_line():
    out = last_json(
        run_cli(
            "sweep", "--x", "slope", "--x-range", "1e-4", "0.5", "--y", "w_ih", "--grid", "3",
            "--steps", "300", "--json",
        )
    )  # fmt: skip
    assert out["settings"]["activation"] == "leaky_relu" and out["settings"]["x"] == "slope"
    assert out["xs"][0] == 1e-4 and out["xs"][-1] == 0.5
    refused = run_cli("sweep", "--x", "slope", "--activation", "tanh", "--grid", "2", check=False)
    assert refused.returncode == 2 and "argument --activation: tanh has no slope" in refused.stderr
    schemes = last_json(
        run_cli(
            "schemes", "--activation", "leaky_relu", "--slope", "0.05", "--samples", "16",
            "--steps", "300", "--json",
        )
    )  # fmt: skip
    assert schemes["settings"]["activation"] == "leaky_relu"
    assert schemes["settings"]["slope"] == 0.05


def test_the_landscape_under_leaky_relu_marks_no_dead_region_and_has_a_gradient_there():
    relu = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2))
    leaky = expected_loss("where", False, 0.0, (1.0, 1.0), 10, (-2, 2), (-2, 2), "leaky_relu", 0.01)
    below = relu.w_ih < 0  # the rows of the dead region (no bias: w_ih <= 0)
    assert relu.dead[below].all() and not leaky.dead.any()
    assert (relu.grad_ih[below] == 0).all() and (relu.grad_hh[below] == 0).all()
    assert (leaky.grad_ih[below] != 0).all()  # a gradient flows where ReLU has none
    assert not (leaky.loss == relu.loss).all()


def test_only_relu_can_die_so_only_a_relu_map_has_a_dead_rule_boundary():
    assert possible_endings("relu") == tuple(Ending)
    assert possible_endings("leaky_relu") == (Ending.CONVERGED, Ending.DIVERGED, Ending.STALLED)
    plane = {"grid": 2, "steps": 20}
    assert measure_sweep(SweepSettings(**plane)).boundary is not None
    assert measure_sweep(SweepSettings(**plane, activation="elu")).boundary is None
