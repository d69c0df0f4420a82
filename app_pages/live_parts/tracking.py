"""The live page's MLflow switch: log each finished run, or say how to enable tracking.

Off by default. Each finished run is logged once (`l1viz.tracking`: params, loss curve, outcome);
what happened -- the MLflow run id, or why logging failed -- is shown under the run's status.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown
from l1viz import tracking
from l1viz.live.run import LiveRun

TOGGLE, URI, LOGGED = "live.mlflow", "live.mlflow.uri", "live.mlflow.logged"
LABEL = "Log finished runs to MLflow"


def sidebar() -> None:
    bar = st.sidebar
    bar.header("Tracking")
    if not tracking.available():
        bar.toggle(LABEL, value=False, disabled=True, key=TOGGLE)
        bar.info(plain_markdown(tracking.ENABLE_HINT), icon=":material/info:")
        return
    on = bar.toggle(
        LABEL,
        key=TOGGLE,
        help=f"Each run that ends (converged, dead, diverged, stalled) goes to the "
        f"experiment '{tracking.EXPERIMENT}'.",
    )
    if on:
        bar.text_input(
            "tracking URI",
            key=URI,
            placeholder=tracking.tracking_uri(),
            help="Empty: $MLFLOW_TRACKING_URI if set, else sqlite:///mlflow.db in "
            "the directory the app was started from.",
        )


def log_if_finished(run: LiveRun) -> None:
    """Log `run` once, when it has ended and the switch is on."""
    state = st.session_state
    if not (run.done and state.get(TOGGLE) and tracking.available()):
        return
    logged = state.setdefault(LOGGED, {})
    if run.run_id in logged:
        return
    uri = tracking.tracking_uri(state.get(URI, "").strip() or None)
    try:
        mlflow_id = tracking.log_trainer(
            run.trainer, uri=uri, run_name=f"l1viz live run {run.run_id}"
        )
    except Exception as error:  # any store failure (bad URI, locked database) is only reported
        logged[run.run_id] = f"MLflow logging failed ({uri}): {error}"
    else:
        logged[run.run_id] = f"Logged to MLflow: run {mlflow_id} at {uri}."


def note(run: LiveRun) -> None:
    message = st.session_state.get(LOGGED, {}).get(run.run_id)
    if message:
        st.caption(plain_markdown(message))
