"""The live page through Streamlit's AppTest: the URL in, the widgets, the run the page builds and
what it sends the browser's player (the player itself, Play and the playhead, are browser tests).

`run_every` never fires in AppTest: each `at.run()` stands for one poll of the page.
"""

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.common import LOAD_KEY, plain_markdown
from l1viz.engine.config import PARAMETERS
from l1viz.engine.pytorch_init import default_init
from l1viz.engine.trainer import Trainer
from l1viz.live.settings import NOTEBOOK_INIT, Settings, format_value

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def player(at: AppTest) -> dict:
    """The data the page sent the browser's player in its last run."""
    (element,) = [
        e
        for e in at.main
        if getattr(e, "proto", None) is not None
        and e.proto.DESCRIPTOR.name == "BidiComponent"
        and json.loads(e.proto.json).get("role") == "player"
    ]
    return json.loads(element.proto.json)


def decoded(rows: dict) -> tuple[np.ndarray, dict]:
    steps = np.frombuffer(base64.b64decode(rows["steps"]), "<i4")
    columns = {
        name: np.frombuffer(base64.b64decode(text), "<f4") for name, text in rows["columns"].items()
    }
    return steps, columns


def settled(at: AppTest, seconds: float = 60.0) -> dict:
    """The player's last data once the server has trained the whole run and the browser holds
    it all (each payload acknowledged as the browser's player would), with every row it got on
    the way joined under "all" as (steps, columns)."""
    deadline = time.monotonic() + seconds
    pieces = []
    while True:
        data = player(at)
        if data["rows"]["start"] == 0:
            pieces = []  # a new epoch (or the first rows): the browser starts again
        pieces.append(decoded(data["rows"]))
        held = sum(len(piece[0]) for piece in pieces)
        if data["complete"] and data["rows"]["count"] == 0 and data["rows"]["start"] == held:
            break
        assert time.monotonic() < deadline, "the run was not sent in time"
        time.sleep(0.05)
        last = int(pieces[-1][0][-1]) if len(pieces[-1][0]) else -1
        send(at, "ack", 0, have=held, epoch=data["rows"]["epoch"], last=last)
    steps = np.concatenate([piece[0] for piece in pieces])
    columns = {name: np.concatenate([p[1][name] for p in pieces]) for name in pieces[0][1]}
    data["all"] = steps, columns
    return data


_EVENTS = iter(range(1, 10**9))


def send(at: AppTest, kind: str, step: int, speed: str = "auto", **held) -> AppTest:
    """The browser's player reports an event of the page's current run (as its trigger would);
    `held`: the rows it holds (have, epoch, last), else what the server believes it holds."""
    run = at.session_state["live.view"].run
    cursor = at.session_state["live.cursor"]
    held = {"have": cursor.count, "epoch": cursor.epoch, "last": cursor.last_step, **held}
    event = {"kind": kind, "run": run, "step": step, "speed": speed, **held}
    at.session_state["live.player"] = {kind: {**event, "number": next(_EVENTS)}}
    at.run()
    assert not at.exception
    return at


def watched_to_end(at: AppTest) -> dict:
    """The run trained and sent, and its playhead at the end: the player's last data."""
    data = settled(at)
    send(at, "end", data["ending"]["step"])
    return data


def press(at: AppTest, key: str) -> AppTest:
    at.button(key=f"live.{key}").click().run()
    assert not at.exception
    return at


def first_key(run, at: AppTest) -> str:
    return f"{at.session_state['live.token']}:{run.run_id}"


def open_tab(at: AppTest, name: str) -> AppTest:
    """Open one of the live page's tabs (only the open one is built)."""
    at.session_state["live.tab"] = name
    at.run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def engine(settings: Settings):
    trainer = Trainer(settings.init(), settings.config())
    return trainer.run()[0], trainer.history.table()


def test_default_page_is_the_notebook_setup_ready_to_play():
    at = open_app()
    assert at.slider(key="live.w_hh").value == NOTEBOOK_INIT.w_hh
    assert at.text_input(key="live.w_ih.exact").value == format_value("w_ih", NOTEBOOK_INIT.w_ih)
    assert at.toggle(key="live.bias").value is False
    assert [s.key for s in at.slider] == ["live.w_hh", "live.w_ih"]  # no bias sliders
    assert dict(at.query_params) == {}
    data = player(at)
    assert data["view"] == {"step": 0, "playing": False, "speed": "auto"}
    assert data["autoplay"] is False and data["budget"] == 50_000
    assert data["ready"] == "Press Play to watch it train, or step through it by hand."
    assert data["plotly"].startswith("/app/static/plotly-") and data["plotly"].endswith(".min.js")
    names = [type(e).__name__ for e in at.main]
    assert "Tab" in names and not at.get("plotly_chart")  # the live charts are the player's


