"""Initialisation schemes: what each draws, its exact chance of a dead cell, and the measurement."""

import json
import subprocess
import sys

import pytest

from l1viz.engine.config import ConfigError
from l1viz.engine.outcomes import Ending
from l1viz.engine.trainer import Trainer
from l1viz.plots.schemes import schemes_figure
from l1viz.study.schemes import (
    SCHEMES,
    SchemeSettings,
    dead_at_init_probability,
    draw,
    measure_schemes,
    wilson,
)
from l1viz.study.table.regions import dead_by_rule, generator


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_exact_chance_of_a_dead_cell_matches_many_draws(scheme, bias):
    values = draw(scheme, 40_000, bias, generator(7, SCHEMES.index(scheme)))
    drawn_dead = dead_by_rule(values, bias).float().mean().item()
    assert drawn_dead == pytest.approx(dead_at_init_probability(scheme, bias), abs=0.01)


def test_each_scheme_draws_what_it_says():
    rng = generator(1)
    pytorch = draw("pytorch", 5000, True, rng)
    assert pytorch.abs().max() <= 1 and pytorch.min() < -0.99 and pytorch.max() > 0.99
    identity = draw("identity", 5000, True, rng)
    assert (identity[:, 0] == 1).all() and (identity[:, 2:] == 0).all()
    assert identity[:, 1].std().item() == pytest.approx(1e-3, rel=0.05)
    xavier = draw("xavier", 5000, True, rng)
    assert xavier[:, :2].abs().max() <= 3**0.5 and (xavier[:, 2:] == 0).all()
    kaiming = draw("kaiming", 20000, False, rng)
    assert kaiming[:, :2].std().item() == pytest.approx(2**0.5, rel=0.03)
    assert (kaiming[:, 2:] == 0).all()  # no bias: the biases are absent (0)
    rai = draw("rai", 5000, True, rng)
    positive_unit = ((rai > 0) & (rai <= 1)).any(1)
    assert positive_unit.all()  # one parameter of every unit is a Beta(2, 1) draw
    assert dead_at_init_probability("rai", True) < dead_at_init_probability("kaiming", True)


def test_a_measurement_is_the_engine_on_the_draws():
    settings = SchemeSettings(
        schemes=("pytorch", "rai"), max_lengths=(5,), samples=12, steps=400, biases=(True,)
    )
    result = measure_schemes(settings)
    assert result.complete and [row.scheme for row in result.rows] == ["pytorch", "rai"]
    for row in result.rows:
        total = sum(share.value for share in row.measured.values())
        assert total == pytest.approx(1.0)
        for share in row.measured.values():
            assert share.low <= share.value <= share.high
        rng = generator(settings.seed, SCHEMES.index(row.scheme), 1)
        inits = draw(row.scheme, 12, True, rng)
        runs = Trainer(inits, settings.train_config(True, 5)).run()
        for ending in Ending:
            share = sum(run.ending == ending for run in runs) / 12
            assert row.measured[ending].value == pytest.approx(share)


def test_wilson_intervals():
    assert wilson(0, 10).low == 0 and wilson(10, 10).high == 1
    half = wilson(50, 100)
    assert half.low == pytest.approx(0.404, abs=0.001) and half.high == pytest.approx(
        0.596, abs=0.001
    )


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"schemes": ("glorot",)}, "scheme"),
        ({"max_lengths": (0,)}, "max_length"),
        ({"samples": 0}, "samples"),
        ({"steps": 0}, "steps"),
        ({"max_lengths": ()}, "schemes"),
    ],
)
def test_bad_scheme_settings_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as error:
        SchemeSettings(**kwargs)
    assert error.value.field == field


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "l1viz", "schemes", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_schemes_cli_json_with_several_lengths():
    process = run_cli(
        "--samples", "8", "--steps", "200", "--max-length", "5", "20", "--bias", "with", "--json"
    )
    assert process.returncode == 0, process.stderr
    out = json.loads(process.stdout.strip().splitlines()[-1])
    rows = out["schemes"]
    assert len(rows) == 2 * len(SCHEMES)
    assert {(row["name"], row["max_length"]) for row in rows} == {
        (scheme, length) for scheme in SCHEMES for length in (5, 20)
    }
    for row in rows:
        assert row["bias"] is True and row["samples"] == 8
        assert 0 <= row["dead_at_init"] <= 1
        assert set(row["measured"]) == {ending.value for ending in Ending}
        assert sum(share["value"] for share in row["measured"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "args,flag",
    [
        (["--schemes", "glorot"], "--schemes"),
        (["--max-length", "0"], "--max-length"),
        (["--samples", "x"], "--samples"),
    ],
)
def test_schemes_cli_bad_input_exits_2_with_one_line(args, flag):
    process = run_cli(*args)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in process.stderr


def test_the_figure_draws_each_scheme_per_bias_and_the_exact_dead_share():
    settings = SchemeSettings(
        schemes=("pytorch", "rai"), max_lengths=(5, 10), samples=8, steps=100, biases=(False, True)
    )
    result = measure_schemes(settings)
    figure = schemes_figure(result, Ending.DEAD_AT_INIT)
    measured = [trace for trace in figure.data if trace.mode == "lines+markers"]
    exact = [trace for trace in figure.data if trace.mode == "lines"]
    assert [trace.name for trace in measured] == ["pytorch", "rai", "pytorch", "rai"]
    assert [trace.showlegend for trace in measured] == [True, True, False, False]
    for trace, bias in zip(exact, (False, False, True, True), strict=True):
        scheme = trace.name.removesuffix(": exact")
        assert trace.y == (dead_at_init_probability(scheme, bias),) * 2
    row = next(r for r in result.rows if (r.scheme, r.bias, r.max_length) == ("rai", True, 10))
    share = row.measured[Ending.DEAD_AT_INIT]
    assert measured[3].y[1] == share.value
    assert measured[3].error_y.array[1] == pytest.approx(share.high - share.value)
    assert figure.layout.xaxis.ticktext == ("5", "10")
