"""l1viz dashboard: `streamlit run app.py`. Thin: page set-up and navigation only."""

from importlib.machinery import ModuleSpec

import pandas  # noqa: F401  (see below)
import streamlit as st

from app_pages import memory, studies

# Sessions run in threads of one process and plotly peeks at sys.modules for pandas without
# importing it, so a chart drawn while another session is half-way through importing pandas fails:
# every session imports it here, completely, before any page can draw (docs/streamlit.md).

# A worker process of a local Dask cluster (studies.py) starts by running the main module unless
# it names a spec; Streamlit's script module names none, so every worker would run the app.
__spec__ = ModuleSpec("__main__", None)

st.set_page_config(page_title="l1viz: does the ReLU cell learn?", page_icon="📉", layout="wide")
memory.on_new_session()

pages = [
    st.Page(
        "app_pages/live_page.py", title="Live training", icon=":material/play_circle:", default=True
    ),
    st.Page(
        "app_pages/table_page.py",
        title="Notebook observations",
        icon=":material/table_view:",
        url_path="observations",
    ),
    st.Page(
        "app_pages/map_page.py", title="Outcome map", icon=":material/map:", url_path="outcome_map"
    ),
    st.Page(
        "app_pages/schemes_page.py",
        title="Initialisation schemes",
        icon=":material/casino:",
        url_path="schemes",
    ),
]
studies.default_table()  # measured once per server, from the first page view on
st.navigation(pages).run()
