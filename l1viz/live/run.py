"""One run driven by a UI: built from `Settings`, played and paused, advanced in time-boxed chunks,
read as a status, a verdict sentence and display-sized series.

Building a `LiveRun` again from the same Settings replays the run bit for bit (same init, same data
seed): that is what Reset does. Nothing here knows about Streamlit.

A run is shared between threads: the page's script runs are threads, and a click starts a new one
while the previous may still be training. So every training chunk and every read holds the run's
lock, and a reader that needs several values (the page's status row and charts) takes one
`snapshot`; `pause` returns only once no chunk is in flight, and nothing trains after it.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import torch

from l1viz.engine.history import evenly_spaced
from l1viz.engine.long_sequence import (
    DEFAULT_LENGTH,
    LongSequenceCheck,
    prefix_predictions,
    sequence,
)
from l1viz.engine.outcomes import RunResult
from l1viz.engine.trainer import Trainer
from l1viz.live.settings import Settings
from l1viz.plots import palette
from l1viz.plots.time_charts import Span, spans_of
from l1viz.study.vocabulary import colour_key, label, ready_note, sentence

READY = "ready"
# Points per trace on the live charts; the trainer's history holds more.
DISPLAY_POINTS = 1_500
# Most steps between clock (and pause) checks while advancing: a pause must not wait for long.
CLOCK_CHUNK = 50
# Longest a chunk should train: a pause waits for the chunk in flight (longer only if one step
# alone takes longer).
CHUNK_SECONDS = 0.02
# A paced run catches up at most this much wall time after a slow refresh, so a stalled browser
# does not turn into a burst of steps.
PACE_CATCH_UP_SECONDS = 0.5


@dataclass(frozen=True)
class Status:
    kind: str  # the colour key: ready, training, or the run's Ending (study.vocabulary)
    label: str  # what the badge says, e.g. "died at step 312"
    color: str  # the badge's colour (Streamlit's name, from the palette)


@dataclass(frozen=True)
class Generalisation:
    """The cell's output on every prefix of one long sequence, at log-spaced lengths."""

    lengths: list[int]
    predicted: list[float]
    actual: list[float]
    check: LongSequenceCheck  # the full length


def status_of(result: RunResult) -> Status:
    return Status(colour_key(result), label(result), palette.shade(colour_key(result)).badge)


@dataclass(frozen=True)
class Snapshot:
    """Everything the page shows of a run, read at one instant."""

    run_id: int
    steps_done: int
    done: bool
    playing: bool
    result: RunResult
    status: Status
    explanation: str
    series: dict[str, list]
    spans: list[Span]
    landscape_key: tuple


