"""The live page through Streamlit's AppTest: URL in, widgets, Play/Step/Reset, what it shows.

`run_every` never fires in AppTest: each `at.run()` stands for one refresh while playing.
"""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.common import LOAD_KEY, plain_markdown
from l1viz.engine.config import PARAMETERS
from l1viz.engine.pytorch_init import default_init
from l1viz.live.settings import NOTEBOOK_INIT, Settings, format_value

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MAX_TICKS = 200
# The notebook's init under SGD at lr 1e-4 and a 1e-8 tolerance: still training after many
# refreshes (a default run finishes within one).
LONG_RUN = {
    "lr": "0.0001",
    "optimizer": "sgd",
    "criterion": "tolerance",
    "tolerance": "1e-08",
    "steps": "10000000",
}


def open_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def status(at: AppTest) -> str:
    """The badge's words (rendered as :color-badge[words])."""
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert badges, "no status badge"
    # The first: the case panel's come after it; the verdict's sentence may follow the badge.
    return badges[0].split("[", 1)[1].split("]", 1)[0].replace("\\", "")


def press(at: AppTest, key: str) -> AppTest:
    at.button(key=f"live.{key}").click().run()
    assert not at.exception
    return at


def play_until(at: AppTest, words: str) -> None:
    press(at, "play")
    for _ in range(MAX_TICKS):
        if words in status(at):
            return
        at.run()
        assert not at.exception
    pytest.fail(f"{words!r} not shown after {MAX_TICKS} refreshes; status {status(at)!r}")


def decode(data):
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        return array.reshape(data["shape"]) if "shape" in data else array
    return np.asarray(data, dtype=float)


