"""A run as the live view drives it: status words, shaded spans, display series, replays, the
generalisation check and the run history."""

import json
import math
import threading
import time

import pandas as pd
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from l1viz.engine.outcomes import Ending
from l1viz.live.run import LiveRun, Span, evenly_spaced
from l1viz.live.run_log import MAX_RUNS, RunLog
from l1viz.live.settings import Settings

CONVERGING = Settings()  # the notebook's init: converges at step 9783 with the default (exact) rule
DEAD = Settings(w_hh=0.7, w_ih=-0.2)
DYING = Settings(
    w_hh=0.7907,
    w_ih=1.2,
    b_hh=-1.3559,
    b_ih=-0.8709,
    bias=True,
    optimizer="sgd",
    lr=0.01,
    steps=3_000,
)
DIVERGING = Settings(  # seed 46: the first SGD update overshoots to an overflowing loss
    w_hh=0.9, w_ih=0.5, b_hh=0.1, b_ih=0.1, bias=True, lr=1.0, optimizer="sgd", steps=100, seed=46
)


def finished(settings: Settings) -> LiveRun:
    run = LiveRun(settings)
    while not run.done:
        run.step(1_000)
    return run


def test_status_and_explanation_through_a_converging_run():
    run = LiveRun(CONVERGING)
    assert run.status().label == "ready" and run.explanation() == ""
    run.step(1)
    assert run.status().label == "training"
    assert run.explanation().startswith("Training: step 1 of 50,000")
    while not run.done:
        run.step(1_000)
    assert run.status().label == "converged at step 9783"
    assert run.explanation().startswith(
        "Converged at step 9783: w_hh and the input weight are both exactly 1.0"
    )
    assert run.spans() == []


def test_dead_from_the_start_is_announced_before_play_and_shaded_after():
    run = LiveRun(DEAD)
    assert run.status().label == "ready"
    assert run.explanation() == (
        "This initialisation is in the dead region: w_ih = -0.2 ≤ 0 and no bias: the first "
        "pre-activation w_ih·|x₁| is ≤ 0 for every input, so h stays 0 and every gradient is 0."
    )
    while not run.done:
        run.step(7)
    assert run.status().label == "dead from the start"
    assert run.spans() == [Span(Ending.DEAD_AT_INIT, 0, 99)]
    series = run.series()
    assert set(series["active"]) == {0.0} and set(series["w_ih"]) == {DEAD.w_ih}


def test_an_init_that_never_fires_is_dead_in_practice_with_its_threshold():
    silent = finished(Settings(w_hh=0.5, w_ih=0.05, b_hh=-0.5, b_ih=-0.5, bias=True))
    status = silent.status()
    assert (status.label, status.color) == ("dead in practice from the start", "violet")
    assert silent.spans() == [Span(Ending.DEAD_IN_PRACTICE, 0, 99)]
    text = silent.explanation()
    assert text.startswith("Dead in practice from the start: outside the dead region, but while")
    assert "fires only for |x| > 20 (P = 5.5e-89 per N(0, 1) input)" in text
    assert "beyond |x| > 5.3 an input comes less than once in the 50,000-step budget" in text


def test_dying_mid_run_and_diverging_are_dated():
    dying = finished(DYING)
    result = dying.result()
    assert dying.status().label == f"died at step {result.died_at}" and result.died_at > 0
    assert dying.spans() == [Span(Ending.DIED, result.died_at, result.steps)]
    diverging = finished(DIVERGING)
    result = diverging.result()
    assert diverging.status().label == f"diverged at step {result.diverged_at}"
    assert diverging.spans() == [Span(Ending.DIVERGED, result.diverged_at, result.steps)]
    assert diverging.explanation().startswith(f"Diverged at step {result.diverged_at}: with lr = 1")


def test_stalled_when_the_budget_runs_out():
    run = finished(Settings(steps=50))
    assert run.status().label == "stalled" and run.steps_done == 50


def test_identity_is_converged_before_any_step():
    run = LiveRun(Settings(w_hh=1.0, w_ih=1.0))
    assert run.done and run.status().label == "converged at step 0"


def test_a_rebuilt_run_replays_bit_for_bit():
    first, second = LiveRun(DYING), LiveRun(DYING)
    first.step(700)
    second.step(300)
    second.step(400)
    assert first.series() == second.series()
    assert torch.equal(first.trainer.params, second.trainer.params)


