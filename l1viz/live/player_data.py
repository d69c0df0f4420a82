"""What the browser's player is sent for one run: the history rows it does not hold yet, the chart
templates, the speeds, and the run's ending, which the player reveals only when its playhead gets
there.

Rows travel as base64 of little-endian float32 (steps as int32): the browser reads the recorded
values bit for bit. A `Cursor` is what the browser last said it holds (rows of which history
epoch); every payload carries the rows after it, until the browser says it has them (an "ack").
A payload the browser never saw (two quick updates of one element can reach it as one) is
therefore never a gap. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np
import torch

from l1viz.engine.outcomes import CONVERGED
from l1viz.export.autograd_gap import NOTEBOOK_GAP
from l1viz.live.badge import status_of
from l1viz.live.case_panel import case_panel
from l1viz.live.prefix_curve import prefix_curve
from l1viz.live.run import LiveRun, Rows
from l1viz.live.view import SPEED_LABELS, SPEEDS, ViewState, pace
from l1viz.plots import palette, time_charts
from l1viz.plots.time_charts import figure_json, spans_of
from l1viz.study.fatal_update import fatal_update
from l1viz.study.long_sequence_note import long_sequence_note
from l1viz.study.table import TableResult
from l1viz.study.vocabulary import ready_note, sentence

METRIC_DIGITS = 5  # decimals of the parameters in the status numbers
READY_WORDS = "Press Play to watch it train, or step through it by hand."


@dataclass(frozen=True)
class Cursor:
    """Rows of one run's history the browser holds: `count` rows of epoch `epoch`."""

    run: str
    epoch: int = 0
    count: int = 0
    last_step: int = -1  # the step of its last row

    def behind(self, run: LiveRun) -> bool:
        """The run has recorded steps the browser does not hold yet."""
        return run.last_row_step > self.last_step


def run_key(token: str, run_id: int) -> str:
    """A run's name in the browser: the session's token keeps two sessions' (or a reconnected
    session's) run 1 apart in a page that outlived its server."""
    return f"{token}:{run_id}"


def encode(array: np.ndarray, dtype) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode()


def rows_payload(rows: Rows) -> dict:
    return {
        "epoch": rows.epoch,
        "start": rows.start,
        "count": len(rows),
        "steps": encode(rows.steps, "<i4"),
        "columns": {name: encode(column, "<f4") for name, column in rows.columns.items()},
    }


