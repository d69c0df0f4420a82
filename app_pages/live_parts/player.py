"""The live view's player, a Streamlit component (Custom Components v2) that animates in the
browser: the controls, the status, the numbers, the loss and parameter charts and the timeline
(player.js, player.css). Python sends it data (`l1viz.live.player_data`) and hears back where the
playhead is, one trigger per kind of event (`l1viz.live.view.EVENTS`).

plotly.js is served once from the app's static folder (`server.enableStaticServing`), not sent
in the data: its basic bundle is 1.2 MB (the full one, 4.6 MB, if the two versions differ). The
component is mounted in the page's DOM, not a shadow root, because plotly.js styles its toolbar
and hover labels from the document's head.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import plotly
import streamlit as st

from l1viz.live.view import EVENTS
from l1viz.plots import palette

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent.parent / "static"  # beside app.py: what `enableStaticServing` serves
PACKAGE_PLOTLY = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# plotly.js's "basic" bundle (scatter, bar, pie: the live charts draw scatter traces only), from
# npm's plotly.js-basic-dist-min: it compiles in about a fifth of the full bundle's time, most of
# the wait for the first chart. Used only while it is the plotly.js version the package ships.
BASIC_PLOTLY = HERE / "vendor" / "plotly-basic.min.js"


def plotly_js_version(path: Path) -> str:
    """The version in a plotly.js bundle's licence header ("plotly.js ... v4.1.1")."""
    with path.open(encoding="utf-8") as file:
        header = file.read(300)
    found = re.search(r"plotly\.js[^\n]* v(\d+\.\d+\.\d+)", header)
    return found[1] if found else ""


PLOTLY_SOURCE = (
    BASIC_PLOTLY
    if plotly_js_version(BASIC_PLOTLY) == plotly_js_version(PACKAGE_PLOTLY)
    else PACKAGE_PLOTLY
)
# Versioned: a browser never keeps a stale one.
PLOTLY_FILE = (
    f"{PLOTLY_SOURCE.name.removesuffix('.min.js')}-{plotly_js_version(PLOTLY_SOURCE)}.min.js"
)
KEY, FOLLOWER_KEY = "live.player", "live.follower.{}".format


def _css() -> str:
    """The stylesheet with the palette's colours as custom properties."""
    inks = "; ".join(f"--l1-{name}: {value}" for name, value in palette.PLAYER.items())
    return f".l1-player, .l1-follower {{ {inks}; }}\n" + (HERE / "player.css").read_text()


_COMPONENT = st.components.v2.component(
    "l1viz.player",
    js=(HERE / "player.js").read_text(),
    css=_css(),
    isolate_styles=False,
)


def plotly_url() -> str:
    """Where the browser loads the live charts' plotly.js from."""
    return _served(PLOTLY_SOURCE, PLOTLY_FILE)


def full_plotly_url() -> str:
    """Where the browser loads the full plotly.js from (heatmaps and every other trace): only to
    draw another chart of the page as SVG, on a click."""
    return _served(PACKAGE_PLOTLY, f"plotly-{plotly_js_version(PACKAGE_PLOTLY)}.min.js")


def _served(source: Path, name: str) -> str:
    """The URL of `source` in the app's static folder, where it is copied on first use."""
    target = STATIC / name
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        STATIC.mkdir(exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)
    base = st.get_option("server.baseUrlPath").strip("/")
    return "/" + "/".join(part for part in (base, "app", "static", name) if part)


def player(data: dict) -> None:
    """The player. An event from the browser reruns the fragment it is in; `events()` reads it.
    Each kind of event is its own trigger: events sent before the rerun that takes them arrive
    together, and two under one name would keep only the last."""
    _COMPONENT(
        key=KEY, data=data, height="content", **{f"on_{kind}_change": _ignore for kind in EVENTS}
    )


def _ignore() -> None:
    """A trigger needs a callback to be declared; the page reads the events itself."""


def events() -> list:
    """The events the browser sent for this script run (none in a run it did not cause), in the
    order it sent them. Read before the player is drawn."""
    value = st.session_state.get(KEY)
    if not isinstance(value, dict):
        return []
    sent = [value.get(kind) for kind in EVENTS]
    return sorted(
        (event for event in sent if isinstance(event, dict)),
        key=lambda event: event.get("number", 0) if isinstance(event.get("number"), int) else 0,
    )


def follower(name: str, data: dict) -> None:
    """A chart elsewhere on the page that follows the player's playhead (the same run)."""
    _COMPONENT(key=FOLLOWER_KEY(name), data=data, height="content")
