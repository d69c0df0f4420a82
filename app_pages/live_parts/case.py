"""The live page's case line: which of the notebook's 17 cases the initial values fall in, what the
notebook claimed for it and how the case's region measured, in one line that opens on the
details (the claim's remark, where the cell can fire, the table's row). Whether this run agrees is
the player's to say, when its playhead reaches the end. The words come from
`l1viz.live.case_panel`; this draws them."""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown
from l1viz.live.case_panel import CasePanel
from l1viz.plots import palette

TABLE_PAGE = "app_pages/table_page.py"
REGION_WORDS = {
    "agrees": "the region agrees",
    "partly": "the region agrees partly",
    "disagrees": "the region disagrees",
}


def headline(panel: CasePanel) -> str:
    """The expander's one line, as Markdown: the case, the claim and the table's verdict."""
    claim = panel.case.documented
    if not panel.inside:  # the nearest case's claim and region are not this init's
        return (
            f"**{plain_markdown(panel.heading)}**: the notebook says nothing of these values "
            f"(of {plain_markdown(panel.case.label)}: {plain_markdown(claim)})"
        )
    notebook = "notebook, for ReLU" if panel.activation else "notebook"
    line = f"**{plain_markdown(panel.heading)}** · {notebook}: {plain_markdown(claim)}"
    if panel.agreement is None:
        line += " · measuring the region…"
    else:
        shade = palette.AGREEMENT[panel.agreement]
        line += f" · :{shade.badge}-badge[{REGION_WORDS[panel.agreement]}]"
    if panel.activation:  # the claim and the region are ReLU's, the run is not
        line += f" · this run: {plain_markdown(panel.activation)}"
    return line


def section(panel: CasePanel) -> None:
    with st.container(key="live.case"):
        with st.expander(headline(panel), icon=":material/menu_book:"):
            if not panel.inside:
                st.caption(plain_markdown("Not in a case: " + "; ".join(panel.outside) + "."))
            st.markdown(plain_markdown(f"Notebook: {panel.claim}. {panel.measured}"))
            if panel.firing:
                st.caption(plain_markdown(panel.firing))
            under = f", with {panel.activation}" if panel.activation else ""
            st.page_link(
                TABLE_PAGE,
                label=f"{panel.case.label} in the table{under}",
                icon=":material/table_view:",
                query_params=panel.table_link,
            )
