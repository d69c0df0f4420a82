"""Sampling each case's region, measuring it with the batched engine, and judging the result."""

import json
import math
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from l1viz.engine.config import PARAMETERS, ConfigError, Init
from l1viz.engine.outcomes import Ending, dead_at_init
from l1viz.engine.trainer import Trainer
from l1viz.live.links import live_settings
from l1viz.study.table.agreement import AGREES, DISAGREES, PARTLY, agreement_of, speed
from l1viz.study.table.case_measurement import CaseMeasurement, Recheck
from l1viz.study.table.measure import TableSettings, case_samples, documented_rows, measure_table
from l1viz.study.table.observations import BY_ID, OBSERVATIONS, Observation
from l1viz.study.table.regions import Magnitudes, bounds, contains, dead_by_rule, generator, sample
from l1viz.study.table.words import explain_case, percent

SMALL = TableSettings(samples=8, steps=300, recheck=False)
SHARES = tuple(ending.value for ending in Ending)


def _independently_inside(case, values, normal=(0.1, 1.0), small=0.1):
    """The region written out again, for the default magnitudes: sign, then magnitude."""
    f32 = lambda v: torch.tensor(v, dtype=torch.float32).item()  # noqa: E731
    for column, name in enumerate(PARAMETERS):
        value = values[:, column]
        sign = case.signs.get(name)
        if sign is None:
            assert (value == 0).all()
            continue
        assert ((value > 0) if sign.endswith("positive") else (value < 0)).all(), name
        size = value.abs()
        if sign.startswith("very small"):
            assert (size <= f32(small)).all(), name
        else:
            assert ((size >= f32(normal[0])) & (size <= f32(normal[1]))).all(), name


# -- sampling -----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", OBSERVATIONS, ids=lambda case: case.id)
def test_every_default_sample_is_inside_its_region(case):
    values = case_samples(case, TableSettings(samples=2048))
    assert values.shape == (2048, 4) and values.dtype == torch.float32
    assert contains(case, Magnitudes(), values).all()
    _independently_inside(case, values)


@settings(max_examples=60, deadline=None)
@given(
    case_index=st.integers(0, len(OBSERVATIONS) - 1),
    low=st.floats(1e-3, 10.0),
    span=st.floats(1e-3, 10.0),
    small_part=st.floats(1e-3, 1.0),
    seed=st.integers(0, 2**40),
)
def test_samples_stay_inside_any_region(case_index, low, span, small_part, seed):
    case = OBSERVATIONS[case_index]
    magnitudes = Magnitudes(low, low + span, low * small_part)
    values = sample(case, 512, magnitudes, generator(seed, case_index))
    assert contains(case, magnitudes, values).all()
    for name, (lower, upper) in bounds(case, magnitudes).items():
        column = values[:, PARAMETERS.index(name)]
        assert (column >= lower).all() and (column <= upper).all()


def test_samples_cover_their_region_uniformly():
    values = case_samples(BY_ID["bias-4"], TableSettings(samples=4096))
    w_hh, w_ih = values[:, 0], values[:, 1]
    assert w_hh.mean().item() == pytest.approx(0.55, abs=0.02)
    assert w_ih.mean().item() == pytest.approx(0.05, abs=0.005)
    assert w_hh.min().item() < 0.11 and w_hh.max().item() > 0.99


def test_contains_rejects_points_outside():
    case = BY_ID["bias-4"]  # w_hh +, w_ih + (very small), b_hh +, b_ih -
    inside = torch.tensor([[0.5, 0.05, 0.5, -0.5]])
    assert contains(case, Magnitudes(), inside).all()
    for column, value in [(0, -0.5), (1, 0.0), (1, 0.2), (2, 1.5), (3, 0.5), (3, -0.05)]:
        outside = inside.clone()
        outside[0, column] = value
        assert not contains(case, Magnitudes(), outside).any(), (column, value)


def test_samples_are_fixed_by_the_seed_and_independent_of_other_cases():
    case = BY_ID["bias-7"]
    first = case_samples(case, TableSettings(samples=64, seed=3))
    assert torch.equal(first, case_samples(case, TableSettings(samples=64, seed=3)))
    assert not torch.equal(first, case_samples(case, TableSettings(samples=64, seed=4)))
    other = case_samples(BY_ID["bias-8"], TableSettings(samples=64, seed=3))
    assert not torch.equal(first, other)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"normal_low": 0.5, "normal_high": 0.5}, "normal_low"),
        ({"small_high": 0.2}, "small_high"),
        ({"small_high": 0.0}, "small_high"),
        ({"normal_high": math.inf}, "normal_high"),
        ({"normal_low": "a"}, "normal_low"),
    ],
)
def test_bad_magnitudes_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as error:
        Magnitudes(**kwargs)
    assert error.value.field == field


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"samples": 0}, "samples"),
        ({"steps": 0}, "steps"),
        ({"seed": -1}, "seed"),
        ({"criterion": "close"}, "criterion"),
        ({"samples": 2.5}, "samples"),
    ],
)
def test_bad_table_settings_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as error:
        TableSettings(**kwargs)
    assert error.value.field == field


