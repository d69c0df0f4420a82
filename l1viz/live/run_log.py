"""The session's runs, one row each, for comparing and downloading.

A run is recorded where its viewer stopped: paused, moved to a step, or at its end (and again
whenever the viewer stops elsewhere); the same run updates its own row, which holds the run up to
that step. Runs are numbered 1, 2, 3 ... in the order they enter the log (a run
that was built but never played or finished takes no number). Each record keeps the run's
recorded trajectory up to that step (at most `RECORD_ROWS` rows), so any run can be overlaid or
downloaded later.
Only the most recent `MAX_RUNS` are kept, to bound a long session's memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import parquet

from l1viz.engine.config import SETUP_FIELDS
from l1viz.engine.history import evenly_spaced
from l1viz.engine.jsontext import dumps
from l1viz.live.badge import status_of
from l1viz.live.run import LiveRun
from l1viz.live.settings import INIT_NAMES, Settings

MAX_RUNS = 30
# Rows kept of each run's trajectory (evenly spaced, both ends kept): a session's log stays small
# whatever the runs' lengths.
RECORD_ROWS = 20_000
PAUSED = "paused"
BUDGET = "budget"  # the table's name for the step budget (Settings.steps)


@dataclass(frozen=True)
class RunRecord:
    run_id: int  # the LiveRun's id
    number: int  # what the table calls it: 1, 2, 3 ... in the order runs were recorded
    settings: Settings
    outcome: str  # converged, dead, diverged, stalled, or paused (still training)
    status: str  # the badge's words, e.g. "died at step 312"
    steps: int
    loss: float
    trajectory: dict[str, np.ndarray]  # step, parameters, loss, active, grad_norm

    def summary(self) -> dict:
        """The table row: how the run went first (outcome, steps taken, final loss, the badge's
        words), then its initial values and hyperparameters ("budget" is the step budget)."""
        row = {
            "run": self.number,
            "outcome": self.outcome,
            "steps_done": self.steps,
            "final_loss": self.loss,
            "status": self.status,
        }
        row.update({f"{name}₀": getattr(self.settings, name) for name in INIT_NAMES})
        for name in SETUP_FIELDS:
            value = getattr(self.settings, name)
            row[BUDGET if name == "steps" else name] = value
        return row

    def trajectory_csv(self) -> str:
        return pd.DataFrame(self.trajectory).to_csv(index=False)

    def trajectory_parquet(self) -> bytes:
        """The trajectory as Parquet, with the run's setup and outcome in its metadata."""
        table = pa.Table.from_pandas(pd.DataFrame(self.trajectory), preserve_index=False)
        meta = {"settings": dumps(self.settings.as_dict()), "outcome": self.outcome}
        table = table.replace_schema_metadata({**table.schema.metadata, **meta})
        sink = pa.BufferOutputStream()
        parquet.write_table(table, sink)
        return sink.getvalue().to_pybytes()

    def trajectory_json(self) -> str:
        payload = {
            "run": self.number,
            "settings": self.settings.as_dict(),
            "outcome": self.outcome,
            "status": self.status,
            "trajectory": {name: column.tolist() for name, column in self.trajectory.items()},
        }
        return dumps(payload, ensure_ascii=False)


def record_of(run: LiveRun, number: int, step: int) -> RunRecord:
    """The run as its viewer saw it at `step`: the recorded row there and every row before."""
    result = run.result_at(step)
    table = run.trajectory(result.steps)
    keep = evenly_spaced(len(table["step"]), RECORD_ROWS)
    if len(keep) < len(table["step"]):
        table = {name: column[keep] for name, column in table.items()}
    outcome = PAUSED if result.outcome == "training" else result.outcome
    return RunRecord(
        run_id=run.run_id,
        number=number,
        settings=run.settings,
        outcome=outcome,
        status=status_of(result, playing=False).label,
        steps=result.steps,
        loss=result.loss,
        # Arrays, not lists: a session keeps up to MAX_RUNS x 20,000 rows.
        trajectory={name: np.asarray(column) for name, column in table.items()},
    )


def summary_table(records: list[RunRecord]) -> pd.DataFrame:
    return pd.DataFrame([record.summary() for record in records])


class RunLog:
    """The session's runs. Callers may record from any script thread: one lock orders them."""

    def __init__(self):
        self._records: dict[int, RunRecord] = {}
        self._numbered = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, run_id: int) -> bool:
        return run_id in self._records

    def record(self, run: LiveRun, step: int) -> None:
        """Add or update the run's row as it stood at `step` (nothing to record at step 0,
        unless the run ended there: a verdict at step 0 is a finished run like any other)."""
        with self._lock:
            known = self._records.get(run.run_id)
            number = known.number if known else self._numbered + 1
            record = record_of(run, number, step)
            if record.steps == 0 and record.outcome == PAUSED:
                return
            if known and (known.steps, known.status) == (record.steps, record.status):
                return
            # A new dict, never an edited one: readers iterate the old one meanwhile.
            records = {**self._records, run.run_id: record}
            while len(records) > MAX_RUNS:
                del records[next(iter(records))]
            self._records = records
            self._numbered = max(self._numbered, number)

    def get(self, run_id: int) -> RunRecord:
        return self._records[run_id]

    @property
    def run_ids(self) -> list[int]:
        return list(self._records)

    def records(self) -> list[RunRecord]:
        """The rows at this instant, oldest first (a list that later records do not change)."""
        return list(self._records.values())

    def table(self) -> pd.DataFrame:
        return summary_table(self.records())

    def number(self, run_id: int) -> int:
        return self._records[run_id].number

    def table_json(self) -> str:
        rows = [record.summary() for record in self._records.values()]
        return dumps(rows, ensure_ascii=False)

    def loss_curves(self, run_ids) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(label, steps, losses) of each run, for an overlay chart."""
        curves = []
        for run_id in run_ids:
            record = self._records[run_id]
            label = f"run {record.number}: {record.status}"
            curves.append((label, record.trajectory["step"], record.trajectory["loss"]))
        return curves
