"""A page's typed state (`l1viz.live.*_view`) <-> its URL and its widgets, for the table, map and
schemes pages (the live page has its own, `live_parts/controls.py`).

The URL is read when it carries a state this session did not write (a link opened, a new
session) or the user went Back to; a bare URL after a page switch keeps the session's state, and
so does an address the session wrote a moment ago (`behind`: a request the browser sent before
the newer address reached it). Every full run writes the
state back, so the address always reproduces the view. What was wrong with a link is kept beside
the state it gave and shown while that state stands.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_pages.common import plain_markdown
from l1viz.engine.config import ConfigError


def url_params() -> dict:
    """The URL's parameters; a repeated name keeps all its values, for `from_params` to reject."""
    params = {}
    for name in st.query_params:
        values = st.query_params.get_all(name)
        params[name] = values[0] if len(values) == 1 else values
    return params


def take_view(key: str, view_type) -> tuple[object, bool]:
    """(the page's state, whether it was just read from a URL that names settings: then it
    replaces what the widgets show)."""
    state, query = st.session_state, url_params()
    if key in state and (not query or query == state.get(f"{key}.url") or behind(query)):
        return state[key], False
    view, warnings = view_type.from_params(query)
    state[key] = view
    state[f"{key}.notes"] = (view, warnings)
    return view, bool(query)


ADDRESSES = "page.addresses"  # the queries the session's runs last wrote, newest first
ADDRESSES_KEPT = 8


def write_address(query: dict[str, str]) -> None:
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    state = st.session_state
    earlier = [known for known in state.get(ADDRESSES, []) if known != query]
    state[ADDRESSES] = [query, *earlier][:ADDRESSES_KEPT]


def behind(query: dict[str, str]) -> bool:
    """The address is one the session wrote a moment ago: the browser sent this request before
    the newer address reached it (a second click on a slow link, a held fragment's request), and
    it is no link to open. Back and Forward bring an older address on purpose."""
    context = get_script_run_ctx()
    going_back = context is not None and context.is_history_navigation
    return query in st.session_state.get(ADDRESSES, [])[1:] and not going_back


def rerun() -> None:
    """`st.rerun()` from a fragment's run. Streamlit may have held that run's request behind a
    full run, and it brings the address the browser had before: the rerun would read it as a
    link opened. The page's own address goes back first."""
    written = st.session_state.get(ADDRESSES)
    if written:
        write_address(written[0])
    st.rerun()


def keep_view(key: str, view) -> None:
    """Make `view` the page's state and write it to the URL."""
    st.session_state[key] = view
    query = view.to_query()
    write_address(query)
    st.session_state[f"{key}.url"] = query


def show_notes(key: str) -> None:
    """The warnings about the link the state came from, while it is still that state."""
    view, warnings = st.session_state.get(f"{key}.notes", (None, []))
    if view != st.session_state.get(key):
        return
    for warning in warnings:
        st.warning(plain_markdown(warning), icon=":material/link_off:")


def accepted(view, fallback, check):
    """`view` if `check(view)` (the study's own validation) takes it, else `fallback`, the last
    accepted state, with the reason beside the form."""
    try:
        check(view)
    except ConfigError as error:
        st.sidebar.error(
            plain_markdown(f"Not applied: {error}. Using the last accepted settings."),
            icon=":material/block:",
        )
        return fallback
    return view