class LiveRun:
    def __init__(self, settings: Settings, run_id: int = 1):
        self.settings = settings
        self.config = settings.config()
        self.run_id = run_id
        self.trainer = Trainer(settings.init(), self.config)
        self._lock = threading.RLock()
        self._playing = False
        self._pace: float | None = None  # steps per second of wall time; None: as fast as it goes
        self._paced_at: float | None = None  # when the pace last credited steps
        self._credit = 0.0  # steps the pace allows and no chunk has taken yet

    @property
    def steps_done(self) -> int:
        return self.trainer.steps_done

    @property
    def done(self) -> bool:
        return self.trainer.done

    @property
    def playing(self) -> bool:
        return self._playing

    # -- driving ----------------------------------------------------------------------------
    def play(self) -> None:
        with self._lock:
            self._playing = not self.trainer.done
            self._paced_at, self._credit = None, 0.0

    def set_pace(self, steps_per_second: float | None) -> None:
        """Train at most this many steps per second of wall time while playing (None: no limit),
        so a short run can be watched over many refreshes."""
        with self._lock:
            if steps_per_second != self._pace:
                self._pace, self._paced_at, self._credit = steps_per_second, None, 0.0

    @property
    def pace(self) -> float | None:
        return self._pace

    def _allowed_steps(self) -> int | None:
        """Steps the pace allows now: the time since the last credit times the pace, at least
        one step on the first call so Play shows movement at once."""
        if self._pace is None:
            return None
        now = time.perf_counter()
        if self._paced_at is None:
            self._credit = max(self._credit, 1.0)
        else:
            elapsed = min(now - self._paced_at, PACE_CATCH_UP_SECONDS)
            self._credit += self._pace * elapsed
        self._paced_at = now
        return int(self._credit)

    def pause(self) -> None:
        """Stop playing. Returns once the chunk in flight (if any) has ended: from then on the
        step counter does not move until `play` or `step`."""
        with self._lock:
            self._playing = False

    def step(self, count: int) -> int:
        """Pause, then make up to `count` steps by hand."""
        with self._lock:
            self._playing = False
            return self.trainer.step(count)

    def advance(self, seconds: float) -> int:
        """While playing, train until the run ends, it is paused, or about `seconds` have passed.
        Chunks are sized from the last one's pace, so slow steps (long sequences, big batches) do
        not overrun the slice or delay a pause; the first chunk is one step. A pace (`set_pace`)
        caps the steps of the slice at what the wall time since the last slice allows."""
        start, made, chunk = time.perf_counter(), 0, 1
        with self._lock:
            allowed = self._allowed_steps()
        while True:
            with self._lock:
                if not self._playing:
                    break
                if allowed is not None:
                    chunk = min(chunk, allowed - made)
                    if chunk <= 0:
                        break
                began = time.perf_counter()
                taken = self.trainer.step(chunk)
                made += taken
                if allowed is not None:
                    self._credit -= taken
                now = time.perf_counter()
                if self.trainer.done:
                    self._playing = False
                    break
            left = seconds - (now - start)
            if left <= 0:
                break
            per_step = (now - began) / chunk
            fits = int(min(left / 2, CHUNK_SECONDS) / per_step) if per_step else CLOCK_CHUNK
            chunk = max(1, min(CLOCK_CHUNK, fits))
        return made

    # -- reading ----------------------------------------------------------------------------
    def snapshot(self, limit: int = DISPLAY_POINTS) -> Snapshot:
        """Status, verdict sentence, display series and landscape key, all of the same step."""
        with self._lock:
            result = self.result()
            return Snapshot(
                run_id=self.run_id,
                steps_done=self.trainer.steps_done,
                done=self.trainer.done,
                playing=self._playing,
                result=result,
                status=status_of(result),
                explanation=self._explanation(result),
                series=self.series(limit),
                spans=spans_of(result),
                landscape_key=self.landscape_key(),
            )

    def result(self) -> RunResult:
        with self._lock:
            return self.trainer.results()[0]

    def status(self) -> Status:
        return status_of(self.result())

    def explanation(self) -> str:
        """The verdict sentence; before the first step, the dead-region warning if it applies."""
        return self._explanation(self.result())

    def _explanation(self, result: RunResult) -> str:
        if status_of(result).kind == READY:
            return ready_note(result, self.config)
        return sentence(result, self.config)

    def spans(self) -> list[Span]:
        return spans_of(self.result())

    def trajectory(self) -> tuple[RunResult, dict[str, list]]:
        """The result and the whole recorded history (every kept step), read together."""
        with self._lock:
            return self.result(), self.trainer.history.table()

    def series(self, limit: int = DISPLAY_POINTS) -> dict[str, list]:
        """The history, thinned to `limit` rows for display; for the learned transform also the
        effective input weights w_ih·s+ and w_ih·s- (what the targets w = 1 refer to), and with
        bias the sum b_hh + b_ih (what the cell sees)."""
        with self._lock:
            table = self.trainer.history.table()
        keep = evenly_spaced(len(table["step"]), limit)
        series = {name: [column[i] for i in keep] for name, column in table.items()}
        cell = self.trainer.cell
        if cell.learned and keep:
            rows = torch.tensor([series[name] for name in cell.names])
            effective = cell.effective(rows)
            series["w_ih_pos"] = effective[1].tolist()
            series["w_ih_neg"] = effective[2].tolist()
        if cell.bias:
            series["b"] = [a + b for a, b in zip(series["b_hh"], series["b_ih"])]
        return series

    def generalisation(self, length: int = DEFAULT_LENGTH, points: int = 200) -> Generalisation:
        """The current parameters on one N(0, 1) sequence of `length` (seeded by the run's seed):
        one pass gives the prediction for every prefix length."""
        values = sequence(length, self.config.seed)
        with self._lock:
            params = self.trainer.params.clone()
        predicted, actual = prefix_predictions(self.trainer.cell, params, values)
        lengths = sorted({round(length ** (i / (points - 1))) for i in range(points)})
        rows = [n - 1 for n in lengths]
        return Generalisation(
            lengths=lengths,
            predicted=predicted[rows].tolist(),
            actual=actual[rows].tolist(),
            check=LongSequenceCheck(length, predicted[-1].item(), actual[-1].item()),
        )

    def landscape_key(self) -> tuple:
        """What the loss surface at the current parameters depends on, rounded for caching:
        (transform, bias, b_hh + b_ih, (s+, s-), max_length)."""
        with self._lock:
            values = self.trainer.named_params()
        bias_sum = values["b_hh"] + values["b_ih"]
        slopes = (values.get("slope_pos", 1.0), values.get("slope_neg", 1.0))
        return (
            self.config.transform,
            self.config.bias,
            rounded(bias_sum),
            (rounded(slopes[0]), rounded(slopes[1])),
            self.config.max_length,
        )


def rounded(value: float, quantum: float = 0.01) -> float:
    """Nearest multiple of `quantum` (0 for a non-finite value, which no surface can show)."""
    if not math.isfinite(value):
        return 0.0
    return round(round(value / quantum) * quantum, 6)
