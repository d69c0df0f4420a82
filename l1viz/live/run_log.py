"""The session's runs, one row each, for comparing and downloading.

A run is recorded when it finishes or is paused (and again whenever it has moved on since); the
same run updates its own row. Each record keeps the run's whole recorded trajectory (the trainer's
bounded history), so any run can be overlaid or downloaded later. Only the most recent
`MAX_RUNS` are kept, to bound a long session's memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from l1viz.engine.jsontext import dumps
from l1viz.live.run import LiveRun
from l1viz.live.settings import INIT_NAMES, Settings

MAX_RUNS = 30
PAUSED = "paused"
HYPERPARAMETERS = (
    "bias",
    "lr",
    "optimizer",
    "batch_size",
    "max_length",
    "seed",
    "steps",
    "transform",
    "criterion",
    "tolerance",
)


@dataclass(frozen=True)
class RunRecord:
    run_id: int
    settings: Settings
    outcome: str  # converged, dead, diverged, stalled, or paused (still training)
    status: str  # the badge's words, e.g. "died at step 312"
    steps: int
    loss: float
    trajectory: dict[str, np.ndarray]  # step, parameters, loss, active, grad_norm

    def summary(self) -> dict:
        """The table row: initial values, hyperparameters, outcome, steps, final loss."""
        row = {"run": self.run_id}
        row.update({f"{name}₀": getattr(self.settings, name) for name in INIT_NAMES})
        row.update({name: getattr(self.settings, name) for name in HYPERPARAMETERS})
        row.update(
            outcome=self.outcome, status=self.status, steps_done=self.steps, final_loss=self.loss
        )
        return row

    def trajectory_csv(self) -> str:
        return pd.DataFrame(self.trajectory).to_csv(index=False)

    def trajectory_json(self) -> str:
        payload = {
            "run": self.run_id,
            "settings": self.settings.as_dict(),
            "outcome": self.outcome,
            "status": self.status,
            "trajectory": {name: column.tolist() for name, column in self.trajectory.items()},
        }
        return dumps(payload, ensure_ascii=False)


def record_of(run: LiveRun) -> RunRecord:
    result = run.result()
    outcome = PAUSED if result.outcome == "training" else result.outcome
    return RunRecord(
        run_id=run.run_id,
        settings=run.settings,
        outcome=outcome,
        status=run.status().label,
        steps=result.steps,
        loss=result.loss,
        # Arrays, not lists: a session keeps up to MAX_RUNS x 20,000 rows.
        trajectory={
            name: np.asarray(column) for name, column in run.trainer.history.table().items()
        },
    )


class RunLog:
    def __init__(self):
        self._records: dict[int, RunRecord] = {}

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, run_id: int) -> bool:
        return run_id in self._records

    def record(self, run: LiveRun) -> None:
        """Add or update the run's row (nothing to record before its first step)."""
        if run.steps_done == 0 and not run.done:
            return
        known = self._records.get(run.run_id)
        if known and known.steps == run.steps_done and known.status == run.status().label:
            return
        self._records[run.run_id] = record_of(run)
        while len(self._records) > MAX_RUNS:
            del self._records[next(iter(self._records))]

    def get(self, run_id: int) -> RunRecord:
        return self._records[run_id]

    @property
    def run_ids(self) -> list[int]:
        return list(self._records)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([record.summary() for record in self._records.values()])

    def table_json(self) -> str:
        rows = [record.summary() for record in self._records.values()]
        return dumps(rows, ensure_ascii=False)

    def loss_curves(self, run_ids) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(label, steps, losses) of each run, for an overlay chart."""
        curves = []
        for run_id in run_ids:
            record = self._records[run_id]
            label = f"run {run_id}: {record.status}"
            curves.append((label, record.trajectory["step"], record.trajectory["loss"]))
        return curves
