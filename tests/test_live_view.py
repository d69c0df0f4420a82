"""The viewer's side of a live run: speeds and paces, the browser's events (whatever it sends),
how far ahead the server trains, the address of a stopped playhead, and the payload the player
gets: only the rows it lacks, exact to the bit, and the ending with its step."""

import base64
import math
import time

import numpy as np
import pytest

from l1viz.export.autograd_gap import NOTEBOOK_GAP
from l1viz.live.player_data import Cursor, Presentation, payload, run_key
from l1viz.live.run import HISTORY_ROWS, LiveRun
from l1viz.live.settings import Settings
from l1viz.live.view import (
    LEAD_STEPS,
    ViewEvent,
    ViewState,
    apply,
    pace,
    read_view_query,
    training_target,
    view_query,
)
from tests.test_live_run import DEAD, DYING, LONG, finished

KEY = run_key("t0k3n", 1)


def test_auto_plays_a_known_run_over_ten_seconds_and_max_has_no_pace():
    assert pace("auto", 9_783, 50_000) == pytest.approx(978.3)
    assert pace("auto", 99, 50_000) == 20.0  # a short run still takes a few seconds
    assert pace("auto", None, 50_000) == 2_000.0  # end unknown: the first 20,000 steps in 10 s
    assert pace("auto", None, 1_000) == 100.0
    assert pace("100", 9_783, 50_000) == 100.0
    assert pace("max", 9_783, 50_000) is None
    assert pace("no such speed", 9_783, 50_000) == pytest.approx(978.3)


@pytest.mark.parametrize(
    "payload_",
    [
        None,
        "play",
        {},
        {"kind": "explode", "run": KEY},
        {"kind": "play", "run": 7},
        {"kind": "play", "run": KEY, "step": "x"},
        {"kind": "play", "run": KEY, "step": -1},
        {"kind": "play", "run": KEY, "step": 1, "speed": "warp"},
        {"kind": "play", "run": KEY, "step": float("inf")},
    ],
)
def test_events_that_are_not_events_are_ignored(payload_):
    assert ViewEvent.parse(payload_) is None


def test_events_move_the_view_and_other_runs_events_do_not():
    view = ViewState(KEY)
    play = ViewEvent.parse({"kind": "play", "run": KEY, "step": 40, "speed": "100", "have": 50})
    playing = apply(view, play, now=10.0)
    assert (playing.step, playing.playing, playing.speed, playing.since) == (40, True, "100", 10.0)
    assert playing.estimate(12.5, 100.0) == pytest.approx(290.0)
    paused = apply(playing, ViewEvent("pause", KEY, 300, "100", 301), now=13.0)
    assert (paused.step, paused.playing) == (300, False)
    assert paused.estimate(99.0, 100.0) == 300.0
    ended = apply(paused, ViewEvent("end", KEY, 9_783, "100", 9_784), now=14.0)
    assert ended.ended and not ended.playing
    ack = apply(ended, ViewEvent("ack", KEY, 0, "auto", 12), now=15.0)
    assert (ack.step, ack.have, ack.speed) == (9_783, 12, "100")
    other = apply(view, ViewEvent("play", run_key("t0k3n", 2), 5, "10", 0), now=1.0)
    assert other == view


def test_the_server_trains_ten_seconds_of_playback_ahead_of_the_playhead():
    view = ViewState(KEY, step=1_000, playing=True, speed="100", since=0.0)
    assert training_target(
        view, now=2.0, steps_per_second=100.0, budget=50_000
    ) == 1_200 + 1_000 + (LEAD_STEPS - 1_000)
    fast = ViewState(KEY, step=0, playing=True, speed="10000", since=0.0)
    assert training_target(fast, now=1.0, steps_per_second=10_000.0, budget=50_000) == 50_000
    assert training_target(fast, now=1.0, steps_per_second=None, budget=50_000) == 50_000
    paused = ViewState(KEY, step=30, playing=False)
    assert (
        training_target(paused, now=99.0, steps_per_second=100.0, budget=50_000) == 30 + LEAD_STEPS
    )


def test_a_stopped_playhead_is_in_the_address_and_a_link_opens_there():
    assert view_query(ViewState(KEY, step=4_815)) == {"at": "4815"}
    assert view_query(ViewState(KEY, step=4_815, playing=True)) == {}
    assert view_query(ViewState(KEY, step=0)) == {}
    assert read_view_query({"at": "4815"}) == (4_815, [])
    assert read_view_query({}) == (0, [])
    step, warnings = read_view_query({"at": "-3"})
    assert step == 0 and warnings == [
        "at = '-3': must be a whole number of steps, 0 or more. Opening at step 0."
    ]
    assert read_view_query({"at": ["1", "2"]})[1][0].startswith("at = given more than once")


def test_settings_ignore_the_views_own_parameter():
    settings, warnings = Settings.from_params({"at": "12", "w_hh": "0.5"})
    assert settings.w_hh == 0.5 and warnings == []


# -- the payload --------------------------------------------------------------------------------
def decoded(rows: dict) -> tuple[np.ndarray, dict]:
    steps = np.frombuffer(base64.b64decode(rows["steps"]), "<i4")
    columns = {
        name: np.frombuffer(base64.b64decode(text), "<f4") for name, text in rows["columns"].items()
    }
    return steps, columns