# -- the dead rule over a region ----------------------------------------------------------------
def test_dead_share_is_the_engine_rule_over_the_region():
    table = measure_table(TableSettings(samples=4, steps=1, recheck=False))
    shares = {row.case.id: row.measured.analytic_dead for row in table.cases}
    for case_id in ("no-bias-2", "no-bias-5", "bias-10"):
        assert shares[case_id] == 1.0
    for case_id in ("no-bias-1", "no-bias-3", "no-bias-4", "bias-1", "bias-4", "bias-9"):
        assert shares[case_id] == 0.0
    # b_hh in [0.1, 1] and b_ih in [-1, -0.1]: the sum is symmetric about 0
    for case_id in ("bias-7", "bias-8", "bias-11"):
        assert shares[case_id] == pytest.approx(0.5, abs=0.01)


def test_dead_by_rule_matches_the_scalar_rule():
    values = torch.rand(200, 4, generator=torch.Generator().manual_seed(1)) * 2 - 1
    for bias in (False, True):
        rows = dead_by_rule(values, bias).tolist()
        for row, dead in zip(values.tolist(), rows):
            b_hh, b_ih = (row[2], row[3]) if bias else (0.0, 0.0)
            assert dead == dead_at_init(row[1], b_hh, b_ih)


# -- measuring ----------------------------------------------------------------------------------
def test_same_settings_give_the_same_table():
    assert measure_table(SMALL) == measure_table(SMALL)


def test_a_case_measures_the_same_alone_or_with_others():
    case, other = BY_ID["bias-7"], BY_ID["no-bias-1"]
    alone = measure_table(SMALL, cases=[case]).cases[0].measured
    together = measure_table(SMALL, cases=[other, case]).cases[1].measured
    assert alone.shares == together.shares
    assert (alone.median_steps, alone.analytic_dead) == (
        together.median_steps,
        together.analytic_dead,
    )


def test_shares_add_up_and_dead_from_the_start_is_the_rule_on_the_samples():
    settings = TableSettings(samples=32, steps=200, recheck=False)
    table = measure_table(settings)
    for case, row in zip(OBSERVATIONS, table.cases):
        measured = row.measured
        assert sum(measured.shares.values()) == pytest.approx(1.0)
        values = case_samples(case, settings)
        by_rule = dead_by_rule(values, case.bias).float().mean().item()
        assert measured.share(Ending.DEAD_AT_INIT) == pytest.approx(by_rule), case.id
        assert row.agreement in (AGREES, PARTLY, DISAGREES) and row.final
        assert row.explanation.endswith(".") and row.case is case


def test_each_sample_ends_as_it_would_trained_alone():
    """The table's fractions are the engine's outcomes of its samples, nothing else."""
    case = BY_ID["bias-11"]
    settings = TableSettings(samples=6, steps=400, recheck=False)
    measured = measure_table(settings, cases=[case]).cases[0].measured
    alone = [
        Trainer(Init(*row), settings.train_config(bias=True)).run()[0]
        for row in case_samples(case, settings).tolist()
    ]
    dead = sum(r.outcome == "dead" and r.died_at == 0 for r in alone) / 6
    stalled = sum(r.outcome == "stalled" for r in alone) / 6
    assert (measured.share(Ending.DEAD_AT_INIT), measured.share(Ending.STALLED)) == (dead, stalled)


def test_each_typical_sample_replays_its_ending_when_trained_alone():
    settings = TableSettings(samples=12, steps=8000, recheck=False, criterion="tolerance")
    row = measure_table(settings, cases=[BY_ID["bias-7"]]).cases[0]
    samples = case_samples(BY_ID["bias-7"], settings).tolist()
    endings = [item.ending for item in row.typical]
    assert set(endings) == {Ending.CONVERGED, Ending.DEAD_AT_INIT}  # bias 7 straddles the rule
    shares = [item.share for item in row.typical]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1.0)
    for item in row.typical:
        assert list(item.init.as_dict().values()) in samples
        live = live_settings(item.init, settings.train_config(bias=True))
        assert live["steps"] == 8000 and live["bias"] is True and live["seed"] == settings.seed
        assert live["lr"] == 1e-3 and live["batch_size"] == 32 and live["max_length"] == 10
        again = Trainer(item.init, settings.train_config(bias=True)).run()[0]
        assert (again.ending, again.steps) == (item.ending, item.steps)


