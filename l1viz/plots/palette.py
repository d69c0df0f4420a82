"""Every colour the dashboard draws: outcomes, statuses, parameters, scales and the neutral inks.
This is the one place colours are written (tests/test_palette.py holds every other file to it).
Charts use the hex values; Streamlit badges take a named colour, chosen of the same hue."""

from __future__ import annotations

from dataclasses import dataclass

from l1viz.engine.outcomes import Ending
from l1viz.study.table.agreement import Agreement
from l1viz.study.vocabulary import ENDING_WORDS, Pending


@dataclass(frozen=True)
class Shade:
    label: str  # the words a legend or a badge uses
    hex: str
    badge: str  # Streamlit's badge colour name of the same hue


_ENDING_COLOURS = {
    Ending.CONVERGED: ("#21a35a", "green"),
    Ending.DEAD_AT_INIT: ("#4d4d4d", "gray"),
    Ending.DIED: ("#a0a0a0", "gray"),
    Ending.DEAD_IN_PRACTICE: ("#8e6fd8", "violet"),
    Ending.DIVERGED: ("#e0403a", "red"),
    Ending.STALLED: ("#f0a020", "orange"),
}
# Labelled with the vocabulary's words for each ending.
ENDINGS: dict[Ending, Shade] = {
    ending: Shade(ENDING_WORDS[ending], *colours) for ending, colours in _ENDING_COLOURS.items()
}
# Before a run ends: its badge only.
PENDING: dict[Pending, Shade] = {
    Pending.READY: Shade("ready", "#a3a8b8", "gray"),
    Pending.TRAINING: Shade("training", "#1c83e1", "blue"),
    Pending.PAUSED: Shade("paused", "#1c83e1", "blue"),
}
# A table case whose measurement has not finished yet.
MEASURING = Shade("measuring", "#1c83e1", "blue")
# How a measured case compares with the notebook.
AGREEMENT: dict[Agreement, Shade] = {
    Agreement.AGREES: Shade("agrees", "#21a35a", "green"),
    Agreement.PARTLY: Shade("partly", "#f0a020", "orange"),
    Agreement.DISAGREES: Shade("disagrees", "#e0403a", "red"),
}
# A typed value a box refused: the message beside it.
REFUSED = Shade("refused", "#e0403a", "red")
# The outcome map's case tags, by the same verdicts: colours of their own, so a tag never reads
# as an ending (the cells are green for converged, red for diverged, ...).
CASE_TAGS: dict[Agreement, Shade] = {
    Agreement.AGREES: Shade("agrees", "#1d4e89", "blue"),
    Agreement.PARTLY: Shade("partly", "#7a5200", "orange"),
    Agreement.DISAGREES: Shade("disagrees", "#7b1e3a", "red"),
}


def shade(key: Ending | Pending) -> Shade:
    """The colour of a run's badge, from its colour key (`vocabulary.colour_key`)."""
    return ENDINGS[key] if key in ENDINGS else PENDING[key]


PARAMETER_COLORS = {
    "w_hh": "#1f77b4",
    "w_ih": "#ff7f0e",
    "w_ih_pos": "#ff7f0e",
    "w_ih_neg": "#d62728",
    "b_hh": "#2ca02c",
    "b_ih": "#8c564b",
    "b": "#9467bd",
}
LOSS = "#1f77b4"
ACTIVE = "#17becf"
PATH = "#ff2d55"
TARGET = "#444444"
WHITE = "#ffffff"
BLACK = "#000000"
# The watched run among a fan of seeds.
WATCHED = BLACK
# Text drawn on a chart (the replay slider's step).
INK = "#333333"
# Outcome-map cells still training, and the empty part of a share bar.
UNDECIDED = "#eeeeee"
# The notebook's case boxes on the outcome map, before their measurement agrees or not.
CASE_BOX = "#1f3b73"
# The table page's row of the live view's current case, and the lines between its rows.
CURRENT_ROW = "#fff4cc"
RULE = "#e6e6e6"
# Colour scales: the loss landscape (low loss bright), steps taken, and a signed gradient.
LOSS_SCALE = "Viridis_r"
STEPS_SCALE = "Viridis"
SIGNED_SCALE = "RdBu"


def with_alpha(hex_color: str, alpha: float) -> str:
    """A "#rrggbb" colour as plotly's rgba() text with the given opacity."""
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha:g})"


# The landscape's dead region, its contour lines and the faded path and loss of a replay.
DEAD_REGION = with_alpha("#5a5a5a", 0.35)
CONTOUR = with_alpha(BLACK, 0.35)
FADED_PATH = with_alpha(PATH, 0.3)
FADED_LOSS = with_alpha(LOSS, 0.35)
# Text plotly must lay out but not show (the replay slider's per-stop labels).
INVISIBLE = with_alpha(BLACK, 0)
# The live player's inks besides the outcome colours: its note boxes, its error line, the ring of
# the dots on the current values.
PLAYER = {
    "note": with_alpha("#1c83e1", 0.08),
    "alarm": with_alpha("#f0a020", 0.14),
    "error": "#b00020",
    "ring": WHITE,
    "on-primary": WHITE,
}
# Distinct colours for overlaid runs, in turn.
SERIES = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
