"""MLflow tracking against a real sqlite store, read back with the MLflow client."""

import mlflow  # installed for the tests by tests/run.sh (requirements-mlflow.txt)
import pytest

from l1viz import tracking
from l1viz.config import Init, TrainConfig
from l1viz.trainer import Trainer


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
    assert all(logged[s] == pytest.approx(v, rel=1e-6) for s, v in zip(history["step"], history["loss"]))
    assert len(curve) > tracking.METRICS_PER_REQUEST  # more than one batch request


def test_tracking_uri_prefers_setting_then_environment(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.tracking_uri() == "sqlite:///mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert tracking.tracking_uri() == "sqlite:///elsewhere.db"
    assert tracking.tracking_uri("sqlite:///chosen.db") == "sqlite:///chosen.db"


def test_without_mlflow_the_hint_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(tracking.importlib.util, "find_spec", lambda name: None)
    assert not tracking.available()
    assert "requirements-mlflow.txt" in tracking.ENABLE_HINT
