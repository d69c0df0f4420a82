"""What the pages share. Kept tiny: each page owns its own widgets and state."""

from __future__ import annotations

import string

import streamlit as st

LIVE_PAGE = "app_pages/live_page.py"
# The live page takes this request on its next run (see `request_live_run`).
LOAD_KEY = "l1viz_load"
LOAD_ORIGIN_KEY = "l1viz_load_origin"  # where the request came from, in a sentence


def request_live_run(settings: dict, origin: str = "") -> None:
    """Open the live view with these settings and start playing.

    `settings` uses the URL parameter names of the live view (w_hh, w_ih, b_hh, b_ih, bias, lr,
    optimizer, batch_size, max_length, seed, steps, transform, criterion); missing ones keep
    their defaults. Values may be text (as in a URL) or plain Python values; a bad one is replaced
    by its default and the live page says so. Called by the observation table and the outcome map
    ("Load"); `origin` says which row or cell it came from, shown on the live page.
    """
    st.session_state[LOAD_KEY] = dict(settings)
    st.session_state[LOAD_ORIGIN_KEY] = origin
    st.switch_page(LIVE_PAGE)


_PUNCTUATION = frozenset(string.punctuation)


def plain_markdown(text: str) -> str:
    """`text` shown exactly as written wherever Streamlit expects Markdown: every ASCII punctuation
    character is backslash-escaped, so user or URL text can never become markup, a link or HTML
    (and names like w_ih never turn into italics)."""
    return "".join("\\" + char if char in _PUNCTUATION else char for char in text)