def test_advance_trains_for_a_slice_of_time_and_stops_at_the_verdict():
    run = LiveRun(CONVERGING)
    assert run.advance(0.05) == 0 and not run.playing  # not playing: nothing to do
    run.play()
    made = run.advance(0.05)
    assert made >= 50 and run.steps_done == made
    while not run.done:
        run.advance(0.5)
    assert run.steps_done == 9783 and run.advance(0.5) == 0
    assert not run.playing  # the verdict stopped it
    run.play()
    assert not run.playing  # a finished run cannot play


def test_step_pauses_a_playing_run():
    run = LiveRun(CONVERGING)
    run.play()
    assert run.step(100) == 100 and run.steps_done == 100
    assert not run.playing and run.advance(0.05) == 0


# Trains for a long time without a verdict: the notebook's init under slow SGD and a tight rule.
LONG = Settings(lr=1e-4, optimizer="sgd", criterion="tolerance", tolerance=1e-8, steps=10**7)


def test_reads_from_another_thread_never_see_a_half_written_history():
    """A click starts a new script run while the last one may still be training: every read the
    page makes, from another thread, must see one consistent state (the IndexError of issue 10
    came from a history read while a chunk appended to it)."""
    run = LiveRun(LONG)

    def train_meanwhile(read, count=40):
        """`count` reads while another thread trains in chunks of 50 steps."""
        stop = threading.Event()

        def train():
            while not stop.is_set():
                run.step(50)

        trainer = threading.Thread(target=train)
        trainer.start()
        reads = []
        try:
            while len(reads) < count:
                reads.append(read())
                time.sleep(0.002)  # a page reads now and then, not back to back
        finally:
            stop.set()
            trainer.join()
        return reads

    for series in train_meanwhile(run.series):
        lengths = {name: len(values) for name, values in series.items()}
        assert set(lengths.values()) == {len(series["step"])}, lengths
    snapshots = train_meanwhile(run.snapshot)
    for now in snapshots:
        assert now.series["step"][-1] <= now.steps_done == now.result.steps  # rows thin out
    steps = [now.steps_done for now in snapshots]
    assert steps == sorted(steps) and steps[-1] > steps[0]


def test_pause_stops_a_slice_in_flight_and_the_counter_stays():
    """The slice of another script run stops within a chunk of the pause, however long the slice
    it was asked for; after `pause` returns, no step is made until play."""
    run = LiveRun(LONG)
    run.play()
    ended = []
    slice_ = threading.Thread(target=lambda: ended.append((run.advance(30.0), time.monotonic())))
    slice_.start()
    while run.steps_done < 200:
        time.sleep(0.01)
    paused_at = time.monotonic()
    run.pause()
    stopped = run.steps_done
    slice_.join(timeout=5)
    assert not slice_.is_alive()
    ((made, finished),) = ended
    assert finished - paused_at < 0.3
    time.sleep(0.2)
    assert run.steps_done == stopped == made


@given(st.integers(0, 5_000), st.integers(2, 2_000))
def test_evenly_spaced_keeps_the_ends_and_the_limit(count, limit):
    picked = evenly_spaced(count, limit)
    assert len(picked) == min(count, limit) or (count > limit and len(picked) <= limit)
    assert picked == sorted(set(picked))
    if count:
        assert picked[0] == 0 and picked[-1] == count - 1


def test_series_are_thinned_for_display_but_keep_both_ends():
    run = LiveRun(Settings(bias=True, b_hh=0.1, b_ih=-0.3))
    run.step(3_000)
    full = run.trainer.history.table()
    series = run.series(limit=500)
    assert len(series["step"]) == 500
    assert series["step"][0] == 0 and series["step"][-1] == full["step"][-1] == 3_000
    at = {step: i for i, step in enumerate(full["step"])}
    for i, step in enumerate(series["step"]):
        assert series["loss"][i] == full["loss"][at[step]]
        assert series["b"][i] == pytest.approx(full["b_hh"][at[step]] + full["b_ih"][at[step]])


def test_learned_transform_series_show_the_effective_input_weights():
    run = LiveRun(Settings(transform="learned"))
    run.step(10)
    series = run.series()
    values = run.trainer.named_params()
    assert series["w_ih_pos"][-1] == pytest.approx(values["w_ih"] * values["slope_pos"])
    assert series["w_ih_neg"][-1] == pytest.approx(values["w_ih"] * values["slope_neg"])


