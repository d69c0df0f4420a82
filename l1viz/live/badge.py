"""A run's badge as the live page shows it: the words (`study.vocabulary`) and the colour
(`plots.palette`) of a run as it stands, before its end (ready, training, paused) or at it."""

from __future__ import annotations

from dataclasses import dataclass

from l1viz.engine.outcomes import TRAINING, RunResult
from l1viz.plots import palette
from l1viz.study.vocabulary import Pending, colour_key, label


@dataclass(frozen=True)
class Status:
    kind: str  # the colour key: ready, training, paused, or the run's Ending (study.vocabulary)
    label: str  # what the badge says, e.g. "died at step 312"
    color: str  # the badge's colour (Streamlit's name, from the palette)


def status_of(result: RunResult, playing: bool = True) -> Status:
    """The badge of a run as it stands (`playing`: whether an undecided run is moving)."""
    key = colour_key(result)
    if result.outcome == TRAINING:
        still = Pending.READY if result.steps == 0 else Pending.PAUSED
        key = Pending.TRAINING if playing else still
        return Status(key, str(key), palette.shade(key).badge)
    return Status(key, label(result), palette.shade(key).badge)
