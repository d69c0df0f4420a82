"""The live page's case line through AppTest (issue 9): the case of the initial values, the
notebook's claim, the region's measurement, the firing marking and the link to the table's row;
and this run's agreement, which the player shows when its playhead reaches the end."""

import time

import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, open_app, player, settled

from app_pages import studies
from app_pages.common import LOAD_KEY, LOAD_ORIGIN_KEY
from l1viz.live.jobs import DONE


@pytest.fixture(scope="module", autouse=True)
def measured_table():
    """The default table (the panel quotes it) measured once for the whole module."""
    job = studies.default_table()
    deadline = time.monotonic() + 120
    while job.state().status != DONE and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.state().status == DONE
    return job.state().latest


def panel(at: AppTest) -> str:
    """The page's text as the reader sees it (markdown escapes removed): the panel's sentences
    are the only ones that name a case, a claim or this run's agreement."""
    words = [element.value for element in [*at.markdown, *at.caption]]
    words += [expander.label for expander in at.expander]
    return "\n".join(words).replace("\\", "")


def agreement(at: AppTest) -> dict:
    """What the player says of this run and the notebook once its playhead is at the end."""
    return settled(at)["ending"]["agreement"]


def table_link(at: AppTest):
    (link,) = at.get("page_link")
    return link.proto


def test_no_bias_3_before_and_after_play(measured_table):
    at = open_app(w_hh="-0.5", w_ih="0.5")
    text = panel(at)
    row = measured_table.row("no-bias-3")
    assert "no bias 3: w_hh −, w_ih +" in text
    assert "Notebook: does not converge." in text
    assert f"Measured over {row.measured.samples:,} inits of this region: " in text
    assert "This run" not in text  # the player says it, at the end
    assert table_link(at).query_string == "case=no-bias-3"
    assert table_link(at).label == "no bias 3 in the table"
    said = agreement(at)
    assert said["label"] == "This run disagrees with the notebook"
    assert said["sentence"].startswith("It converged at step ")
    assert "but the notebook saw this case not converge" in said["sentence"]


def test_no_bias_2_is_marked_dead_and_agrees():
    at = open_app(w_hh="0.5", w_ih="-0.5")
    assert "This init can never fire (w_ih ≤ 0, no bias)" in panel(at)
    said = agreement(at)
    assert said["label"] == "This run agrees with the notebook"
    assert said["sentence"].startswith("It was dead from the start")


def test_bias_6_never_fires_in_practice():
    at = open_app(w_hh="0.5", w_ih="0.05", bias="true", b_hh="-0.5", b_ih="-0.5")
    text = panel(at)
    assert "bias 6:" in text
    assert "fires only for |x| > 20" in text
    said = agreement(at)
    assert said["label"] == "This run disagrees with the notebook"
    assert "never fired (dead in practice)" in said["sentence"]


def test_values_in_no_case_say_why_and_name_the_nearest():
    at = open_app(w_hh="0", w_ih="0.5")
    text = panel(at)
    assert "in no case of the notebook (nearest: no bias " in text
    assert "Not in a case: w_hh is 0, which has no sign" in text


def test_a_run_loaded_from_the_table_names_its_row():
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[LOAD_KEY] = {
        "w_hh": 0.5,
        "w_ih": -0.5,
        "b_hh": 0.5,
        "b_ih": 0.5,
        "bias": True,
    }
    at.session_state[LOAD_ORIGIN_KEY] = "Loaded from the notebook table, bias 9"
    at.run()
    assert not at.exception
    assert [info.value.replace("\\", "") for info in at.info] == [
        "Loaded from the notebook table, bias 9"
    ]
    assert "bias 9:" in panel(at)
    assert table_link(at).query_string == "case=bias-9"
    assert player(at)["autoplay"] is True  # a load plays
    assert settled(at)["ending"]["label"].startswith("converged")
    assert agreement(at)["label"] == "This run agrees with the notebook"
    at.slider(key="live.w_hh").set_value(0.6).run()  # a different setup: the origin no longer
    assert at.info == [] or all("Loaded from" not in i.value for i in at.info)