class Presentation:
    """The parts of a run's payload that do not change while it plays, made once per run."""

    def __init__(self, run: LiveRun, key: str):
        self.run, self.key = run, key
        config, cell = run.config, run.cell
        self.metrics = ["w_hh", "w_ih"] + (["b_hh", "b_ih"] if cell.bias else [])
        start = run.start
        note = ready_note(start, config)
        self.ready_sentence = note or READY_WORDS
        self._ending: dict | None = None
        self._templates: dict | None = None
        self._templates_final = False

    def templates(self) -> dict:
        """The loss and parameter charts (the parameters gain the fatal update at the end)."""
        done = self.run.done
        if self._templates is None or (done and not self._templates_final):
            fatal = None
            final = self.run.final()
            if final is not None:
                fatal = fatal_update(final, self.run.trajectory())
            cell = self.run.cell
            self._templates = {
                "loss": figure_json(time_charts.loss_template()),
                "params": figure_json(
                    time_charts.parameters_template(cell.learned, cell.bias, fatal)
                ),
                "active": figure_json(time_charts.active_template()),
            }
            self._templates_final = done
        return self._templates

    def ending(self, table: TableResult | None) -> dict | None:
        """The verdict and what goes with it, shown when the playhead reaches `step`."""
        final = self.run.final()
        if final is None:
            return None
        if self._ending is None:
            self._ending = self._ending_of(final)
        panel = case_panel(self.run.settings, table, final)
        agreement = None
        if panel.run_agrees is not None:
            shade = palette.AGREEMENT["agrees" if panel.run_agrees else "disagrees"]
            words = "agrees" if panel.run_agrees else "disagrees"
            notebook = "the notebook's claim for ReLU" if panel.activation else "the notebook"
            agreement = {
                "label": f"This run {words} with {notebook}",
                "color": shade.hex,
                "sentence": panel.run_sentence,
            }
        return {**self._ending, "agreement": agreement}

    def _ending_of(self, final) -> dict:
        run, config = self.run, self.run.config
        status = status_of(final)
        notes = []
        if final.outcome == CONVERGED:
            note = self._extrapolation(final)
            if note:
                text = f"Converged by the {config.criterion} rule, yet: {note}"
                notes.append({"text": text, "alarming": True})
            notes.append({"text": NOTEBOOK_GAP.step_note(final.steps), "alarming": False})
        fatal = fatal_update(final, run.trajectory())
        if fatal is not None:
            notes.append({"text": fatal.sentence, "alarming": False})
        if final.decided_at is not None and final.decided_at < final.steps:
            silent = final.steps - final.decided_at + 1
            notes.append({"text": decided_text(final.steps, silent), "alarming": False})
        spans = [
            {
                "start": span.start,
                "end": span.end,
                "color": palette.ENDINGS[span.kind].hex,
                "words": time_charts.span_words(span),
            }
            for span in spans_of(final)
        ]
        return {
            "step": final.steps,
            "label": status.label,
            "color": palette.ENDINGS[final.ending].hex,
            "sentence": sentence(final, config),
            "notes": notes,
            "spans": spans,
        }

    def _extrapolation(self, final) -> str:
        params = final.params
        values = {"w_hh": params["w_hh"], "w_ih": params["w_ih"]}
        if self.run.config.bias:
            values["b"] = params["b_hh"] + params["b_ih"]
        table = self.run.trajectory()
        column = np.asarray([[table[name][-1]] for name in self.run.cell.names], np.float32)
        check = prefix_curve(self.run.cell, torch.from_numpy(column), self.run.config.seed).check
        return long_sequence_note(values, check)


def decided_text(step: int, silent: int) -> str:
    """Why a verdict dated earlier is shown only at its last step."""
    return f"Decided at step {step:,}, once the cell had been silent for {silent:,} steps in a row."


def speeds(run: LiveRun) -> list[dict]:
    """Each speed the player offers, with its pace for this run (None: max speed)."""
    final = run.final()
    end = final.steps if final is not None else None
    return [
        {"key": key, "label": SPEED_LABELS[key], "pace": pace(key, end, run.config.steps)}
        for key in SPEEDS
    ]


def payload(
    presentation: Presentation,
    view: ViewState,
    cursor: Cursor,
    table: TableResult | None,
    plotly_url: str,
    taken: int = 0,
    autoplay: bool = False,
) -> dict:
    """The player's data for this script run: the rows after those the browser holds; `taken`
    is the number of the browser's last event that moved the playhead that the server took
    (the browser sends an event again if it was lost on the way)."""
    run, key = presentation.run, presentation.key
    if cursor.run != key:
        cursor = Cursor(key)
    rows = run.rows(cursor.epoch, cursor.count)
    data = {
        "role": "player",
        "run": key,
        "plotly": plotly_url,
        "budget": run.config.steps,
        "metrics": presentation.metrics,
        "digits": METRIC_DIGITS,
        "rows": rows_payload(rows),
        "frontier": run.frontier,
        "complete": run.done,
        "error": run.error,
        "ending": presentation.ending(table),
        "ready": presentation.ready_sentence,
        "templates": presentation.templates(),
        "speeds": speeds(run),
        "pending": {kind: shade.hex for kind, shade in palette.PENDING.items()},
        "view": {"step": view.step, "playing": view.playing, "speed": view.speed},
        "taken": taken,
        "autoplay": autoplay,
    }
    return data