def test_the_player_gets_the_engines_run_row_for_row_and_its_ending():
    settings = Settings(w_hh=0.83, w_ih=0.7645)
    at = open_app(w_hh="0.83", w_ih="0.7645", bias="false", lr="0.001")
    data = settled(at)
    result, history = engine(settings)
    steps, columns = data["all"]
    assert steps.tolist() == history["step"]
    assert columns["loss"].tobytes() == np.asarray(history["loss"], np.float32).tobytes()
    assert columns["w_hh"].tobytes() == np.asarray(history["w_hh"], np.float32).tobytes()
    ending = data["ending"]
    assert ending["step"] == result.converged_at
    assert ending["label"] == f"converged at step {result.converged_at}"
    assert ending["sentence"].startswith(f"Converged at step {result.converged_at}: w_hh and")
    assert ending["agreement"]["label"] == "This run agrees with the notebook"
    open_tab(at, "Long sequences")
    assert metrics(at)["sequence length"] == "10,000"


def test_a_dead_init_from_the_url_is_announced_then_marked_dead():
    at = open_app(w_hh="0.7", w_ih="-0.2", bias="false")
    assert at.slider(key="live.w_ih").value == Settings(w_ih=-0.2).w_ih
    data = settled(at)
    assert data["ready"].startswith("This initialisation is in the dead region: w_ih = -0.2")
    assert data["ending"]["label"] == "dead from the start" and data["ending"]["step"] == 99
    assert data["ending"]["spans"][0]["words"] == "dead from step 0"
    _, columns = data["all"]
    assert set(columns["active"].tolist()) == {0.0}


def test_a_diverging_run_is_dated_and_its_non_finite_values_sent_as_they_are():
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
    data = settled(at)
    result = at.session_state["live.run"].final()
    assert data["ending"]["label"] == f"diverged at step {result.diverged_at}"
    assert data["ending"]["spans"][0]["words"] == f"diverged from step {result.diverged_at}"
    _, columns = data["all"]
    assert not np.isfinite(columns["loss"][-1])


def test_garbage_in_the_url_warns_and_falls_back_to_the_defaults():
    at = open_app(w_hh="abc", lr="5e9", w_ih="<img src=x onerror=alert(1)>", steps="1e999", foo="1")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 5
    assert any(w.startswith("w\\_hh \\= \\'abc\\'\\: must be a number") for w in warnings)
    assert any("\\<img src\\=x" in w for w in warnings)  # shown as text, never as HTML
    assert any("Unknown URL parameter \\'foo\\'" in w for w in warnings)
    assert player(at)["view"]["step"] == 0
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
        activation="prelu",
        slope="0.125",
    )
    setup = at.session_state["live.run"].settings
    assert setup.steps == 1234 and setup.optimizer == "sgd"  # the URL was taken
    assert setup.activation == "prelu" and setup.slope == 0.125
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


def test_moving_a_slider_starts_a_new_run_and_rewrites_the_url():
    at = open_app()
    first = at.session_state["live.run"]
    at.slider(key="live.w_hh").set_value(0.5).run()
    assert at.text_input(key="live.w_hh.exact").value == "0.5"
    assert at.session_state["live.run"] is not first
    assert player(at)["run"] != first_key(first, at)
    assert dict(at.query_params) == {"w_hh": "0.5"}
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
    assert at.session_state["live.run"].settings == Settings(
        w_hh=0.83, w_ih=0.7645, steps=5000, criterion="tolerance"
    )
    assert player(at)["autoplay"] is True  # the browser plays it as soon as it has it
    assert dict(at.query_params) == {
        "w_hh": "0.83",
        "w_ih": "0.7645",
        "steps": "5000",
        "criterion": "tolerance",
    }
    link = [w.value for w in at.warning]
    assert [w.split("\\:")[0] for w in link] == ["lr \\= \\'oops\\'"]
    assert settled(at)["ending"]["label"] == "converged at step 4091"
    at.slider(key="live.w_hh").set_value(0.5).run()
    assert player(at)["autoplay"] is False  # a setup of one's own waits for Play


def test_where_the_playhead_stops_is_recorded_and_in_the_address():
    at = open_app(w_hh="0.5")
    settled(at)
    send(at, "play", 0)
    assert dict(at.query_params) == {"w_hh": "0.5"}  # playing: no step in the address
    send(at, "pause", 4_815)
    assert dict(at.query_params) == {"w_hh": "0.5", "at": "4815"}
    table = open_tab(at, "Runs").dataframe[0].value
    assert table["outcome"].tolist() == ["paused"] and table["steps_done"].tolist() == [4_815]
    expected = Trainer(Settings(w_hh=0.5).init(), Settings(w_hh=0.5).config())
    expected.step(4_815)
    assert table["final_loss"][0] == expected.results()[0].loss
    send(at, "seek", 120)
    table = open_tab(at, "Runs").dataframe[0].value
    assert table["steps_done"].tolist() == [120] and dict(at.query_params)["at"] == "120"
    assert send(at, "pause", 7, speed="100").session_state["live.view"].speed == "100"
    other = {"kind": "pause", "run": "someone-else:1", "step": 3, "speed": "auto", "have": 0}
    at.session_state["live.player"] = {"pause": {**other, "number": next(_EVENTS)}}
    at.run()
    assert dict(at.query_params)["at"] == "7"  # another run's event changes nothing
    at.slider(key="live.w_hh").set_value(0.6).run()
    assert dict(at.query_params) == {"w_hh": "0.6"}  # a new run starts at step 0


