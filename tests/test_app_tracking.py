"""The live page's MLflow switch, against a real sqlite store (AppTest).

Logging runs in a background thread: `run_every` never fires in AppTest, so `outcome` reruns the
page until it shows how logging ended."""

import time

import mlflow  # installed for the tests by tests/run.sh (requirements-mlflow.txt)
import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from app_pages.common import plain_markdown
from app_pages.live_parts.tracking import SERVER_STORE, URI
from l1viz import tracking
from tests.test_app import APP, open_app, send, settled, watched_to_end


@pytest.fixture
def store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture
def shared_server():
    """The app as served to others: listening on every interface (set in this test process)."""
    before = streamlit_config.get_option("server.address")
    streamlit_config.set_option("server.address", "0.0.0.0")
    yield
    streamlit_config.set_option("server.address", before)


def uri_boxes(at) -> list[str]:
    return [box.key for box in at.text_input if box.key.startswith("live.mlflow")]


def runs_in(uri: str) -> list:
    client = mlflow.tracking.MlflowClient(uri)
    experiment = client.get_experiment_by_name(tracking.EXPERIMENT)
    return client.search_runs([experiment.experiment_id]) if experiment else []


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def outcome(at, within: float = 60.0) -> str:
    """The logging caption once logging has ended (not "Logging to MLflow…")."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception
        shown = [c for c in captions(at) if "MLflow" in c]
        if shown and not shown[0].startswith("Logging to MLflow"):
            return shown[0]
        time.sleep(0.1)
    pytest.fail(f"logging did not end within {within} s: {captions(at)}")


def test_a_finished_run_is_logged_once_and_the_page_says_where(store):
    at = open_app(w_hh="0.7", w_ih="-0.2", lr="0.01", seed="3")
    at.toggle(key="live.mlflow").set_value(True).run()
    settled(at)  # the server has the whole run: nothing is logged before the playhead is there
    send(at, "pause", 50)
    assert runs_in(store) == []
    watched_to_end(at)
    shown = outcome(at)
    (run,) = runs_in(store)
    assert run.data.tags["outcome"] == "dead"
    assert run.data.params["initial_w_ih"] == str(at.session_state["live.run"].settings.w_ih)
    assert run.data.params["lr"] == "0.01" and run.data.params["seed"] == "3"
    assert run.data.metrics["steps"] == at.session_state["live.run"].final().steps
    logged = f"Logged to MLflow: run {run.info.run_id} at {store}."
    assert shown == plain_markdown(logged)
    at.run()
    assert [c for c in captions(at) if c.startswith("Logged")] == [plain_markdown(logged)]
    assert len(runs_in(store)) == 1  # reruns do not log it again


def test_switched_off_nothing_is_logged(store):
    at = open_app(w_hh="0.7", w_ih="-0.2")
    watched_to_end(at)
    assert runs_in(store) == []
    assert not [c for c in captions(at) if "MLflow" in c]


def test_a_bad_tracking_uri_is_reported_not_raised(store):
    at = open_app(w_hh="0.7", w_ih="-0.2")
    at.toggle(key="live.mlflow").set_value(True).run()
    at.text_input(key="live.mlflow.uri").input("nosuchscheme://x").run()
    watched_to_end(at)
    assert outcome(at).startswith("MLflow logging to nosuchscheme\\:\\/\\/x failed\\: ")
    assert runs_in(store) == []


def test_an_unreachable_tracking_server_never_holds_up_the_page(store):
    """A closed port: mlflow's default retries took 248 s, the page greyed out meanwhile. The
    page now finishes at once, says it is logging, and reports the failure within seconds."""
    at = open_app(w_hh="0.7", w_ih="-0.2")
    at.toggle(key="live.mlflow").set_value(True).run()
    at.text_input(key="live.mlflow.uri").input("http://127.0.0.1:9").run()
    watched_to_end(at)
    started = time.monotonic()
    at.run()
    assert time.monotonic() - started < 5
    assert not at.exception
    failed = outcome(at, within=30)
    assert failed.startswith("MLflow logging to http\\:\\/\\/127\\.0\\.0\\.1\\:9 failed")
    assert time.monotonic() - started < 30


def test_without_mlflow_the_switch_is_off_and_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(tracking, "available", lambda: False)
    at = open_app()
    assert at.toggle(key="live.mlflow").disabled and at.toggle(key="live.mlflow").value is False
    assert [i.value for i in at.info] == [plain_markdown(tracking.ENABLE_HINT)]


def test_the_repository_serves_on_loopback_only_with_the_box():
    assert streamlit_config.get_option("server.address") == "localhost"
    at = open_app()
    at.toggle(key="live.mlflow").set_value(True).run()
    assert uri_boxes(at) == [URI]


def test_a_shared_server_logs_to_its_own_store_and_never_names_it(store, shared_server):
    at = open_app(w_hh="0.7", w_ih="-0.2")
    at.session_state[URI] = "sqlite:////tmp/typed-by-a-visitor.db"  # as if a box had been there
    at.toggle(key="live.mlflow").set_value(True).run()
    assert uri_boxes(at) == []
    assert f"Runs go to {SERVER_STORE}, set by whoever runs it." in captions(at)
    watched_to_end(at)
    shown = outcome(at)
    (run,) = runs_in(store)
    assert shown == plain_markdown(f"Logged to MLflow: run {run.info.run_id} at {SERVER_STORE}.")
    assert not [c for c in captions(at) if "sqlite" in c]


def test_a_shared_server_takes_the_uri_from_its_secrets(tmp_path, store, shared_server):
    secret = f"sqlite:///{tmp_path / 'secret.db'}"
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets[tracking.URI_VARIABLE] = secret
    at.query_params.update(w_hh="0.7", w_ih="-0.2")
    at.run()
    at.toggle(key="live.mlflow").set_value(True).run()
    watched_to_end(at)
    assert outcome(at).startswith(plain_markdown("Logged to MLflow: run "))
    assert len(runs_in(secret)) == 1 and runs_in(store) == []
