"""The live page's run history: one row per finished or paused run, overlays and downloads."""

from __future__ import annotations

import streamlit as st

from app_pages.live_parts import controls
from l1viz.live.run_log import RunLog
from l1viz.plots import time_charts

TABLE_KEY = "live.history"
PICK_KEY = "live.history.pick"
DOWNLOAD = ":material/download:"


def section(log: RunLog) -> None:
    st.subheader("Runs in this session")
    if not len(log):
        st.caption("Paused and finished runs are listed here, to compare and download.")
        return
    table = log.table()
    event = st.dataframe(
        table,
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        column_config={
            "final_loss": st.column_config.NumberColumn("final loss", format="%.3e"),
            "lr": st.column_config.NumberColumn("lr", format="%g"),
            "tolerance": st.column_config.NumberColumn("threshold", format="%g"),
        },
    )
    rows = [row for row in event.selection.rows if row < len(table)]
    selected = [int(table["run"].iloc[row]) for row in rows]
    if selected:
        st.plotly_chart(
            time_charts.overlay_figure(log.loss_curves(selected)), key="live.chart.overlay"
        )
    else:
        st.caption("Select rows (left edge of the table) to overlay their loss curves.")

    left, right = st.columns(2)
    with left:
        st.markdown("**The table**")
        with st.container(horizontal=True):
            st.download_button(
                "CSV",
                data=lambda: log.table().to_csv(index=False),
                file_name="l1viz-runs.csv",
                mime="text/csv",
                on_click="ignore",
                icon=DOWNLOAD,
                key="live.dl.table.csv",
            )
            st.download_button(
                "JSON",
                data=log.table_json,
                file_name="l1viz-runs.json",
                mime="application/json",
                on_click="ignore",
                icon=DOWNLOAD,
                key="live.dl.table.json",
            )
    with right:
        ids = log.run_ids
        if st.session_state.get(PICK_KEY) not in ids:
            st.session_state[PICK_KEY] = selected[-1] if selected else ids[-1]
        run_id = st.selectbox(
            "One run's trajectory (every recorded step)",
            ids,
            key=PICK_KEY,
            format_func=lambda i: f"run {i}: {log.get(i).status}",
        )
        record = log.get(run_id)
        with st.container(horizontal=True):
            st.download_button(
                "CSV",
                data=record.trajectory_csv,
                file_name=f"l1viz-run-{run_id}.csv",
                mime="text/csv",
                on_click="ignore",
                icon=DOWNLOAD,
                key="live.dl.run.csv",
            )
            st.download_button(
                "JSON",
                data=record.trajectory_json,
                file_name=f"l1viz-run-{run_id}.json",
                mime="application/json",
                on_click="ignore",
                icon=DOWNLOAD,
                key="live.dl.run.json",
            )
            st.button(
                "Load this run's setup",
                key="live.history.load",
                on_click=controls.adopt,
                args=(record.settings, []),
                help="Back to this run's initial values and hyperparameters, ready to play.",
            )
