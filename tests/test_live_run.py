"""A live run as the page drives it: trained ahead by its one background task, read at any step
exactly as the engine would have it there, and recorded where its viewer stopped."""

import json
import math
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
from pyarrow import parquet

from l1viz.engine.outcomes import Ending
from l1viz.engine.trainer import Trainer
from l1viz.live.badge import status_of
from l1viz.live.run import HISTORY_ROWS, LiveRun
from l1viz.live.run_log import MAX_RUNS, RunLog
from l1viz.live.settings import Settings
from l1viz.plots.time_charts import Span, spans_of

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
# Trains for a long time without a verdict: the notebook's init under slow SGD and a tight rule.
LONG = Settings(lr=1e-4, optimizer="sgd", criterion="tolerance", tolerance=1e-8, steps=10**7)
# The notebook's init on sequences up to 1,000 long: no verdict for minutes, and its first 20,000
# steps take a second or more.
SLOW = Settings(max_length=1_000, steps=10**7)


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.01)


def finished(settings: Settings, run_id: int = 1) -> LiveRun:
    run = LiveRun(settings, run_id)
    run.want(settings.steps)
    wait_until(lambda: run.done)
    return run


def engine_at(settings: Settings, step: int) -> Trainer:
    trainer = Trainer(settings.init(), settings.config())
    trainer.step(step)
    return trainer


# -- training ahead -----------------------------------------------------------------------------
def test_a_short_run_is_trained_whole_at_once_and_ends_as_the_engine_does():
    run = LiveRun(CONVERGING)
    wait_until(lambda: run.done)  # without being asked: it takes milliseconds
    final = run.final()
    assert (final.outcome, final.steps) == ("converged", 9783)
    assert status_of(final).label == "converged at step 9783"
    alone = Trainer(CONVERGING.init(), CONVERGING.config()).run()[0]
    assert final == alone


def test_after_its_first_seconds_a_run_trains_only_as_far_as_its_viewer_asks():
    run = LiveRun(LONG)
    wait_until(lambda: not run.training, seconds=10)
    first = run.frontier
    assert 0 < first < LONG.steps and not run.done
    time.sleep(0.2)
    assert run.frontier == first  # nobody asked for more
    run.want(first + 500)
    wait_until(lambda: not run.training and run.frontier >= first + 500, seconds=30)
    assert run.frontier == first + 500
    run.close()
    run.want(first + 5_000)
    time.sleep(0.2)
    assert run.frontier == first + 500 and not run.training  # a closed run trains no more


def test_a_lower_step_asked_for_stops_training_there():
    """Max speed asks for the whole budget; a Pause then asks for a little past the playhead:
    the run stops there instead of training its whole budget while the page stays open."""
    run = LiveRun(LONG)
    wait_until(lambda: not run.training, seconds=10)
    run.want(LONG.steps)  # playing at max speed
    wait_until(lambda: run.frontier > 0 and run.training)
    paused_at = run.frontier
    run.want(paused_at + 100)  # paused: a lead past the playhead
    wait_until(lambda: not run.training, seconds=5)
    stopped = run.frontier
    assert paused_at <= stopped < LONG.steps
    time.sleep(0.3)
    run.want(paused_at + 100)  # the page keeps asking the same while paused
    time.sleep(0.3)
    assert run.frontier == stopped and not run.training
    run.close()


def test_every_step_reads_as_the_engine_trained_alone_to_it():
    run = finished(DYING)
    rows = run.rows()
    final = run.final()
    assert rows.steps[-1] == final.steps
    for step in (0, 1, 17, final.died_at - 1, final.died_at, final.steps - 1, final.steps):
        alone = engine_at(DYING, step)
        at = run.result_at(step)
        expected = alone.results()[0]
        assert at.steps == expected.steps == step
        assert at.params == expected.params and at.loss == expected.loss
        assert at.active == expected.active
        done = step == final.steps
        assert at.outcome == (expected.outcome if done else "training")


def test_reads_from_other_threads_never_see_half_a_chunk():
    """Script runs read while the task trains: every read is one consistent history."""
    run = LiveRun(SLOW)
    reads = []
    while run.training and len(reads) < 200:
        rows = run.rows()
        reads.append(rows)
        assert {len(column) for column in rows.columns.values()} == {len(rows.steps)}
        assert np.all(np.diff(rows.steps) > 0)
        time.sleep(0.002)
    assert len({len(rows) for rows in reads}) > 1  # it was training while read
    run.close()