def test_a_disputed_case_is_rechecked_under_the_notebooks_stop_rule():
    settings = TableSettings(samples=4, steps=8000, criterion="tolerance")
    row = measure_table(settings, cases=[BY_ID["no-bias-3"]]).cases[0]
    measured = row.measured
    assert row.case.documented == "does not converge" and measured.converged == 1.0
    assert row.agreement == DISAGREES and row.final
    again = measured.notebook_rule
    assert again.rule == "exact" and again.budget == 50_000 and again.samples == 4
    assert again.converged == 1.0 and again.median_steps > measured.median_steps
    assert "notebook's stop rule" in row.explanation


def test_no_recheck_when_the_case_agrees_or_it_is_switched_off():
    agrees = measure_table(
        TableSettings(samples=4, steps=200, criterion="tolerance"), cases=[BY_ID["no-bias-2"]]
    )
    assert agrees.cases[0].measured.notebook_rule is None
    off = measure_table(
        TableSettings(samples=4, steps=200, recheck=False, criterion="tolerance"),
        cases=[BY_ID["no-bias-3"]],
    )
    assert off.cases[0].measured.notebook_rule is None
    exact = TableSettings(samples=4, steps=50_000)  # the default: already the notebook's rule
    assert not exact.needs_recheck


def test_rows_fill_in_as_their_cases_finish():
    """Dead cases are measured after a hundred steps, long before the converging ones."""
    seen = []
    final = measure_table(TableSettings(samples=4, steps=3000), on_update=seen.append)
    assert seen[0].progress == 0.0 and "17 cases" in seen[0].phase
    assert all(row.measured is None for row in seen[0].cases)
    shares = [table.progress for table in seen]
    assert shares == sorted(shares) and seen[-1] is final and final.complete
    dead_first = next(t for t in seen if t.row("no-bias-2").measured is not None)
    assert dead_first.row("no-bias-1").measured is None  # still training then
    assert dead_first.row("no-bias-2").agreement == AGREES  # final at once
    fast = next(t for t in seen if t.row("bias-5").measured is not None).row("bias-5")
    assert fast.agreement is None or fast.final  # its speed waits for the other bias cases


def test_the_documented_rows_exist_before_any_measurement():
    table = documented_rows(TableSettings())
    assert [row.case for row in table.cases] == list(OBSERVATIONS)
    assert all(row.measured is None and row.agreement is None for row in table.cases)
    assert not table.complete and table.progress == 0.0


# -- verdicts -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "documented,converged,expected",
    [
        ("converges", 1.0, AGREES),
        ("converges", 0.81, AGREES),
        ("converges", 0.8, PARTLY),
        ("converges", 0.2, PARTLY),
        ("converges", 0.19, DISAGREES),
        ("converges", 0.0, DISAGREES),
        ("does not converge", 0.0, AGREES),
        ("does not converge", 0.19, AGREES),
        ("does not converge", 0.5, PARTLY),
        ("does not converge", 0.81, DISAGREES),
    ],
)
def test_verdict_thresholds(documented, converged, expected):
    assert agreement_of(documented, converged) == expected


@pytest.mark.parametrize(
    "documented,converged,ratio,expected",
    [
        ("converges very fast", 1.0, 0.7, AGREES),
        ("converges very fast", 1.0, 0.8, AGREES),
        ("converges very fast", 1.0, 0.81, PARTLY),
        ("converges very fast", 1.0, None, PARTLY),
        ("converges very fast", 0.5, 0.5, PARTLY),
        ("converges very fast", 0.1, 0.5, DISAGREES),
        ("converges, but after many iterations", 1.0, 1.25, AGREES),
        ("converges, but after many iterations", 1.0, 1.2, PARTLY),
        ("converges, but after many iterations", 1.0, 0.7, PARTLY),
        ("converges", 1.0, 3.0, AGREES),
    ],
)
def test_speed_only_matters_where_the_notebook_named_it(documented, converged, ratio, expected):
    assert agreement_of(documented, converged, ratio) == expected


def test_speed_classes():
    assert [speed(r) for r in (None, 0.5, 0.8, 1.0, 1.25, 2.0)] == [
        None,
        "fast",
        "fast",
        "typical",
        "slow",
        "slow",
    ]


def test_speed_ratio_is_against_the_other_cases_with_the_same_bias():
    table = measure_table(
        TableSettings(samples=8, steps=9000, recheck=False, criterion="tolerance"),
        cases=[BY_ID["no-bias-1"], BY_ID["no-bias-4"], BY_ID["bias-9"]],
    )
    first, second, biased = (row.measured for row in table.cases)
    assert first.reference_steps == second.median_steps
    assert second.reference_steps == first.median_steps
    assert first.speed_ratio == pytest.approx(first.median_steps / second.median_steps)
    assert biased.reference_steps is None and biased.speed_ratio is None


