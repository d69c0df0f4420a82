"""Long studies (the measured table, outcome maps) computed once per server on worker threads, and
read by any session while they run: a job publishes its latest partial result as it goes.

The same key gives the same job, so a second session asking for the table a first one started
reads the one in progress instead of starting another. Work is done on a small pool (the machine
has two cores); at most `keep` jobs are remembered, the oldest finished ones forgotten first.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# A queued job that no page has read for this long is not started when its turn comes: whoever
# asked has moved on (a slope tried and changed again). Asking for it again queues it anew.
UNWATCHED_S = 30.0


@dataclass(frozen=True)
class JobState(Generic[T]):
    status: str  # queued, running, done or failed
    latest: T  # the newest partial result (the final one once done)
    error: str | None  # why it failed, in one line
    seconds: float  # since it started running (0 while queued)


class Job(Generic[T]):
    def __init__(self, first: T):
        self._lock = threading.Lock()
        self._latest, self._status, self._error = first, QUEUED, None
        self._started = self._finished = 0.0
        self._read = time.monotonic()

    def state(self) -> JobState[T]:
        with self._lock:
            self._read = time.monotonic()
            end = self._finished or time.monotonic()
            seconds = end - self._started if self._started else 0.0
            return JobState(self._status, self._latest, self._error, seconds)

    def unread_for(self) -> float:
        """Seconds since a reader last asked for the state."""
        with self._lock:
            return time.monotonic() - self._read

    def publish(self, latest: T) -> None:
        with self._lock:
            self._latest = latest

    def run(self, work: Callable[[Callable[[T], None]], T]) -> None:
        with self._lock:
            self._status, self._started = RUNNING, time.monotonic()
        try:
            final = work(self.publish)
        except Exception as error:  # any failure is shown to the reader, never raised at them
            with self._lock:
                self._status, self._error = FAILED, f"{type(error).__name__}: {error}"
                self._finished = time.monotonic()
            return
        with self._lock:
            self._latest, self._status, self._finished = final, DONE, time.monotonic()


def yield_to_sessions() -> None:
    """Lower this thread's priority (Linux schedules threads one by one): a study in the
    background must not slow the live view a user is watching."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except OSError:
            pass


class JobBoard:
    def __init__(self, workers: int = 2, keep: int = 24, unwatched_s: float = UNWATCHED_S):
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="l1viz-study", initializer=yield_to_sessions
        )
        self._jobs: dict[Hashable, Job] = {}
        self._keep = keep
        self._unwatched_s = unwatched_s
        self._lock = threading.Lock()

    def job(self, key: Hashable, work: Callable[[Callable[[T], None]], T], first: T) -> Job[T]:
        """The job for `key`, started with `work(publish)` if it is not known yet; `first` is
        what readers see before the work publishes anything."""
        with self._lock:
            if key in self._jobs:
                return self._jobs[key]
            job = Job(first)
            self._jobs[key] = job
            self._forget_old()
        self._pool.submit(self._start, key, job, work)
        return job

    def _start(self, key: Hashable, job: Job, work: Callable) -> None:
        if job.unread_for() > self._unwatched_s:
            with self._lock:
                if self._jobs.get(key) is job:
                    del self._jobs[key]
            return
        job.run(work)

    def _forget_old(self) -> None:
        finished = [key for key, job in self._jobs.items() if job.state().status in (DONE, FAILED)]
        while len(self._jobs) > self._keep and finished:
            del self._jobs[finished.pop(0)]
