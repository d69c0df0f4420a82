"""Optional MLflow logging of a run, as the notebook tracked its runs.

Runs go to the experiment "RNN L1 Norm Calculation" at `sqlite:///mlflow.db` (relative to the
working directory) unless MLFLOW_TRACKING_URI or an explicit setting says otherwise. mlflow is an
optional dependency (requirements-mlflow.txt); without it, `available()` is False and callers show
ENABLE_HINT instead of failing. A client bound to one URI is used, never mlflow's global state, so
concurrent dashboard sessions cannot log into each other's runs.

A tracking server that is down or unreachable fails fast: mlflow's own HTTP defaults retry 7 times
with exponential backoff and wait 120 s per request (minutes for a closed port), so
`HTTP_LIMITS` applies shorter ones unless the environment sets its own. Any failure is raised as one
`TrackingError` whose message names the URI.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import math
import os
import time

from l1viz.engine.config import SETUP_FIELDS, TrainConfig, cell_parameters
from l1viz.engine.outcomes import RunResult

EXPERIMENT = "RNN L1 Norm Calculation"
DEFAULT_URI = "sqlite:///mlflow.db"
# The environment variable (and the dashboard's secrets.toml key) naming the tracking store.
URI_VARIABLE = "MLFLOW_TRACKING_URI"
ENABLE_HINT = (
    "MLflow is not installed; enable tracking with: pip install -r requirements-mlflow.txt"
)
# MLflow accepts at most 1,000 metrics per log_batch request.
METRICS_PER_REQUEST = 1000
# mlflow's HTTP settings (mlflow.environment_variables), used when the environment has none: no
# retry (and so no urllib3 retry warnings), and 5 s for the server to answer each request.
HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}


class TrackingError(Exception):
    """Logging to MLflow failed; the message is one line naming the tracking URI."""


def available() -> bool:
    return importlib.util.find_spec("mlflow") is not None


def tracking_uri(setting: str | None = None) -> str:
    return setting or os.environ.get(URI_VARIABLE) or DEFAULT_URI


def listens_beyond_loopback(address: str | None) -> bool:
    """Whether a server bound to `address` (Streamlit's server.address) can be reached from other
    machines: unset means every interface; a host name other than localhost may be any."""
    if not address or not address.strip():
        return True
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def run_params(config: TrainConfig, result: RunResult) -> dict[str, str]:
    """What the run was: its initial values and hyperparameters, as MLflow params."""
    params = {f"initial_{name}": result.initial[name] for name in cell_parameters(config.bias)}
    params.update({name: getattr(config, name) for name in SETUP_FIELDS})
    return {key: str(value) for key, value in params.items()}


def log_trainer(trainer, uri: str | None = None, run_name: str | None = None) -> str:
    """Log a single-model trainer's finished run with the loss curve its history kept."""
    history = trainer.history
    return log_run(
        trainer.config,
        trainer.results()[0],
        history.steps,
        history.column("loss"),
        uri=uri,
        run_name=run_name,
    )


def log_run(
    config: TrainConfig,
    result: RunResult,
    steps: list[int],
    losses: list[float],
    uri: str | None = None,
    run_name: str | None = None,
) -> str:
    """Log one finished run and its loss curve; returns the MLflow run id. Raises TrackingError."""
    uri = tracking_uri(uri)
    for name, value in HTTP_LIMITS.items():
        os.environ.setdefault(name, value)
    try:
        return _log_run(config, result, steps, losses, uri, run_name)
    except Exception as error:  # mlflow raises many kinds (MlflowException, OSError, ValueError)
        raise TrackingError(f"MLflow logging to {uri} failed: {_one_line(error)}") from error


def _one_line(error: Exception, limit: int = 300) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def _log_run(config, result, steps, losses, uri: str, run_name: str | None) -> str:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(EXPERIMENT)
    run_id = client.create_run(experiment_id, run_name=run_name).info.run_id
    now = int(time.time() * 1000)

    curve = [
        Metric("loss", loss, now, step) for step, loss in zip(steps, losses) if math.isfinite(loss)
    ]
    summary = {"steps": result.steps, "final_loss": result.loss}
    summary.update({f"final_{name}": value for name, value in result.params.items()})
    for name in ("converged_at", "died_at", "silent_from", "diverged_at"):
        if getattr(result, name) is not None:
            summary[name] = getattr(result, name)
    curve += [
        Metric(key, float(value), now, result.steps)
        for key, value in summary.items()
        if math.isfinite(value)
    ]
    params = [Param(key, value) for key, value in run_params(config, result).items()]
    tags = [RunTag("outcome", result.outcome), RunTag("dead_at_init", str(result.dead_at_init))]
    client.log_batch(run_id, params=params, tags=tags)
    for start in range(0, len(curve), METRICS_PER_REQUEST):
        client.log_batch(run_id, metrics=curve[start : start + METRICS_PER_REQUEST])
    client.set_terminated(run_id)
    return run_id
