"""The live page's MLflow switch: log each finished run, or say how to enable tracking.

Off by default. Each finished run is logged once (`l1viz.tracking`: params, loss curve, outcome),
in a background thread: a slow or unreachable tracking server must never hold up the page. Under
the run's status the page says "logging…", then the MLflow run id or why logging failed.

Where runs go: on a server that listens only on the loopback address, the sidebar's box may name
any tracking URI (its user is the server's owner). A server others can reach takes the URI only
from its own configuration (secrets.toml's MLFLOW_TRACKING_URI, then the environment, then
sqlite:///mlflow.db), shows no box and never names the URI, which may hold credentials: a
visitor's URI would make the server write files or open connections wherever it points.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import streamlit as st

from app_pages.common import plain_markdown
from app_pages.page_state import rerun
from l1viz import tracking
from l1viz.live.run import LiveRun

TOGGLE, URI, LOGGED = "live.mlflow", "live.mlflow.uri", "live.mlflow.logged"
LABEL = "Log finished runs to MLflow"
SERVER_STORE = "the server's tracking store"
POLL_SECONDS = 0.5  # how often the page looks for the outcome of a pending log
# One pool for the whole server: a few sessions logging at once queue up rather than each
# starting threads (each log takes at most a few seconds, see `tracking.HTTP_LIMITS`).
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="l1viz-mlflow")


@dataclass(frozen=True)
class Logging:
    """A run's log in flight (or done): where it goes and its outcome, the message to show."""

    uri: str
    outcome: Future
    shown_uri: str  # the URI, or SERVER_STORE on a shared server

    @property
    def message(self) -> str:
        if not self.outcome.done():
            return f"Logging to MLflow at {self.shown_uri}…"
        return self.outcome.result().replace(self.uri, self.shown_uri)


def shared() -> bool:
    """Whether others can reach this server (then the URI is the server's own)."""
    return tracking.listens_beyond_loopback(st.get_option("server.address"))


def _secret_uri() -> str | None:
    """secrets.toml's tracking URI, if the server has that file and the key."""
    if not st.secrets.load_if_toml_exists():
        return None
    value = st.secrets.get(tracking.URI_VARIABLE)
    text = "" if value is None else str(value).strip()
    return text or None


def chosen_uri() -> str:
    """Where a run logged now goes: the box's URI on a loopback server, else the server's."""
    typed = "" if shared() else st.session_state.get(URI, "").strip()
    return tracking.tracking_uri(typed or _secret_uri())


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
    if on and shared():
        bar.caption(f"Runs go to {SERVER_STORE}, set by whoever runs it.")
    elif on:
        bar.text_input(
            "tracking URI",
            key=URI,
            placeholder=tracking.tracking_uri(_secret_uri()),
            help="Empty: MLFLOW_TRACKING_URI from .streamlit/secrets.toml or the environment "
            "if set, else sqlite:///mlflow.db in the directory the app was started from.",
        )


def log_if_finished(run: LiveRun) -> bool:
    """Start logging `run` once, when it has ended and the switch is on; returns whether it
    started now."""
    state = st.session_state
    if not (run.done and state.get(TOGGLE) and tracking.available()):
        return False
    logged = state.setdefault(LOGGED, {})
    if run.run_id in logged:
        return False
    uri = chosen_uri()
    result, table = run.final(), run.trajectory()
    name = f"l1viz live run {run.run_id}"
    outcome = _POOL.submit(_log, run.config, result, table["step"], table["loss"], uri, name)
    logged[run.run_id] = Logging(uri, outcome, SERVER_STORE if shared() else uri)
    return True


def _log(config, result, steps, losses, uri: str, run_name: str) -> str:
    try:
        mlflow_id = tracking.log_run(config, result, steps, losses, uri=uri, run_name=run_name)
    except tracking.TrackingError as error:  # a bad URI or a server down is only reported
        return str(error)
    return f"Logged to MLflow: run {mlflow_id} at {uri}."


def note(run: LiveRun) -> None:
    """What happened to the run's log; while it is pending, look again every POLL_SECONDS and
    redraw the whole page once it is known (which stops the polling)."""
    logging = st.session_state.get(LOGGED, {}).get(run.run_id)
    if logging is None:
        return

    pending = not logging.outcome.done()

    @st.fragment(run_every=POLL_SECONDS if pending else None)
    def shown():
        if pending and logging.outcome.done():
            rerun()
        st.caption(plain_markdown(logging.message))

    shown()