def test_rows_arrive_in_pieces_that_join_to_the_whole_history():
    run = LiveRun(SLOW)
    pieces, epoch, count = [], 0, 0
    while run.training:
        piece = run.rows(epoch, count)
        pieces.append(piece)
        epoch, count = piece.epoch, piece.start + len(piece)
        time.sleep(0.01)
    whole = run.rows()
    joined = np.concatenate([piece.steps for piece in pieces if piece.epoch == whole.epoch])
    assert np.array_equal(joined, whole.steps)
    for name, column in whole.columns.items():
        parts = [piece.columns[name] for piece in pieces if piece.epoch == whole.epoch]
        assert np.array_equal(np.concatenate(parts), column, equal_nan=True)
    run.close()


def test_a_thinned_history_starts_a_new_epoch_and_keeps_the_last_step():
    budget = HISTORY_ROWS + 3  # stalls there: more rows than a live run keeps
    run = finished(Settings(steps=budget, lr=1e-4, optimizer="sgd"))
    rows = run.rows(epoch=1, start=19_000)
    assert rows.epoch == 2 and rows.start == 0  # the history dropped every other row
    assert rows.steps[-2] == budget - 1 and rows.steps[-1] == budget  # the end, not recorded
    last = run.result_at(budget)
    assert last.outcome == "stalled"
    assert rows.columns["w_hh"][-1] == np.float32(last.params["w_hh"])
    assert rows.columns["loss"][-1] == np.float32(last.loss)


def test_learned_transform_rows_carry_the_effective_input_weights():
    run = finished(Settings(transform="learned", steps=50))
    rows = run.rows()
    values = run.final().params
    assert rows.columns["w_ih_pos"][-1] == pytest.approx(values["w_ih"] * values["slope_pos"])
    assert rows.columns["w_ih_neg"][-1] == pytest.approx(values["w_ih"] * values["slope_neg"])
    assert rows.columns["slope_pos"][-1] == pytest.approx(values["slope_pos"])


def test_a_rebuilt_run_replays_bit_for_bit():
    first, second = finished(DYING), finished(DYING)
    one, two = first.rows(), second.rows()
    assert np.array_equal(one.steps, two.steps)
    for name in one.columns:
        assert np.array_equal(one.columns[name], two.columns[name], equal_nan=True)
    assert torch.equal(first.trainer.params, second.trainer.params)


# -- endings ------------------------------------------------------------------------------------
def test_endings_are_labelled_and_shaded_from_their_step():
    dead = finished(DEAD)
    assert status_of(dead.final()).label == "dead from the start"
    assert spans_of(dead.final()) == [Span(Ending.DEAD_AT_INIT, 0, 99)]
    assert set(dead.rows().columns["active"]) == {0.0}
    dying = finished(DYING)
    final = dying.final()
    assert status_of(final).label == f"died at step {final.died_at}" and final.died_at > 0
    assert spans_of(final) == [Span(Ending.DIED, final.died_at, final.steps)]
    diverging = finished(DIVERGING)
    final = diverging.final()
    assert status_of(final).label == f"diverged at step {final.diverged_at}"
    silent = finished(Settings(w_hh=0.5, w_ih=0.05, b_hh=-0.5, b_ih=-0.5, bias=True))
    status = status_of(silent.final())
    assert (status.label, status.color) == ("dead in practice from the start", "violet")


def test_before_the_end_a_run_is_ready_training_or_paused():
    run = finished(CONVERGING)
    assert status_of(run.result_at(0), playing=False).label == "ready"
    assert status_of(run.result_at(0), playing=True).label == "training"
    assert status_of(run.result_at(4_000), playing=False).label == "paused"
    assert status_of(run.result_at(9_783), playing=False).label == "converged at step 9783"


def test_identity_is_converged_before_any_step():
    run = LiveRun(Settings(w_hh=1.0, w_ih=1.0))
    assert run.done and status_of(run.final()).label == "converged at step 0"
    assert run.rows().steps.tolist() == [0]


def test_a_failure_in_training_is_reported_not_raised(monkeypatch):
    run = LiveRun(LONG, train=False)

    def broken(count):
        raise RuntimeError("out of something")

    monkeypatch.setattr(run.trainer, "step", broken)
    run.want(10)
    wait_until(lambda: not run.training)
    assert run.error == "RuntimeError: out of something" and not run.done


