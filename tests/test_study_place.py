"""Where the dashboard's studies run: the environment's setting over the secrets', a place that
cannot be used leaving the studies in this process with the reason shown on the page."""

import time

from streamlit.testing.v1 import AppTest

from app_pages import studies
from app_pages.common import plain_markdown
from l1viz.live.study_place import SharedPlace, chosen_setting, open_study_place
from l1viz.study.runner import InProcess
from l1viz.study.table import TableSettings
from tests.cluster_support import free_port

APP = "../app.py"
TABLE_PAGE = "app_pages/table_page.py"


def test_the_environment_s_setting_wins_over_the_secrets():
    secrets = {"L1VIZ_SCHEDULER": "tcp://a:1"}
    assert chosen_setting({"L1VIZ_WORKERS": "2"}, secrets) == {"L1VIZ_WORKERS": "2"}
    assert chosen_setting({"PATH": "/bin"}, secrets) == secrets
    assert chosen_setting({}, {}) == {}


def test_an_unusable_place_leaves_studies_in_this_process_saying_why():
    assert open_study_place({}).problem is None
    assert isinstance(open_study_place({}).runner, InProcess)
    address = f"tcp://127.0.0.1:{free_port()}"
    unreachable = open_study_place({"L1VIZ_SCHEDULER": address})
    assert isinstance(unreachable.runner, InProcess) and unreachable.where == "in this process"
    assert f"cannot reach the Dask scheduler at {address}" in unreachable.problem
    bad = open_study_place({"L1VIZ_WORKERS": "many"})
    assert bad.problem == "workers: L1VIZ_WORKERS: must be a whole number, got 'many'"


def test_the_shared_place_is_opened_once_and_named_before():
    shared = SharedPlace({"L1VIZ_WORKERS": "3"})
    assert shared.peek() is None and shared.asked() == "a local Dask cluster of 3 worker processes"
    empty = SharedPlace({})
    assert empty.get() is empty.get() and empty.peek() is empty.get()


def test_the_table_page_says_its_scheduler_is_unreachable_and_measures_in_process():
    address = f"tcp://127.0.0.1:{free_port()}"
    studies.place.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.secrets["L1VIZ_SCHEDULER"] = address
        at.session_state["table.samples"] = "4"
        at.session_state["table.steps"] = "150"
        at.session_state["table.recheck"] = False
        at.session_state["table.seed"] = "9101"
        at.run()
        at.switch_page(TABLE_PAGE).run()
        deadline = time.monotonic() + 120
        while not at.warning and time.monotonic() < deadline:
            at.run()
        problem = f"cannot reach the Dask scheduler at {address}: [Errno 111] Connection refused"
        assert [w.value for w in at.warning] == [
            plain_markdown(f"Studies run in this process: {problem}")
        ]
        asked = TableSettings(samples=4, steps=150, recheck=False, seed=9101)
        job = studies.table_job(asked)  # the page's own job: the same settings, the same job
        while studies.running(job) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.state().status == "done" and job.state().latest.complete
        assert job.state().seconds > 0 and not at.exception
    finally:
        studies.place.clear()
