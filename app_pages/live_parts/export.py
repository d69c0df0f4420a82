"""The live run's setup as a file to take elsewhere: a PyTorch script or a notebook that needs only
torch and ends exactly as the run did here (`l1viz.export`).

The file is written when a button is pressed (Streamlit's deferred download data), never on a
redraw; pressing one does not rerun the page, so a playing run keeps playing.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown
from l1viz.export import FORMATS, ExportError, check_exportable
from l1viz.export.autograd_gap import NOTEBOOK_GAP
from l1viz.live.settings import Settings

BUTTONS = {
    "py": ("Download as PyTorch script", "text/x-python", ":material/code:"),
    "ipynb": ("Download as notebook", "application/x-ipynb+json", ":material/book:"),
}


def file_name(extension: str) -> str:
    return f"l1viz_run.{extension}"


def section(settings: Settings) -> None:
    config, init = settings.config(), settings.init()
    try:
        check_exportable(config)
    except ExportError as error:
        st.caption(plain_markdown(f"No download as code for this setup: {error}."))
        return
    row = st.container(horizontal=True, key="live-export")
    for extension, (label, mime, icon) in BUTTONS.items():
        row.download_button(
            label,
            data=lambda write=FORMATS[extension]: write(config, init),
            file_name=file_name(extension),
            mime=mime,
            icon=icon,
            on_click="ignore",
            key=f"live.export.{extension}",
        )
    st.caption(
        plain_markdown(
            "Needs only torch; run on its own it ends exactly as this run does, float32 bit for "
            f"bit, and shows the usual nn.RNNCell + autograd form beside it. "
            f"{NOTEBOOK_GAP.sentence}"
        )
    )