# -- the session's runs -------------------------------------------------------------------------
def test_run_log_records_a_run_where_its_viewer_stopped():
    log = RunLog()
    first = finished(CONVERGING, run_id=1)
    log.record(first, 0)
    assert len(log) == 0  # nothing happened yet
    log.record(first, 100)
    assert log.table()["outcome"].tolist() == ["paused"]
    assert log.table()["steps_done"].tolist() == [100]
    assert log.get(1).trajectory["step"][-1] == 100
    log.record(first, 9_783)
    dead = finished(DEAD, run_id=2)
    log.record(dead, 99)
    table = log.table()
    assert table["run"].tolist() == [1, 2]
    assert list(table.columns[:5]) == ["run", "outcome", "steps_done", "final_loss", "status"]
    assert table["outcome"].tolist() == ["converged", "dead"]
    assert table["status"].tolist() == ["converged at step 9783", "dead from the start"]
    assert table["steps_done"].tolist() == [9783, 99]
    assert table["budget"].tolist() == [CONVERGING.steps, DEAD.steps]
    assert table["w_ih₀"].tolist() == [CONVERGING.w_ih, DEAD.w_ih]
    assert table["final_loss"][0] == pytest.approx(first.final().loss)

    rows = json.loads(log.table_json())
    assert [row["outcome"] for row in rows] == ["converged", "dead"]
    csv = pd.read_csv(pd.io.common.StringIO(log.table().to_csv(index=False)))
    assert csv["steps_done"].tolist() == [9783, 99]
    trajectory = json.loads(log.get(1).trajectory_json())
    assert trajectory["status"] == "converged at step 9783"
    assert trajectory["trajectory"]["step"][-1] == 9783
    assert trajectory["settings"]["w_hh"] == CONVERGING.w_hh
    rows = pd.read_csv(pd.io.common.StringIO(log.get(1).trajectory_csv()))
    assert rows["step"].tolist() == trajectory["trajectory"]["step"]
    assert rows["w_ih"].tolist() == pytest.approx(trajectory["trajectory"]["w_ih"])
    stored = parquet.read_table(pa.BufferReader(log.get(1).trajectory_parquet()))
    assert stored.column("step").to_pylist() == trajectory["trajectory"]["step"]
    assert stored.column("w_ih").to_pylist() == trajectory["trajectory"]["w_ih"]  # exact floats
    assert json.loads(stored.schema.metadata[b"settings"])["w_hh"] == CONVERGING.w_hh
    assert stored.schema.metadata[b"outcome"] == b"converged"
    label, steps, losses = log.loss_curves([2])[0]
    assert label == "run 2: dead from the start" and steps[-1] == 99 and len(losses) == 100


def test_run_log_numbers_runs_in_the_order_they_are_recorded():
    """Runs that were built but never moved (a slider moved, say) take no number."""
    log = RunLog()
    for run_id in (3, 4, 9):
        run = finished(CONVERGING, run_id=run_id)
        log.record(run, 0)  # ready: not recorded
        log.record(run, 10)
    identity = LiveRun(Settings(w_hh=1.0, w_ih=1.0), run_id=12)
    log.record(identity, 0)  # decided at step 0: a finished run like any other
    assert log.table()["run"].tolist() == [1, 2, 3, 4]
    assert log.table()["status"].tolist()[-1] == "converged at step 0"
    assert [log.number(run_id) for run_id in log.run_ids] == [1, 2, 3, 4]
    assert log.loss_curves([9])[0][0] == "run 3: paused"


def test_run_log_keeps_the_latest_runs_and_json_has_no_nan():
    log = RunLog()
    for run_id in range(1, MAX_RUNS + 3):
        log.record(finished(DIVERGING, run_id=run_id), 100)
    assert log.run_ids == list(range(3, MAX_RUNS + 3))
    trajectory = json.loads(log.get(3).trajectory_json())
    assert None in trajectory["trajectory"]["loss"]  # the non-finite loss, as null
    assert not any(isinstance(v, float) and math.isnan(v) for v in trajectory["trajectory"]["loss"])


def test_recording_from_many_threads_keeps_one_row_per_run():
    log = RunLog()
    run = finished(CONVERGING)
    threads = [threading.Thread(target=log.record, args=(run, s)) for s in range(1, 40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log) == 1 and log.get(1).steps in range(1, 40)
