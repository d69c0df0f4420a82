"""What the pages share. Kept tiny: each page owns its own widgets and state."""

from __future__ import annotations

import streamlit as st

LIVE_PAGE = "app_pages/live.py"


def request_live_run(settings: dict) -> None:
    """Open the live view with these settings and start playing.

    `settings` uses the URL parameter names of the live view (w_hh, w_ih, b_hh, b_ih, bias, lr,
    optimizer, batch_size, max_length, seed, steps, transform, criterion); missing ones keep
    their defaults. Called by the observation table and the outcome map ("Load").
    """
    st.session_state["l1viz_load"] = dict(settings)
    st.switch_page(LIVE_PAGE)
