"""Giving the memory of ended sessions back to the system.

The server is one long-lived process whose sessions come and go. What a closed session held (its
runs, histories, figures) is freed only when Streamlit drops the session (lazily, some time after
its TTL) and the garbage collector breaks its reference cycles; even then the C allocator keeps
most freed pages for reuse instead of returning them. Both are done here, once when each new
session starts: the process then shrinks back towards what it used before the last sessions.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

import streamlit as st

STARTED = "memory.session_started"


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None on a C library without it."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def on_new_session() -> None:
    """Call at the top of every script run; acts on a session's first run only."""
    if STARTED not in st.session_state:
        st.session_state[STARTED] = True
        release_freed_memory()