def chart(at: AppTest, key: str) -> dict:
    (element,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-live.chart.{key}")]
    return json.loads(element.proto.spec)


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name") == name)


def open_tab(at: AppTest, name: str) -> AppTest:
    """Open one of the live page's tabs (only the open one is built)."""
    at.session_state["live.tab"] = name
    at.run()
    assert not at.exception
    return at


def runs_table(at: AppTest):
    return open_tab(at, "Runs").dataframe[0].value


def metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def test_default_page_is_the_notebook_setup_ready_to_play():
    at = open_app()
    assert status(at) == "ready"
    assert at.slider(key="live.w_hh").value == NOTEBOOK_INIT.w_hh
    assert at.text_input(key="live.w_ih.exact").value == format_value("w_ih", NOTEBOOK_INIT.w_ih)
    assert at.toggle(key="live.bias").value is False
    assert [s.key for s in at.slider] == ["live.w_hh", "live.w_ih"]  # no bias sliders
    assert dict(at.query_params) == {}
    assert metrics(at)["step (of 50,000)"] == "0"
    assert {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")} == {
        "live.chart.loss",
        "live.chart.params",
        "live.chart.landscape",
    }
    open_tab(at, "Firing")
    assert "live.chart.active" in {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}


def test_a_converging_init_steps_then_plays_to_converged_and_the_charts_carry_the_run():
    at = open_app(w_hh="0.83", w_ih="0.7645", bias="false", lr="0.001")
    press(at, "step1")
    assert status(at) == "training" and metrics(at)["step (of 50,000)"] == "1"
    press(at, "step100")
    assert metrics(at)["step (of 50,000)"] == "101"
    play_until(at, "converged")
    run = at.session_state["live.run"]
    result = run.result()
    assert status(at) == f"converged at step {result.converged_at}"
    assert any("] Converged at step" in m.value for m in at.markdown)
    assert at.session_state["live.run"].playing is False

    series = run.series()
    loss = trace(chart(at, "loss"), "batch loss")
    assert decode(loss["x"]).tolist() == series["step"]
    assert decode(loss["x"])[-1] == result.converged_at
    positive = np.array(series["loss"])  # a loss of exactly 0 is a gap on the log axis
    positive[positive <= 0] = np.nan
    np.testing.assert_array_equal(decode(loss["y"]), positive)
    params = chart(at, "params")
    np.testing.assert_array_equal(decode(trace(params, "w_hh")["y"]), np.array(series["w_hh"]))
    now = trace(chart(at, "landscape"), "now")
    assert decode(now["x"])[0] == result.params["w_hh"]
    assert decode(now["y"])[0] == result.params["w_ih"]
    open_tab(at, "Replay")
    last = chart(at, "replay")["frames"][-1]["name"]
    assert last == f"{result.converged_at:,} · surface at no bias"
    open_tab(at, "Long sequences")
    assert metrics(at)["sequence length"] == "10,000"
    assert runs_table(at)["status"].tolist() == [status(at)]


def test_a_dead_init_from_the_url_is_announced_then_marked_dead():
    at = open_app(w_hh="0.7", w_ih="-0.2", bias="false")
    assert at.slider(key="live.w_ih").value == Settings(w_ih=-0.2).w_ih
    assert status(at) == "ready"
    assert any("in the dead region" in m.value for m in at.markdown)
    play_until(at, "dead")
    assert status(at) == "dead from the start"
    words = [m.value for m in at.markdown if "] Dead from the start" in m.value]
    assert words and "w\\_ih \\= \\-0\\.2 ≤ 0 and no bias" in words[0]
    loss = chart(at, "loss")
    assert [s["type"] for s in loss["layout"]["shapes"]] == ["rect"]
    assert loss["layout"]["annotations"][0]["text"] == "dead from step 0"
    open_tab(at, "Firing")
    assert set(decode(chart(at, "active")["data"][0]["y"]).tolist()) == {0.0}


def test_a_diverging_run_is_dated_shaded_and_its_non_finite_values_shown_plainly():
    at = open_app(  # seed 46: the first SGD update overshoots to an overflowing loss
        w_hh="0.9",
        w_ih="0.5",
        bias="true",
        b_hh="0.1",
        b_ih="0.1",
        lr="1",
        optimizer="sgd",
        seed="46",
    )
    play_until(at, "diverged")
    result = at.session_state["live.run"].result()
    assert status(at) == f"diverged at step {result.diverged_at}"
    assert chart(at, "params")["layout"]["annotations"][-1]["text"] == (
        f"diverged from step {result.diverged_at}"
    )
    assert metrics(at)["batch loss"] in ("nan", "inf")
    shown = metrics(open_tab(at, "Long sequences"))
    assert shown["cell's output"] == "not finite" and shown["relative error"] == "—"


def test_garbage_in_the_url_warns_and_falls_back_to_the_defaults():
    at = open_app(w_hh="abc", lr="5e9", w_ih="<img src=x onerror=alert(1)>", steps="1e999", foo="1")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 5
    assert any(w.startswith("w\\_hh \\= \\'abc\\'\\: must be a number") for w in warnings)
    assert any("\\<img src\\=x" in w for w in warnings)  # shown as text, never as HTML
    assert any("Unknown URL parameter \\'foo\\'" in w for w in warnings)
    assert status(at) == "ready"
    assert at.session_state["live.run"].settings == Settings()
    assert dict(at.query_params) == {}  # rewritten to the (default) setup


@pytest.mark.parametrize("kind", ["empty", "repeated"])
def test_every_parameter_empty_or_repeated_in_the_url_is_named_and_defaulted(kind):
    names = list(Settings().as_dict())
    value = {"empty": "", "repeated": ["0.5", "0.25"]}[kind]
    at = open_app(**{name: value for name in names})
    warnings = [w.value for w in at.warning]
    assert len(warnings) == len(names)
    for name in names:
        shown = name.replace("_", "\\_")
        assert sum(w.startswith(shown + " ") for w in warnings) == 1, name
    assert status(at) == "ready"
    assert at.session_state["live.run"].settings == Settings()
    assert dict(at.query_params) == {}


def test_every_setup_widget_defaults_to_the_value_it_shows():
    """A browser may draw a new session's widget from its default instead of the value set in
    session state (seen in 1 of 3 page loads): the default must be the setup, never the minimum."""
    at = open_app(
        w_hh="0.5",
        w_ih="-0.75",
        bias="true",
        b_hh="0.125",
        b_ih="-0.25",
        lr="0.01",
        optimizer="sgd",
        batch_size="16",
        max_length="20",
        seed="7",
        steps="1234",
        transform="relu-pair",
        criterion="loss",
        tolerance="0.002",
    )
    setup = at.session_state["live.run"].settings
    assert setup.steps == 1234 and setup.optimizer == "sgd"  # the URL was taken
    for name, value in setup.as_dict().items():
        widget = next(
            w
            for kind in ("slider", "text_input", "select_slider", "selectbox", "toggle")
            for w in at.get(kind)
            if w.key == f"live.{name}"
        )
        default = widget.proto.default
        if widget.type == "selectbox":
            assert widget.options[default] == widget.format_func(value), name
        elif widget.type == "select_slider":
            assert widget.options[int(default[0])] == widget.format_func(value), name
        elif widget.type == "slider":
            assert default == [value], name
        elif widget.type == "text_input":
            assert default == format_value(name, value), name
        else:
            assert default == value, name
        if name in (*PARAMETERS, "lr"):
            exact = at.text_input(key=f"live.{name}.exact").proto.default
            assert exact == format_value(name, value), name


def test_moving_a_slider_resets_the_run_and_rewrites_the_url():
    at = open_app()
    press(at, "step100")
    first = at.session_state["live.run"]
    at.slider(key="live.w_hh").set_value(0.5).run()
    assert at.text_input(key="live.w_hh.exact").value == "0.5"
    assert status(at) == "ready" and at.session_state["live.run"] is not first
    assert dict(at.query_params) == {"w_hh": "0.5"}
    assert runs_table(at)["status"].tolist() == ["training"]  # the paused run kept its row
    at.text_input(key="live.w_ih.exact").input("-0.25").run()
    assert at.slider(key="live.w_ih").value == -0.25
    assert dict(at.query_params) == {"w_hh": "0.5", "w_ih": "-0.25"}


def test_bias_toggle_shows_the_bias_controls_and_presets_fill_them():
    at = open_app()
    at.toggle(key="live.bias").set_value(True).run()
    assert [s.key for s in at.slider] == ["live.w_hh", "live.w_ih", "live.b_hh", "live.b_ih"]
    assert dict(at.query_params) == {"bias": "true"}
    press(at, "preset.dead")
    assert at.slider(key="live.b_hh").value == Settings(b_hh=-0.1, bias=True).b_hh
    assert dict(at.query_params) == {
        "w_hh": "0.7",
        "w_ih": "-0.2",
        "b_hh": "-0.1",
        "b_ih": "0.05",
        "bias": "true",
    }
    press(at, "preset.notebook")
    assert at.toggle(key="live.bias").value is False
    assert dict(at.query_params) == {}


@pytest.mark.parametrize("bias", [False, True])
def test_pytorch_init_buttons_draw_from_the_seed(bias):
    at = open_app(bias=str(bias).lower(), seed="7")
    press(at, "seeded")
    setup = at.session_state["live.run"].settings
    assert setup.seed == 7
    assert setup.init() == Settings(bias=bias).with_init(default_init(7, bias)).init()
    press(at, "random")
    setup = at.session_state["live.run"].settings
    assert setup.init() == Settings(bias=bias).with_init(default_init(setup.seed, bias)).init()
    assert dict(at.query_params)["seed"] == str(setup.seed)


def test_hyperparameter_controls_reach_the_run():
    at = open_app()
    at.select_slider(key="live.lr").set_value(0.01).run()
    at.selectbox(key="live.optimizer").set_value("sgd").run()
    at.text_input(key="live.batch_size").input("8").run()
    assert "live.tolerance" not in [n.key for n in at.text_input]  # no threshold for "exact"
    at.selectbox(key="live.criterion").set_value("tolerance").run()
    config = at.session_state["live.run"].config
    assert (config.lr, config.optimizer, config.batch_size, config.criterion) == (
        0.01,
        "sgd",
        8,
        "tolerance",
    )
    assert dict(at.query_params) == {
        "lr": "0.01",
        "optimizer": "sgd",
        "batch_size": "8",
        "criterion": "tolerance",
    }
    assert "live.tolerance" in [n.key for n in at.text_input]


def test_reset_replays_the_same_run():
    at = open_app(w_hh="0.5", w_ih="0.5", bias="true", b_hh="0.2", b_ih="-0.1")
    press(at, "step100")
    first = at.session_state["live.run"].series()
    press(at, "reset")
    assert status(at) == "ready"
    press(at, "step100")
    assert at.session_state["live.run"].series() == first
    press(at, "reset")
    table = runs_table(at)
    assert table["run"].tolist() == [1, 2]
    assert table["final_loss"][0] == table["final_loss"][1]


def test_pause_stops_playing_and_records_the_run():
    at = open_app(**LONG_RUN)
    press(at, "play")
    assert at.session_state["live.run"].playing is True and status(at) == "training"
    press(at, "pause")
    assert at.session_state["live.run"].playing is False
    assert runs_table(at)["outcome"].tolist() == ["paused"]


def test_another_page_can_load_a_setup_and_start_it_playing():
    """The live side of `request_live_run`: the request in session state, then this page."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[LOAD_KEY] = {
        "w_hh": 0.83,
        "w_ih": 0.7645,
        "bias": False,
        "steps": 5000,
        "criterion": "tolerance",
        "lr": "oops",
    }
    at.run()
    assert not at.exception
    assert at.session_state["live.run"].steps_done > 0  # it played (5,000 steps fit one refresh)
    assert at.session_state["live.run"].settings == Settings(
        w_hh=0.83, w_ih=0.7645, steps=5000, criterion="tolerance"
    )
    assert dict(at.query_params) == {
        "w_hh": "0.83",
        "w_ih": "0.7645",
        "steps": "5000",
        "criterion": "tolerance",
    }
    link = [w.value for w in at.warning if not w.value.startswith("Converged by")]
    assert [w.split("\\:")[0] for w in link] == ["lr \\= \\'oops\\'"]
    for _ in range(MAX_TICKS):
        if status(at) != "training":
            break
        at.run()
    assert status(at) == "converged at step 4091"


# -- issue 10: what the page does whatever the user does, and when ------------------------------
def test_a_typed_value_committed_by_the_play_click_trains_the_new_value():
    """The browser commits a typed value when the click on Play blurs the box: both reach the
    same script run, the value's callback first. Play must start the run of the new value."""
    at = open_app(**LONG_RUN)
    at.text_input(key="live.w_hh.exact").input("0.9")
    at.button(key="live.play").click().run()
    assert not at.exception
    assert status(at) == "training"  # it trains (it stayed "ready")
    run = at.session_state["live.run"]
    assert run.settings.w_hh == Settings(w_hh=0.9).w_hh and run.playing
    press(at, "pause")
    at.text_input(key="live.w_ih.exact").input("0.5")
    at.button(key="live.step100").click().run()
    run = at.session_state["live.run"]
    assert run.settings.w_ih == 0.5 and run.steps_done == 100


def test_the_notebook_preset_restores_the_notebooks_whole_run():
    at = open_app(lr="0.01", batch_size="8", bias="true", b_hh="0.5")
    press(at, "random")
    assert at.session_state["live.run"].settings.seed != 42 or dict(at.query_params)
    press(at, "preset.notebook")
    assert at.session_state["live.run"].settings == Settings()
    assert dict(at.query_params) == {}  # the address bar follows in the same rerun
    assert at.text_input(key="live.seed").value == "42"


def test_warnings_about_a_bad_link_go_once_the_setup_is_changed():
    at = open_app(w_hh="abc", lr="-1", steps="")
    assert len(at.warning) == 3
    at.run()
    assert len(at.warning) == 3  # still the link's setup
    at.text_input(key="live.w_hh.exact").input("0.9").run()
    assert [w.value for w in at.warning] == []
    at.text_input(key="live.w_hh.exact").input(str(Settings().w_hh)).run()
    assert [w.value for w in at.warning] == []  # the link's setup again, but typed by hand


def test_an_overflow_at_step_0_is_explained_drawn_and_listed():
    at = open_app(w_hh="2", w_ih="1", max_length="100")
    assert status(at) == "diverged at step 0"
    words = [m.value for m in at.markdown if "] Diverged at step 0" in m.value]
    assert words and "before any update" in words[0] and "overflowed float32" in words[0]
    assert "overshot" not in words[0]
    params = chart(at, "params")
    w_hh = trace(params, "w_hh")
    assert decode(w_hh["x"]).tolist() == [0] and decode(w_hh["y"]).tolist() == [2.0]
    assert w_hh["mode"] == "markers"  # one point: a line would draw nothing
    for name in ("loss", "params", "active"):
        if name == "active":
            open_tab(at, "Firing")
        for shape in chart(at, name)["layout"]["shapes"]:
            assert shape["x0"] >= 0 and shape["x1"] > shape["x0"], name  # no axis below step 0
    assert chart(at, "loss")["layout"]["annotations"][0]["text"] == "diverged from step 0"
    table = runs_table(at)
    assert table["status"].tolist() == ["diverged at step 0"] and table["run"].tolist() == [1]

    at.query_params.clear()
    at.query_params["w_hh"], at.query_params["w_ih"] = "1", "1"
    at.run()
    assert status(at) == "converged at step 0"
    table = runs_table(at)
    assert table["status"].tolist() == ["diverged at step 0", "converged at step 0"]


def test_the_history_numbers_runs_consecutively_and_shows_the_outcome_first():
    at = open_app()
    press(at, "step1")
    at.slider(key="live.w_hh").set_value(0.5).run()  # a new run, never played: no row, no number
    at.slider(key="live.w_hh").set_value(0.6).run()
    press(at, "step100")
    press(at, "reset")
    table = runs_table(at)
    assert table["run"].tolist() == [1, 2]
    assert list(table.columns[:5]) == ["run", "outcome", "steps_done", "final_loss", "status"]
    assert table["steps_done"].tolist() == [1, 100] and table["budget"].tolist() == [50_000] * 2
    assert table["bias"].tolist() == ["no", "no"]  # text, not a checkbox like the row selector
    assert at.selectbox(key="live.history.pick").options == ["run 1: training", "run 2: training"]


def test_the_dead_presets_help_matches_the_cell():
    at = open_app()
    assert "b_hh" not in at.button(key="live.preset.dead").help
    at.toggle(key="live.bias").set_value(True).run()
    assert "b_hh + b_ih = -0.05" in at.button(key="live.preset.dead").help


def test_a_load_that_changes_the_step_budget_says_so():
    at = open_app(steps="20000")
    at.session_state[LOAD_KEY] = {"w_hh": 0.83, "w_ih": 0.7645, "bias": False, "steps": 5000}
    at.run()
    assert not at.exception
    assert at.session_state["live.run"].settings.steps == 5000
    assert [w.value for w in at.warning] == [
        plain_markdown(
            "Step budget set to 5,000, the measured run's budget (it was 20,000), so this run "
            "repeats the measurement."
        )
    ]
    at.session_state[LOAD_KEY] = {"w_hh": 0.5, "w_ih": 0.7645, "bias": False, "steps": 5000}
    at.run()
    assert [w.value for w in at.warning] == []  # the same budget: nothing to say


def test_a_typed_value_that_reached_only_a_fragment_run_is_applied():
    """A box's value can reach the server in the live view's timer run, where its callback does
    not run: the next full run copies it to the slider and trains it."""
    at = open_app()
    at.session_state["live.w_hh.exact"] = "0.6"  # as a fragment run leaves it: no callback
    at.run()
    assert not at.exception
    assert at.session_state["live.run"].settings.w_hh == Settings(w_hh=0.6).w_hh
    assert at.slider(key="live.w_hh").value == 0.6
    assert dict(at.query_params) == {"w_hh": "0.6"}
