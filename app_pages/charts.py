"""Charts drawn by Streamlit's plotly (`st.plotly_chart`) with an SVG download beside the
toolbar's PNG one. Plotly's toolbar has a single image button, of one format; the SVG button is a
small component that asks the browser's plotly.js to draw the chart as it stands (zoom included)
as SVG. The full plotly.js bundle is loaded for it on the first click only.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.live_parts import player

HERE = Path(__file__).resolve().parent
_SVG_BUTTON = st.components.v2.component(
    "l1viz.svg_button",
    js=(HERE / "charts.js").read_text(),
    css=(HERE / "charts.css").read_text(),
    isolate_styles=False,
)


def plotly_chart(figure, key: str, file_name: str, **options):
    """`st.plotly_chart(figure, key=key, **options)` with a "Download SVG" button under it that
    saves `file_name`.svg; returns what st.plotly_chart returns."""
    box = f"{key}.box"
    with st.container(key=box, gap=None):
        event = st.plotly_chart(figure, key=key, **options)
        _SVG_BUTTON(
            key=f"{key}.svg",
            data={
                "chart": "st-key-" + box.replace(".", "-"),
                "file": file_name,
                "plotly": player.full_plotly_url(),
            },
            height="content",
        )
    return event
