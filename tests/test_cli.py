"""The command line: JSON output, the notebook replay, and bad input."""

import json
import subprocess
import sys

import pytest

JSON_KEYS = {
    "outcome",
    "steps",
    "converged_at",
    "died_at",
    "dead_at_init",
    "initial",
    "params",
    "loss",
    "long_sequence",
}


def run_cli(*args, check=True):
    process = subprocess.run(
        [sys.executable, "-m", "l1viz", *args], capture_output=True, text=True, timeout=300
    )
    if check:
        assert process.returncode == 0, process.stderr
    return process


def last_json(process):
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_train_json_for_a_converging_init():
    out = last_json(
        run_cli(
            "train", "--w-hh", "0.83", "--w-ih", "0.7645", "--no-bias", "--steps", "20000", "--json"
        )
    )
    assert JSON_KEYS <= out.keys()
    assert out["outcome"] == "converged" and out["steps"] == out["converged_at"]
    assert out["died_at"] is None and out["dead_at_init"] is False
    assert out["initial"] == {
        "w_hh": pytest.approx(0.83),
        "w_ih": pytest.approx(0.7645),
        "b_hh": 0.0,
        "b_ih": 0.0,
    }
    assert abs(out["params"]["w_hh"] - 1) <= 1e-3 and abs(out["params"]["w_ih"] - 1) <= 1e-3
    check = out["long_sequence"]
    assert check["length"] == 10_000 and check["actual"] > 0
    assert check["relative_error"] == pytest.approx(
        abs(check["predicted"] - check["actual"]) / check["actual"]
    )


def test_train_json_for_a_dead_init_and_default_init_from_seed():
    out = last_json(
        run_cli(
            "train",
            "--w-ih",
            "-0.3",
            "--b-hh",
            "-0.1",
            "--b-ih",
            "0.05",
            "--seed",
            "42",
            "--steps",
            "1000",
            "--json",
        )
    )
    assert out["outcome"] == "dead" and out["dead_at_init"] is True and out["died_at"] == 0
    assert out["long_sequence"]["predicted"] == 0.0
    # w_hh was not given: PyTorch's RNNCell init from seed 42, as in the notebook
    assert out["initial"]["w_hh"] == pytest.approx(0.8300079)
    assert out["initial"]["w_ih"] == pytest.approx(-0.3)  # stored as float32


def test_train_readable_output_and_progress_bar():
    process = run_cli("train", "--w-hh", "0.9", "--w-ih", "0.9", "--no-bias", "--steps", "9000")
    assert "outcome: converged" in process.stdout
    assert "step" in process.stderr and "%" in process.stderr  # tqdm's bar


def test_diverged_prediction_is_null_in_json():
    out = last_json(
        run_cli(
            "train",
            "--w-hh",
            "0.9",
            "--w-ih",
            "0.5",
            "--b-hh",
            "0.1",
            "--b-ih",
            "0.1",
            "--optimizer",
            "sgd",
            "--lr",
            "3",
            "--steps",
            "100",
            "--json",
        )
    )
    assert out["outcome"] == "diverged" and out["diverged_at"] == 1
    assert out["long_sequence"]["predicted"] is None
    assert out["long_sequence"]["relative_error"] is None


def test_notebook_replay_matches_the_printed_figures():
    process = run_cli("notebook", "--json")
    lines = process.stdout.splitlines()
    assert lines[0] == "Epoch 0, Loss: 13.961002349853516"
    assert lines[1] == "Epoch 100, Loss: 5.079987049102783"
    assert lines[2] == "Epoch 200, Loss: 0.028426308184862137"
    out = last_json(process)
    assert f"{out['initial']['w_hh']:.4f}" == "0.8300"
    assert f"{out['initial']['w_ih']:.4f}" == "0.7645"
    assert out["losses"]["0"] == 13.961002349853516
    assert out["losses"]["100"] == 5.079987049102783
    assert out["converged"] is True and out["params"]["w_hh"] == out["params"]["w_ih"] == 1.0
    assert f"Finished training after {out['epochs']} epochs" in lines
    assert len(out["losses"]) == out["epochs"] // 100 + 1
    assert out["long_sequence"]["length"] == 10_000


@pytest.mark.parametrize(
    "args,flag",
    [
        (["--lr", "-0.1"], "--lr"),
        (["--lr", "0"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "fast"], "--lr"),
        (["--batch-size", "0"], "--batch-size"),
        (["--max-length", "0"], "--max-length"),
        (["--steps", "-5"], "--steps"),
        (["--w-hh", "inf"], "--w-hh"),
        (["--w-ih", "one"], "--w-ih"),
        (["--tolerance", "-1"], "--tolerance"),
        (["--optimizer", "rmsprop"], "--optimizer"),
        (["--check-length", "0"], "--check-length"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_argument(args, flag):
    process = run_cli(
        "train", *args, "--steps" if "--steps" not in args else "--seed", "10", check=False
    )
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in process.stderr


def test_unknown_command_exits_2():
    process = run_cli("fly", check=False)
    assert process.returncode == 2 and len(process.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args,flag",
    [
        (["train", "--w-hh", "1e9"], "--w-hh"),
        (["table", "--normal", "0.5", "0.2"], "--normal"),
        (["table", "--small", "0.5"], "--small"),
        (["sweep", "--x-range", "1", "0"], "--x-range"),
        (["sweep", "--fixed", "lr=50"], "--fixed"),
        (["schemes", "--max-length", "0"], "--max-length"),
    ],
)
def test_a_setting_the_engine_rejects_names_the_flag_that_set_it(args, flag, capsys):
    """The settings' ConfigError names a field (w_hh, normal_low, x_range, ...); the line names
    the subcommand's option for it, read from the flags the subcommand defines."""
    from l1viz.cli import main

    assert main([*args, "--steps", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"l1viz: error: argument {flag}: "), lines