def test_a_link_opens_the_run_paused_at_its_step_and_keeps_it_in_the_address():
    at = open_app(w_hh="0.5", at="4815")
    data = player(at)
    assert data["view"] == {"step": 4815, "playing": False, "speed": "auto"}
    assert dict(at.query_params) == {"w_hh": "0.5", "at": "4815"}
    assert at.session_state["live.run"].frontier >= 4815 or at.session_state["live.run"].training
    bad = open_app(at="soon")
    assert player(bad)["view"]["step"] == 0 and dict(bad.query_params) == {}
    assert [w.value for w in bad.warning] == [
        plain_markdown(
            "at = 'soon': must be a whole number of steps, 0 or more. Opening at step 0."
        )
    ]


# -- issue 10: what the page does whatever the user does, and when ------------------------------


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


def test_an_overflow_at_step_0_is_explained_and_listed():
    at = open_app(w_hh="2", w_ih="1", max_length="100")
    data = settled(at)
    ending = data["ending"]
    assert (ending["label"], ending["step"]) == ("diverged at step 0", 0)
    assert "before any update" in ending["sentence"]
    assert "overflowed float32" in ending["sentence"] and "overshot" not in ending["sentence"]
    steps, columns = data["all"]
    assert steps.tolist() == [0] and columns["w_hh"].tolist() == [2.0]
    assert ending["spans"][0]["words"] == "diverged from step 0"
    table = open_tab(at, "Runs").dataframe[0].value
    assert table["status"].tolist() == ["diverged at step 0"] and table["run"].tolist() == [1]

    at.query_params.clear()
    at.query_params["w_hh"], at.query_params["w_ih"] = "1", "1"
    at.run()
    assert settled(at)["ending"]["label"] == "converged at step 0"
    table = open_tab(at, "Runs").dataframe[0].value
    assert table["status"].tolist() == ["diverged at step 0", "converged at step 0"]


def test_the_history_numbers_runs_consecutively_and_shows_the_outcome_first():
    at = open_app()
    send(at, "pause", 1)
    at.slider(key="live.w_hh").set_value(0.5).run()  # a new run, never played: no row, no number
    at.slider(key="live.w_hh").set_value(0.6).run()
    settled(at)
    send(at, "pause", 100)
    table = open_tab(at, "Runs").dataframe[0].value
    assert table["run"].tolist() == [1, 2]
    assert list(table.columns[:5]) == ["run", "outcome", "steps_done", "final_loss", "status"]
    assert table["steps_done"].tolist() == [1, 100] and table["budget"].tolist() == [50_000] * 2
    assert table["bias"].tolist() == ["no", "no"]  # text, not a checkbox like the row selector
    assert at.selectbox(key="live.history.pick").options == ["run 1: paused", "run 2: paused"]


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


def test_values_the_full_run_before_had_are_outdated_and_others_are_changes():
    """A fragment's run can bring the widget values from before the last full run (Streamlit
    held its request behind that run): those are put back; any other value is the user's."""
    from app_pages.live_parts.controls import outdated

    random_init = {
        "live.w_hh": 0.14175176620483398,
        "live.w_hh.exact": "0.14175177",
        "live.seed": "1287898659",
    }
    notebook = {"live.w_hh": 0.8300079107284546, "live.w_hh.exact": "0.8300079", "live.seed": "42"}
    # the browser sends a slider's value back rounded: the same float32
    from_browser = {**random_init, "live.w_hh": 0.14175177}
    assert outdated(from_browser, notebook, [random_init])
    assert outdated({**notebook, "live.seed": "1287898659"}, notebook, [random_init])
    assert not outdated({**notebook, "live.seed": "7"}, notebook, [random_init])
    assert not outdated({**from_browser, "live.seed": "7"}, notebook, [random_init])
    assert not outdated(from_browser, notebook, [])


def test_an_address_the_session_wrote_a_moment_ago_is_not_a_link_to_open():
    """A request the browser sent before the newest address reached it (a second click on a slow
    link) carries the address from before: the click acts, and the old setup does not return."""
    at = open_app(seed="7")
    at.button(key="live.random").click().run()
    first = dict(at.query_params)
    assert "w_hh" in first and first["seed"] != "7"
    at.query_params.clear()
    at.query_params["seed"] = "7"  # the browser had not yet had the first click's address
    at.button(key="live.random").click().run()
    assert not at.exception
    second = dict(at.query_params)
    assert second["seed"] not in ("7", first["seed"]) and "w_hh" in second
    assert at.session_state["live.run"].settings == Settings.from_params(second)[0]