# -- explanations -------------------------------------------------------------------------------
def _explained(documented="converges", bias=True, budget=20_000, **values) -> str:
    """explain_case on a made-up measurement: shares by ending name, other fields as given."""
    shares = {ending: values.pop(ending.value, 0.0) for ending in Ending}
    fields = dict(
        samples=64,
        median_steps=None,
        analytic_dead=0.0,
        stalled_active=None,
        stalled_threshold=None,
        silent_threshold=None,
        remark_subset=None,
    )
    fields.update(values)
    case = Observation("test", 1, bias, {}, documented)
    return explain_case(case, CaseMeasurement(shares=shares, **fields), budget)


def test_explanation_names_the_dead_region_share():
    text = _explained(converged=0.53, median_steps=5788, dead_at_init=0.47, analytic_dead=0.499)
    assert text.startswith("53% converge (median 5,788 steps); 47% dead from the start")
    assert "50% of the region has w_ih ≤ 0 and b_hh + b_ih ≤ 0" in text


def test_explanation_of_a_stall_gives_the_input_needed_to_fire():
    text = _explained(stalled=1.0, stalled_threshold=3.0, stalled_active=0.0)
    assert "100% stalled at the 20,000-step budget" in text
    assert "|x| > 3" in text and f"{math.erfc(3 / math.sqrt(2)):.1e}" in text


def test_explanation_of_dead_in_practice_gives_the_input_needed_to_fire():
    text = _explained(dead_in_practice=1.0, silent_threshold=22.7, budget=50_000)
    assert text.startswith("0% converge; 100% dead in practice")
    assert "|x| > 22.7" in text and f"{math.erfc(22.7 / math.sqrt(2)):.1e}" in text


def test_explanation_of_a_disputed_non_convergence_reports_the_recheck():
    again = Recheck(rule="exact", budget=50_000, samples=64, converged=1.0, median_steps=9887)
    text = _explained(
        "does not converge", bias=False, converged=1.0, median_steps=4576, notebook_rule=again
    )
    assert text.startswith("100% converge (median 4,576 steps)")
    assert "notebook's stop rule" in text and "100% of 64 converge (median 9,887)" in text


def test_explanation_of_speed_gives_the_ratio():
    text = _explained(
        "converges very fast",
        converged=1.0,
        median_steps=4778,
        speed_ratio=0.842,
        reference_steps=5673,
    )
    assert "0.84× the median of the other bias cases (5,673)" in text


def test_percent_never_hides_a_minority():
    assert [percent(s) for s in (0, 0.001, 0.5, 0.999, 1)] == ["0%", "<1%", "50%", ">99%", "100%"]


# -- command line -------------------------------------------------------------------------------
def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "l1viz", "table", *args], capture_output=True, text=True, timeout=300
    )


def test_table_cli_json_last_line():
    process = run_cli("--samples", "4", "--steps", "300", "--seed", "7", "--json")
    assert process.returncode == 0, process.stderr
    out = json.loads(process.stdout.strip().splitlines()[-1])
    cases = out["cases"]
    assert [case["id"] for case in cases] == [case.id for case in OBSERVATIONS]
    for case, observation in zip(cases, OBSERVATIONS):
        assert case["bias"] is observation.bias and case["signs"] == observation.signs
        assert case["documented"] == observation.documented
        assert set(SHARES) | {"median_steps", "analytic_dead"} <= case["measured"].keys()
        assert sum(case["measured"][key] for key in SHARES) == pytest.approx(1.0)
        assert case["verdict"] in (AGREES, PARTLY, DISAGREES) and case["explanation"]
    assert out["settings"]["samples"] == 4 and out["settings"]["seed"] == 7


def test_table_cli_readable():
    process = run_cli("--samples", "2", "--steps", "150", "--no-recheck")
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert len(lines) == 34 and lines[0].startswith("no bias 1") and "agrees" in lines[2]
    assert "Training 17 cases" in process.stderr


@pytest.mark.parametrize(
    "args,flag",
    [
        (["--samples", "0"], "--samples"),
        (["--samples", "many"], "--samples"),
        (["--steps", "-1"], "--steps"),
        (["--normal", "1", "0.5"], "--normal"),
        (["--normal", "0.1"], "--normal"),
        (["--small", "0"], "--small"),
        (["--small", "0.5"], "--small"),
        (["--criterion", "close"], "--criterion"),
    ],
)
def test_table_cli_bad_input_exits_2_with_one_line(args, flag):
    process = run_cli(*args)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in process.stderr