def test_generalisation_of_the_solution_is_exact_and_of_the_start_is_not():
    solution = LiveRun(Settings(w_hh=1.0, w_ih=1.0)).generalisation()
    assert solution.lengths[0] == 1 and solution.lengths[-1] == 10_000
    assert solution.check.length == 10_000
    assert solution.check.relative_error < 1e-4
    assert solution.predicted[-1] == solution.check.predicted
    assert solution.actual == sorted(solution.actual)  # L1 norms of growing prefixes
    start = LiveRun(CONVERGING).generalisation()
    assert start.check.actual == solution.check.actual  # same sequence (the run's seed)
    assert start.check.relative_error > 0.1


def test_landscape_key_rounds_the_bias_sum_and_slopes():
    run = LiveRun(Settings(bias=True, b_hh=0.123, b_ih=0.2))
    assert run.landscape_key() == ("where", True, 0.32, (1.0, 1.0), 10)
    learned = LiveRun(Settings(transform="learned", max_length=7))
    transform, bias, bias_sum, slopes, length = learned.landscape_key()
    values = learned.trainer.named_params()
    assert (transform, bias, bias_sum, length) == ("learned", False, 0.0, 7)
    assert slopes == (round(values["slope_pos"], 2), round(values["slope_neg"], 2))


# -- history -----------------------------------------------------------------------------------
def test_run_log_rows_update_in_place_and_export():
    log = RunLog()
    first = LiveRun(CONVERGING, run_id=1)
    log.record(first)
    assert len(log) == 0  # nothing happened yet
    first.step(100)
    log.record(first)
    assert log.table()["outcome"].tolist() == ["paused"]
    while not first.done:
        first.step(1_000)
    log.record(first)
    dead = finished(DEAD)
    dead.run_id = 2
    log.record(dead)
    table = log.table()
    assert table["run"].tolist() == [1, 2]
    assert list(table.columns[:5]) == ["run", "outcome", "steps_done", "final_loss", "status"]
    assert table["outcome"].tolist() == ["converged", "dead"]
    assert table["status"].tolist() == ["converged at step 9783", "dead from the start"]
    assert table["steps_done"].tolist() == [9783, 99]
    assert table["budget"].tolist() == [CONVERGING.steps, DEAD.steps]
    assert table["w_ih₀"].tolist() == [CONVERGING.w_ih, DEAD.w_ih]
    assert table["final_loss"][0] == pytest.approx(first.result().loss)

    rows = json.loads(log.table_json())
    assert [row["outcome"] for row in rows] == ["converged", "dead"]
    csv = pd.read_csv(pd.io.common.StringIO(log.table().to_csv(index=False)))
    assert csv["steps_done"].tolist() == [9783, 99]
    record = log.get(1)
    trajectory = json.loads(record.trajectory_json())
    assert trajectory["status"] == "converged at step 9783"
    assert trajectory["trajectory"]["step"][-1] == 9783
    assert trajectory["settings"]["w_hh"] == CONVERGING.w_hh
    rows = pd.read_csv(pd.io.common.StringIO(record.trajectory_csv()))
    assert rows["step"].tolist() == trajectory["trajectory"]["step"]
    assert rows["w_ih"].tolist() == pytest.approx(trajectory["trajectory"]["w_ih"])
    label, steps, losses = log.loss_curves([2])[0]
    assert label == "run 2: dead from the start" and steps[-1] == 99 and len(losses) == 100


def test_run_log_numbers_runs_in_the_order_they_are_recorded():
    """Runs that were built but never stepped (a slider moved, say) take no number."""
    log = RunLog()
    for run_id in (3, 4, 9):
        run = LiveRun(CONVERGING, run_id=run_id)
        log.record(run)  # ready: not recorded
        run.step(10)
        log.record(run)
    identity = LiveRun(Settings(w_hh=1.0, w_ih=1.0), run_id=12)
    log.record(identity)  # decided at step 0: a finished run like any other
    assert log.table()["run"].tolist() == [1, 2, 3, 4]
    assert log.table()["status"].tolist()[-1] == "converged at step 0"
    assert [log.number(run_id) for run_id in log.run_ids] == [1, 2, 3, 4]
    assert log.loss_curves([9])[0][0] == "run 3: training"


def test_run_log_keeps_the_latest_runs_and_json_has_no_nan():
    log = RunLog()
    for run_id in range(1, MAX_RUNS + 3):
        run = LiveRun(DIVERGING, run_id=run_id)
        run.step(100)
        log.record(run)
    assert log.run_ids == list(range(3, MAX_RUNS + 3))
    trajectory = json.loads(log.get(3).trajectory_json())
    assert None in trajectory["trajectory"]["loss"]  # the non-finite loss, as null
    assert not any(isinstance(v, float) and math.isnan(v) for v in trajectory["trajectory"]["loss"])
