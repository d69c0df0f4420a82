"""The activation setting of the map and schemes pages: one of the engine's activations, in the
live page's words, and the slope α of the ones that have one. A page keeps its slope as None
while it is the activation's default, so its link leaves it out."""

from __future__ import annotations

import streamlit as st

from app_pages.boxes import seed_box, typed_box
from app_pages.live_parts.controls import HELP, LABELS
from l1viz.engine.config import ACTIVATIONS, SLOPE_DEFAULTS
from l1viz.live.settings import FIELDS

SLOPE_LABEL = "slope α below 0"


def slope_text(activation: str, slope: float | None) -> str:
    """The slope box's text: the slope, else the activation's default ('' without a slope)."""
    used = slope if slope is not None else SLOPE_DEFAULTS.get(activation)
    return "" if used is None else FIELDS["slope"].text(used)


def seed_activation(prefix: str, activation: str, slope: float | None, force: bool) -> None:
    """Show a page's activation and slope in its widgets `{prefix}.activation`, `.slope`."""
    if force or f"{prefix}.activation" not in st.session_state:
        st.session_state[f"{prefix}.activation"] = activation
    seed_box(f"{prefix}.slope", slope_text(activation, slope), force)


def activation_choice(container, prefix: str) -> str:
    """The activation's select box; choosing another one shows its default slope in the box."""
    return container.selectbox(
        "Activation",
        ACTIVATIONS,
        format_func=LABELS["activation"].get,
        key=f"{prefix}.activation",
        help=HELP["activation"],
        on_change=_new_activation,
        args=(prefix,),
    )


def slope_box(container, prefix: str, activation: str, accepted: tuple) -> float | None:
    """The slope box of a sloped activation (None without one, or while it holds the default).
    `accepted`: the page's last accepted (activation, slope); a refused value is named beside the
    box and that slope kept, if it was this activation's."""
    if activation not in SLOPE_DEFAULTS:
        return None
    default = SLOPE_DEFAULTS[activation]
    used = accepted[1] if accepted[0] == activation else None
    key = f"{prefix}.slope"
    seed_box(key, slope_text(activation, used), force=False)
    last = default if used is None else used
    value = typed_box(container, SLOPE_LABEL, FIELDS["slope"], key, last, help=HELP["slope"])
    return None if value == default else value


def _new_activation(prefix: str) -> None:
    """Callback: another activation was chosen; its slope box starts at its default."""
    chosen = st.session_state[f"{prefix}.activation"]
    st.session_state[f"{prefix}.slope"] = slope_text(chosen, None)
