"""Typed boxes: a text box whose value is read by a field of `l1viz.live.fields`. A value the
field refuses is named beside the box, with the limit and the value used instead; the box keeps
what the user typed so it can be corrected."""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown
from l1viz.live.fields import Refused, quoted
from l1viz.plots.palette import REFUSED


def seed_box(key: str, text: str, force: bool) -> None:
    """Show `text` in the box `key` (before it is drawn): always when `force`, else only when the
    box has no state of its own (first run, or a page switch dropped it)."""
    if force or key not in st.session_state:
        st.session_state[key] = text


def typed_box(container, label: str, field, key: str, used, text=None, **options):
    """Draw a text box and return the value it holds, or `used` (the last accepted value) with a
    message beside the box when the field refuses what was typed. `text` writes `used` (default:
    the field's URL text); `options` go to `st.text_input`."""
    raw = container.text_input(label, key=key, value=st.session_state.get(key, ""), **options)
    try:
        return field.parse(raw)
    except Refused as refused:
        refusal(container, label, raw, str(refused), (text or field.text)(used))
        return used


def refusal(container, label: str, raw, reason: str, used: str) -> None:
    """The message beside a box whose value was refused."""
    text = f"{label}: {quoted(raw)} {reason}; using {used}."
    container.caption(f":{REFUSED.badge}[{plain_markdown(text)}]")
