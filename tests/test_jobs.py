"""The study board: one job per key, and a queued job nobody reads any more is not started."""

from __future__ import annotations

import threading
import time

from l1viz.live.jobs import DONE, QUEUED, JobBoard


def finished(job, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while job.state().status != DONE and time.monotonic() < deadline:
        time.sleep(0.01)
    return job.state()


def test_the_same_key_is_the_same_job_and_it_runs_once():
    board, calls = JobBoard(workers=1), []
    first = board.job("table", lambda publish: calls.append(1) or "measured", None)
    again = board.job("table", lambda publish: calls.append(2) or "other", None)
    assert again is first
    assert finished(first).latest == "measured" and calls == [1]


def test_a_queued_job_nobody_reads_is_not_started_and_asking_again_queues_it():
    board, release, ran = JobBoard(workers=1, unwatched_s=0.2), threading.Event(), []
    busy = board.job("busy", lambda publish: release.wait(10) and "done", None)
    watched = board.job("watched", lambda publish: ran.append("watched") or 1, None)
    left = board.job("left", lambda publish: ran.append("left") or 2, None)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:  # a page polls one of the queued jobs, not the other
        assert watched.state().status == QUEUED
        time.sleep(0.05)
    release.set()
    assert finished(busy).status == DONE and finished(watched).latest == 1
    time.sleep(0.2)
    assert ran == ["watched"] and left.state().status == QUEUED
    asked = board.job("left", lambda publish: ran.append("left") or 2, None)
    assert asked is not left and finished(asked).latest == 2 and ran == ["watched", "left"]
