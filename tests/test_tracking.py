"""MLflow tracking against a real sqlite store, read back with the MLflow client."""

import json
import subprocess
import sys
import time

import mlflow  # installed for the tests by tests/run.sh (requirements-mlflow.txt)
import pytest

from l1viz import tracking
from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.trainer import Trainer


def test_run_is_logged_and_reads_back(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = TrainConfig(bias=True, steps=3_000, history_rows=5_000)
    trainer = Trainer(Init(0.83, 0.7645, 0.05, -0.02), config)
    result = trainer.run()[0]
    history = trainer.history.table()
    run_id = tracking.log_run(config, result, history["step"], history["loss"], uri=uri)

    client = mlflow.tracking.MlflowClient(uri)
    run = client.get_run(run_id)
    assert client.get_experiment(run.info.experiment_id).name == "RNN L1 Norm Calculation"
    assert run.info.status == "FINISHED"
    assert run.data.params["lr"] == "0.001" and run.data.params["transform"] == "where"
    assert float(run.data.params["initial_b_hh"]) == pytest.approx(0.05)
    assert run.data.tags["outcome"] == result.outcome
    assert run.data.metrics["steps"] == result.steps
    curve = client.get_metric_history(run_id, "loss")
    assert [m.step for m in sorted(curve, key=lambda m: m.step)] == history["step"]
    logged = {m.step: m.value for m in curve}
    assert all(
        logged[s] == pytest.approx(v, rel=1e-6) for s, v in zip(history["step"], history["loss"])
    )
    assert len(curve) > tracking.METRICS_PER_REQUEST  # more than one batch request


def test_tracking_uri_prefers_setting_then_environment(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.tracking_uri() == "sqlite:///mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert tracking.tracking_uri() == "sqlite:///elsewhere.db"
    assert tracking.tracking_uri("sqlite:///chosen.db") == "sqlite:///chosen.db"


@pytest.mark.parametrize(
    ("address", "beyond"),
    [
        (None, True),  # unset: Streamlit listens on every interface
        ("", True),
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.5", True),
        ("example.org", True),
        ("localhost", False),
        ("LOCALHOST", False),
        ("127.0.0.1", False),
        ("127.3.2.1", False),
        ("::1", False),
        ("[::1]", False),
    ],
)
def test_a_server_listens_beyond_loopback_unless_bound_to_it(address, beyond):
    assert tracking.listens_beyond_loopback(address) is beyond


def test_without_mlflow_the_hint_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(tracking.importlib.util, "find_spec", lambda name: None)
    assert not tracking.available()
    assert "requirements-mlflow.txt" in tracking.ENABLE_HINT


def test_cli_mlflow_flag_logs_the_run_it_prints(tmp_path, capsys):
    from l1viz.cli import main

    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    assert (
        main(
            [
                "train",
                "--w-hh",
                "0.5",
                "--w-ih",
                "-0.3",
                "--no-bias",
                "--lr",
                "0.01",
                "--mlflow",
                "--mlflow-uri",
                uri,
                "--json",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    out = json.loads(captured.out.strip().splitlines()[-1])
    assert out["mlflow"]["tracking_uri"] == uri
    assert f"MLflow: run {out['mlflow']['run_id']}" in captured.err

    run = mlflow.tracking.MlflowClient(uri).get_run(out["mlflow"]["run_id"])
    assert run.data.tags["outcome"] == out["outcome"] == "dead"
    assert run.data.tags["dead_at_init"] == "True"
    assert run.data.params["initial_w_ih"] == str(out["initial"]["w_ih"])
    assert run.data.params["lr"] == "0.01" and run.data.params["bias"] == "False"
    assert run.data.metrics["steps"] == out["steps"]
    assert run.data.metrics["final_loss"] == pytest.approx(out["loss"])


def test_cli_mlflow_uri_from_the_environment(tmp_path, monkeypatch, capsys):
    from l1viz.cli import main

    uri = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert main(["train", "--w-hh", "1", "--w-ih", "1", "--no-bias", "--mlflow", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["mlflow"]["tracking_uri"] == uri and out["outcome"] == "converged"
    experiment = mlflow.tracking.MlflowClient(uri).get_experiment_by_name(tracking.EXPERIMENT)
    runs = mlflow.tracking.MlflowClient(uri).search_runs([experiment.experiment_id])
    assert [r.info.run_id for r in runs] == [out["mlflow"]["run_id"]]


def test_cli_mlflow_without_mlflow_says_how_to_enable_it(monkeypatch, capsys):
    from l1viz.cli import main

    monkeypatch.setattr(tracking.importlib.util, "find_spec", lambda name: None)
    assert main(["train", "--mlflow", "--steps", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"l1viz: error: argument --mlflow: {tracking.ENABLE_HINT}"]


def test_cli_with_an_unreachable_tracking_server_fails_fast_with_one_line():
    """A closed port: mlflow's default retries made this hang for ~4 minutes. Now: the results,
    then one line naming the URI on stderr, exit status 1, well within 15 s (the process's own
    start-up, torch and mlflow imports included)."""
    uri = "http://127.0.0.1:9"
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, "-m", "l1viz", "train", "--steps", "10", "--json", "--mlflow-uri", uri],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert process.returncode == 1
    assert elapsed < 15
    (line,) = process.stderr.strip().splitlines()
    assert line.startswith(f"l1viz: error: MLflow logging to {uri} failed: ")
    out = json.loads(process.stdout.strip().splitlines()[-1])
    assert out["steps"] == 10 and out["mlflow"] is None  # the run's results are still printed


def test_an_unreachable_tracking_server_is_one_tracking_error_naming_the_uri(monkeypatch):
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
    trainer = Trainer(Init(0.5, -0.3), TrainConfig(steps=5, bias=False))
    trainer.run()
    with pytest.raises(tracking.TrackingError, match=r"^MLflow logging to http://127\.0\.0\.1:9 "):
        tracking.log_trainer(trainer, uri="http://127.0.0.1:9")
