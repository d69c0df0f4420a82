"""One live run: a trainer that a background task trains ahead of its viewer, and the reads the
page makes of it.

The viewer (the browser's playhead) shows steps the server has already trained, so nothing on the
page waits for training and a pause takes effect within a frame. One task at a time trains a run
(`want` starts it), and it is the only writer of the trainer; every read takes the run's lock and
copies what it needs, so a reader never sees half a chunk. A new run first trains for up to
`FIRST_SECONDS` at once (and at most `FIRST_STEPS`), which finishes most runs (the notebook's
whole run takes milliseconds); after that it trains only as far as its viewer asks (`want`), and
stops when nobody has asked for a while (its page was closed).

Building a `LiveRun` again from the same Settings replays the run bit for bit (same init, same data
seed). Nothing here knows about Streamlit.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import torch

from l1viz.engine.outcomes import TRAINING, RunResult
from l1viz.engine.trainer import Trainer
from l1viz.live.settings import Settings

# Live runs of every session train on this pool, apart from the studies' pool, so a long table
# never holds up the run a user is watching.
TRAINING_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="l1viz-live")
# A new run trains this long before it waits for its viewer.
FIRST_SECONDS = 0.5
# Longest a chunk of training holds the run's lock (readers wait at most this long).
CHUNK_SECONDS = 0.02
# Most steps in one chunk, and in the first chunk (its pace is not known yet).
MAX_CHUNK, FIRST_CHUNK = 4096, 8
# A run nobody has asked for steps this long (its page closed, say) stops training.
UNWATCHED_SECONDS = 5.0
# A live run keeps every step up to this many (then every other, ...): a playhead paused anywhere
# in the first 200,000 steps stays on its step whatever is trained after it.
HISTORY_ROWS = 200_000
# What a new run trains at once, at most (the whole of most runs; the notebook's takes ~6 ms).
FIRST_STEPS = 20_000


@dataclass(frozen=True)
class Rows:
    """History rows of a run from `start` on, as arrays. `epoch` is the history's stride: when the
    history drops every other row to bound its size, the epoch changes and a reader must replace
    what it holds rather than append."""

    run_id: int
    epoch: int
    start: int
    steps: np.ndarray  # int32
    columns: dict[str, np.ndarray]  # float32, one per recorded field and derived series

    def __len__(self) -> int:
        return len(self.steps)


class LiveRun:
    def __init__(self, settings: Settings, run_id: int = 1, train: bool = True):
        self.settings = settings
        self.config = replace(settings.config(), history_rows=min(settings.steps + 1, HISTORY_ROWS))
        self.run_id = run_id
        self.trainer = Trainer(settings.init(), self.config)
        self.cell = self.trainer.cell
        self._lock = threading.Lock()
        # Step 0 is evaluated on construction: the initial values, the dead-region check.
        self._start = self.trainer.results()[0]
        self._wanted = 0  # the step the viewer last asked for
        # How far the task may train: in its first seconds FIRST_STEPS, then `_wanted`.
        self._target = min(self.config.steps, FIRST_STEPS) if train else 0
        self._first_until = time.monotonic() + FIRST_SECONDS if train else 0.0
        self._task_running = False
        self._asked_at = time.monotonic()
        self._closed = False
        self._error: str | None = None
        self._final_row: tuple[int, np.ndarray] | None = None
        self._start_task()

    # -- driving: the task is the only writer -------------------------------------------------
    def want(self, step: int) -> None:
        """Train up to `step` (capped at the budget); returns at once. Each call replaces the
        last: max speed asks for the whole budget, and a Pause after it asks only for a lead past
        the playhead, where training stops (nothing trained is lost)."""
        with self._lock:
            self._wanted = min(int(step), self.config.steps)
            first_steps = self._target if self._first_until else 0
            self._target = max(first_steps, self._wanted)
            self._asked_at = time.monotonic()
        self._start_task()

    def close(self) -> None:
        """The run is no longer shown: stop training it."""
        with self._lock:
            self._closed = True

    def _start_task(self) -> None:
        with self._lock:
            if self._task_running or not self._needs_training():
                return
            self._task_running = True
        TRAINING_POOL.submit(self._train)

    def _needs_training(self) -> bool:
        trainer = self.trainer
        unwatched = time.monotonic() - self._asked_at > UNWATCHED_SECONDS
        return not (self._closed or self._error or trainer.done or unwatched) and (
            trainer.steps_done < self._target
        )

    def _train(self) -> None:
        chunk = FIRST_CHUNK
        while True:
            with self._lock:
                if not self._needs_training():
                    self._task_running = False
                    return
                began = time.perf_counter()
                want = min(chunk, self._target - self.trainer.steps_done)
                try:
                    made = self.trainer.step(want)
                except (MemoryError, RuntimeError) as error:
                    self._error = f"{type(error).__name__}: {error}"
                    self._task_running = False
                    return
                took = time.perf_counter() - began
                if self._first_until and time.monotonic() >= self._first_until:
                    self._first_until = 0.0  # from now on the viewer leads
                    self._target = max(self.trainer.steps_done, self._wanted)
            per_step = took / max(made, 1)
            fits = int(CHUNK_SECONDS / per_step) if per_step > 0 else MAX_CHUNK
            chunk = max(1, min(MAX_CHUNK, fits))

    # -- reading ------------------------------------------------------------------------------
    @property
    def frontier(self) -> int:
        """The last step trained so far."""
        return self.trainer.steps_done

    @property
    def done(self) -> bool:
        """The run has reached its verdict or its budget: every step it will have is trained."""
        return self.trainer.done

    @property
    def last_row_step(self) -> int:
        """The step of the history's last row (a finished run's last step, recorded or not)."""
        with self._lock:
            if self.trainer.done:
                return self.trainer.results()[0].steps
            steps = self.trainer.history.steps
        return steps[-1] if steps else 0

    @property
    def training(self) -> bool:
        """A task is training this run now."""
        return self._task_running

    @property
    def error(self) -> str | None:
        """Why training stopped early (memory, a runtime error), in one line."""
        return self._error

    def final(self) -> RunResult | None:
        """How the run ended, once it has."""
        with self._lock:
            return self.trainer.results()[0] if self.trainer.done else None

    def rows(self, epoch: int = 0, start: int = 0) -> Rows:
        """The history from row `start` on (from row 0 if the history's epoch is not `epoch`).
        A finished run's last step is always its last row, recorded or not."""
        with self._lock:
            history = self.trainer.history
            current = history.stride
            first = start if epoch == current else 0
            steps, values = history.block(first)
            final = self._final_state_row(steps)
        if final is not None:
            steps = np.append(steps, np.int32(final[0]))
            values = np.concatenate([values, final[1][:, None]], axis=1)
        columns = dict(zip(history.fields, values.astype(np.float32)))
        return Rows(self.run_id, current, first, steps.astype(np.int32), self._derived(columns))

    def _final_state_row(self, steps: np.ndarray) -> tuple[int, np.ndarray] | None:
        """For a finished run whose last step fell between recorded rows: that step's values,
        from the trainer's state (its parameters and last evaluation). Call under the lock."""
        trainer = self.trainer
        if not trainer.done:
            return None
        last = trainer.results()[0].steps
        recorded = trainer.history.steps
        if recorded and recorded[-1] == last:
            return None
        if steps.size and steps[-1] > last:
            return None
        if self._final_row is None:
            state = trainer.state
            grads = state.grads[:, 0].double()
            norm = float(torch.sqrt((grads * grads).sum()))
            values = [*state.params[:, 0].tolist(), float(state.loss[0]), float(state.active[0])]
            self._final_row = (last, np.asarray([*values, norm], dtype=np.float32))
        return self._final_row

    def _derived(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """What the charts draw besides the recorded fields: with bias the sum b_hh + b_ih (what
        the cell sees); for the learned transform its slopes s+, s- and the effective input
        weights w_ih·s+ and w_ih·s- (what the target w = 1 refers to)."""
        if self.cell.bias:
            columns["b"] = (columns["b_hh"].astype(np.float64) + columns["b_ih"]).astype(np.float32)
        if self.cell.learned and len(columns["w_hh"]):
            rows = torch.from_numpy(np.stack([columns[name] for name in self.cell.names]))
            effective = self.cell.effective(rows)
            columns["w_ih_pos"] = effective[1].numpy()
            columns["w_ih_neg"] = effective[2].numpy()
            slope_pos, slope_neg = self.cell.slopes(rows)
            columns["slope_pos"], columns["slope_neg"] = slope_pos.numpy(), slope_neg.numpy()
        return columns

    def trajectory(self, upto: int | None = None) -> dict[str, np.ndarray]:
        """Every recorded row up to step `upto` (all of them if None), column by column."""
        rows = self.rows()
        keep = len(rows) if upto is None else int(np.searchsorted(rows.steps, upto, "right"))
        table = {"step": rows.steps[:keep]}
        table.update({name: column[:keep] for name, column in rows.columns.items()})
        return table

    def result_at(self, step: int) -> RunResult:
        """The run as it stood at the recorded row at or before `step`: its verdict from the final
        step on, else still training with that row's parameters, loss and active share."""
        final = self.final()
        if final is not None and step >= final.steps:
            return final
        table = self.trajectory(step)
        row = len(table["step"]) - 1
        if row < 0:  # no history kept: only step 0 is known
            return self._start
        params = torch.tensor([[float(table[name][row])] for name in self.cell.names])
        return RunResult(
            outcome=TRAINING,
            steps=int(table["step"][row]),
            converged_at=None,
            died_at=None,
            diverged_at=None,
            silent_from=None,
            dead_at_init=self._start.dead_at_init,
            initial=self._start.initial,
            params=self.trainer.named_columns(params)[0],
            loss=float(table["loss"][row]),
            active=float(table["active"][row]),
        )

    @property
    def start(self) -> RunResult:
        """The run at step 0, before any update: the initial values and their evaluation."""
        return self._start


def rounded(value: float, quantum: float = 0.01) -> float:
    """Nearest multiple of `quantum` (0 for a non-finite value, which no surface can show)."""
    if not math.isfinite(value):
        return 0.0
    return round(round(value / quantum) * quantum, 6)
