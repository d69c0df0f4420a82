"""A finished study's downloads: JSON (as the CLI's --json) and CSV, side by side."""

from __future__ import annotations

import streamlit as st

from l1viz.live.downloads import json_text


def download_buttons(name: str, payload: dict, csv_text: str) -> None:
    """Two buttons, `l1viz-<name>.json` and `.csv`; the files are built only when the study is."""
    row = st.container(horizontal=True, key=f"{name}.downloads")
    row.download_button(
        "Download JSON",
        json_text(payload),
        file_name=f"l1viz-{name}.json",
        mime="application/json",
        icon=":material/download:",
        key=f"{name}.download.json",
        on_click="ignore",
    )
    row.download_button(
        "Download CSV",
        csv_text,
        file_name=f"l1viz-{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{name}.download.csv",
        on_click="ignore",
    )
