"""The live page's case panel: which of the notebook's 17 cases the initial values fall in, what the
notebook claimed for it, how the case's region measured, and whether this run agrees. The words
come from `l1viz.live.case_panel`; this draws them."""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown
from l1viz.live.case_panel import CasePanel
from l1viz.plots import palette

TABLE_PAGE = "app_pages/table_page.py"
REGION_WORDS = {
    "agrees": "the region agrees with the notebook",
    "partly": "the region agrees only partly",
    "disagrees": "the region disagrees with the notebook",
}


def section(panel: CasePanel) -> None:
    with st.container(border=True, key="live.case"):
        st.markdown(f"**{plain_markdown(panel.heading)}**")
        if not panel.inside:
            st.caption(plain_markdown("Not in a case: " + "; ".join(panel.outside) + "."))
        st.markdown(plain_markdown(f"Notebook: {panel.claim}. {panel.measured}"))
        if panel.agreement is not None:
            shade = palette.AGREEMENT[panel.agreement]
            st.badge(f"Table: {REGION_WORDS[panel.agreement]}", color=shade.badge)
        if panel.run_agrees is not None:
            words = "agrees" if panel.run_agrees else "disagrees"
            shade = palette.AGREEMENT["agrees" if panel.run_agrees else "disagrees"]
            st.badge(f"This run {words} with the notebook", color=shade.badge)
            st.caption(plain_markdown(panel.run_sentence))
        if panel.firing:
            st.caption(plain_markdown(panel.firing))
        st.page_link(
            TABLE_PAGE,
            label=f"{panel.case.label} in the table",
            icon=":material/table_view:",
            query_params={"case": panel.case.id},
        )
