"""What the viewer of a live run is doing: the playhead's step, playing or not, at which speed.

The browser owns the playhead and animates it; the server learns of it only from the events the
browser sends (play, pause, seek, the end reached, more steps needed). `ViewState` is the server's
copy, replaced whole by each event; from it the server estimates where a playing playhead is now,
to train that far ahead (`training_target`). Nothing here knows about Streamlit or the browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

# How long a run takes to watch at the "auto" speed, and the slowest auto pace (a short run still
# shows its end within a few seconds). A run whose end is not known yet plays its first
# AUTO_UNKNOWN steps (what a new run trains at once) over that time.
AUTO_SECONDS = 10.0
AUTO_SLOWEST = 20.0
AUTO_UNKNOWN = 20_000
# The speeds offered, in steps per second of playback: None plays as fast as the server trains.
SPEEDS: dict[str, float | None] = {
    "auto": math.nan,  # resolved per run by `pace`
    "10": 10.0,
    "100": 100.0,
    "1000": 1_000.0,
    "10000": 10_000.0,
    "max": None,
}
SPEED_LABELS = {
    "auto": "auto (~10 s)",
    "10": "10 steps/s",
    "100": "100 steps/s",
    "1000": "1,000 steps/s",
    "10000": "10,000 steps/s",
    "max": "max speed",
}
DEFAULT_SPEED = "auto"
# The server trains this much playback time ahead of a playing viewer, and at least this many
# steps ahead of any viewer, so Step +100 and a short drag never wait.
LEAD_SECONDS = 10.0
LEAD_STEPS = 2_000
EVENTS = ("play", "pause", "seek", "end", "need", "ack")
# The view's own URL parameter (beside the setup's): the step a paused view shows.
AT = "at"


def pace(speed: str, final_step: int | None, budget: int) -> float | None:
    """Steps per second of playback at `speed` (None: as fast as it trains). "auto" plays a run
    whose end is known over AUTO_SECONDS, else its first AUTO_UNKNOWN steps over that time."""
    value = SPEEDS.get(speed, SPEEDS[DEFAULT_SPEED])
    if value is None or not math.isnan(value):
        return value
    length = final_step if final_step is not None else min(budget, AUTO_UNKNOWN)
    return max(length / AUTO_SECONDS, AUTO_SLOWEST)


@dataclass(frozen=True)
class ViewState:
    run: str  # the run's key (`player_data.run_key`)
    step: int = 0  # the playhead's step at the last event
    playing: bool = False
    speed: str = DEFAULT_SPEED
    since: float = 0.0  # monotonic time of the last event
    have: int = 0  # rows the browser said it holds
    ended: bool = False  # the playhead has reached the run's last step

    def estimate(self, now: float, steps_per_second: float | None) -> float:
        """Where the playhead is now: it moves at the pace while playing (inf at max speed)."""
        if not self.playing:
            return float(self.step)
        if steps_per_second is None:
            return math.inf
        return self.step + steps_per_second * max(0.0, now - self.since)


@dataclass(frozen=True)
class ViewEvent:
    """What the browser reports: where its playhead is, and which rows it holds (`have` rows of
    history epoch `epoch`, the last at step `last`), with every event; "ack" reports only that."""

    kind: str
    run: str
    step: int
    speed: str
    have: int
    number: int = 0  # counts the page's events: the same event is never taken twice
    epoch: int = 0
    last: int = -1

    @classmethod
    def parse(cls, payload) -> ViewEvent | None:
        """The event in a browser's trigger value, or None when it is not a valid one (the page
        ignores it: the browser may send anything)."""
        if not isinstance(payload, dict) or payload.get("kind") not in EVENTS:
            return None
        try:
            step, have, number, epoch = (
                int(payload.get(k, 0)) for k in ("step", "have", "number", "epoch")
            )
            last = int(payload.get("last", -1))
        except (TypeError, ValueError, OverflowError):
            return None
        run, speed = payload.get("run"), payload.get("speed", DEFAULT_SPEED)
        if not isinstance(run, str) or speed not in SPEEDS or min(step, have, epoch) < 0:
            return None
        return cls(payload["kind"], run, step, speed, have, number, epoch, last)


def apply(view: ViewState, event: ViewEvent, now: float) -> ViewState:
    """The view after `event` (an event of another run changes nothing)."""
    if event.run != view.run:
        return view
    moved = replace(view, step=event.step, speed=event.speed, since=now, have=event.have)
    if event.kind == "play":
        return replace(moved, playing=True, ended=False)
    if event.kind in ("pause", "seek"):
        return replace(moved, playing=False, ended=False)
    if event.kind == "end":
        return replace(moved, playing=False, ended=True)
    if event.kind == "need":  # where the playhead waits for steps; it plays on once they come
        return replace(moved, playing=view.playing, ended=view.ended)
    return replace(view, have=event.have)  # ack: only what the browser holds


def training_target(
    view: ViewState, now: float, steps_per_second: float | None, budget: int
) -> int:
    """How far the server should have trained for this viewer: `LEAD_SECONDS` of playback
    (and at least `LEAD_STEPS`) past where the playhead is estimated to be."""
    estimate = view.estimate(now, steps_per_second)
    lead = LEAD_STEPS if steps_per_second is None else steps_per_second * LEAD_SECONDS
    target = estimate + max(LEAD_STEPS, lead)
    return budget if not math.isfinite(target) else min(budget, int(target))


def view_query(view: ViewState) -> dict[str, str]:
    """The URL parameter of a stopped playhead: where a link opens the run (none while playing or
    at step 0)."""
    return {AT: str(view.step)} if not view.playing and view.step > 0 else {}


def read_view_query(params) -> tuple[int, list[str]]:
    """The step a link opens at (0 when absent), and a warning if its value is not a step."""
    raw = params.get(AT)
    if raw is None:
        return 0, []
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if len(raw) == 1 else None
    text = str(raw).strip() if raw is not None else ""
    if text.isdigit() and len(text) <= 9:
        return int(text), []
    shown = repr(text[:40]) if raw is not None else "given more than once"
    return 0, [f"{AT} = {shown}: must be a whole number of steps, 0 or more. Opening at step 0."]
