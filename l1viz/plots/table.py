"""Small pictures of the measured table, from its plain data: one case's outcome shares as a
stacked bar, and the legend of those colours (HTML; Streamlit shows it with st.html)."""

from __future__ import annotations

import html

from l1viz.plots.palette import ENDINGS, UNDECIDED
from l1viz.study.table import CaseMeasurement


def share_bar_html(measured: CaseMeasurement) -> str:
    """A 100 %-wide bar split by outcome share; each part names itself on hover."""
    parts = []
    for ending, shade in ENDINGS.items():
        share = measured.share(ending)
        if share > 0:
            title = html.escape(f"{shade.label}: {share:.1%}")
            style = f"width:{share * 100:.3f}%;background:{shade.hex}"
            parts.append(f'<div title="{title}" style="{style}"></div>')
    return (
        '<div style="display:flex;height:14px;width:100%;border-radius:3px;overflow:hidden;'
        f'background:{UNDECIDED}">{"".join(parts)}</div>'
    )


def share_legend_html() -> str:
    items = "".join(
        f'<span style="margin-right:1em"><span style="display:inline-block;width:10px;height:10px;'
        f'background:{shade.hex};margin-right:4px"></span>{html.escape(shade.label)}</span>'
        for shade in ENDINGS.values()
    )
    return f'<div style="font-size:0.85em">{items}</div>'