def test_payloads_repeat_the_rows_the_browser_lacks_until_it_says_it_has_them():
    """Two quick updates of one element can reach the browser as one: a payload is never
    counted as received until the browser says so, so a lost one is never a gap."""
    run = LiveRun(LONG)
    presentation = Presentation(run, KEY)
    run.want(HISTORY_ROWS + 10_000)  # beyond what the history keeps: a new epoch on the way
    cursor, held, epochs = Cursor(KEY), None, set()
    while run.training or cursor.behind(run):
        data = payload(presentation, ViewState(KEY), cursor, None, "/plotly.js")
        again = payload(presentation, ViewState(KEY), cursor, None, "/plotly.js")
        assert data["rows"]["start"] == (
            cursor.count if data["rows"]["epoch"] == cursor.epoch else 0
        )
        if again["rows"]["epoch"] == data["rows"]["epoch"]:  # the run may re-stride between
            assert again["rows"]["start"] == data["rows"]["start"]  # not acknowledged: again
        steps, columns = decoded(data["rows"])
        if data["rows"]["start"] == 0:
            held = (steps, columns)  # a new epoch (or the first rows): the browser starts again
        else:
            held = (
                np.concatenate([held[0], steps]),
                {name: np.concatenate([held[1][name], columns[name]]) for name in columns},
            )
        epochs.add(data["rows"]["epoch"])
        # The browser's ack: what it holds now.
        cursor = Cursor(KEY, data["rows"]["epoch"], len(held[0]), int(held[0][-1]))
        time.sleep(0.01)
    run.close()
    assert len(epochs) > 1
    whole = run.rows()
    assert np.array_equal(held[0], whole.steps)
    assert held[1]["loss"].tobytes() == whole.columns["loss"].tobytes()
    assert not cursor.behind(run)


def test_the_ending_comes_with_its_step_its_words_and_its_spans():
    run = finished(DYING)
    data = payload(Presentation(run, KEY), ViewState(KEY), Cursor(KEY), None, "/p.js")
    ending = data["ending"]
    final = run.final()
    assert ending["step"] == final.steps and data["complete"]
    assert ending["label"] == f"died at step {final.died_at}"
    assert ending["sentence"].startswith(f"Died at step {final.died_at}: the updates pushed")
    (span,) = ending["spans"]
    assert (span["start"], span["end"]) == (final.died_at, final.steps)
    assert span["words"] == f"dead from step {final.died_at}"
    assert any(note["text"].startswith("The update from step") for note in ending["notes"])
    params = data["templates"]["params"]["data"]
    (fatal,) = [trace for trace in params if trace["name"] == "the fatal update"]
    assert fatal["meta"]["reveal_from"] == final.died_at


def test_before_the_end_the_payload_says_nothing_of_it():
    run = LiveRun(LONG)
    data = payload(Presentation(run, KEY), ViewState(KEY), Cursor(KEY), None, "/p.js")
    run.close()
    assert data["ending"] is None and not data["complete"]
    speeds = {speed["key"]: speed["pace"] for speed in data["speeds"]}
    assert speeds["auto"] == 2_000 and speeds["max"] is None


def test_a_dead_init_is_announced_before_play_and_agrees_with_the_notebook_at_the_end():
    run = finished(DEAD)
    presentation = Presentation(run, KEY)
    assert presentation.ready_sentence == (
        "This initialisation is in the dead region: w_ih = -0.2 ≤ 0 and no bias: the first "
        "pre-activation w_ih·|x₁| is ≤ 0 for every input, so h stays 0 and every gradient is 0."
    )
    data = payload(presentation, ViewState(KEY), Cursor(KEY), None, "/p.js")
    assert data["ending"]["label"] == "dead from the start"
    agreement = data["ending"]["agreement"]
    assert agreement["label"] == "This run agrees with the notebook"
    assert agreement["sentence"].startswith("It was dead from the start, as the notebook saw")


def test_a_converged_run_that_misses_long_sequences_says_so():
    run = finished(Settings(criterion="tolerance"))
    data = payload(Presentation(run, KEY), ViewState(KEY), Cursor(KEY), None, "/p.js")
    note, step_note = data["ending"]["notes"]
    assert note["alarming"] and note["text"].startswith("Converged by the tolerance rule, yet:")
    steps = run.final().steps
    assert step_note == {"text": NOTEBOOK_GAP.step_note(steps), "alarming": False}
    assert step_note["text"].startswith(f"Step {steps:,} is the engine's: ")
    assert math.isfinite(data["ending"]["step"])


def test_the_chart_templates_bind_their_traces_to_the_rows():
    run = finished(Settings(bias=True, b_hh=0.1, b_ih=-0.05, steps=20))
    data = payload(Presentation(run, KEY), ViewState(KEY), Cursor(KEY), None, "/p.js")
    bound = {
        name: [trace["meta"]["y"] for trace in figure["data"] if "y" in trace.get("meta", {})]
        for name, figure in data["templates"].items()
    }
    assert bound == {
        "loss": ["loss"],
        "params": ["w_hh", "w_ih", "b_hh", "b_ih", "b"],
        "active": ["active"],
    }
    assert data["templates"]["loss"]["layout"]["meta"]["log_y"] is True
    assert data["templates"]["params"]["layout"]["meta"]["y_include"] == [1.0, 0.0]
    _, columns = decoded(data["rows"])
    assert {"w_hh", "w_ih", "b_hh", "b_ih", "b", "loss", "active"} <= set(columns)
    assert data["metrics"] == ["w_hh", "w_ih", "b_hh", "b_ih"]
