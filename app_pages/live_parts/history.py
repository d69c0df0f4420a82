"""The live page's run history: one row per finished or paused run, overlays and downloads."""

from __future__ import annotations

import streamlit as st

from app_pages.live_parts import controls
from l1viz.live.run_log import RunLog, summary_table
from l1viz.plots import time_charts

TABLE_KEY = "live.history"
PICK_KEY = "live.history.pick"
DOWNLOAD = ":material/download:"


def section(log: RunLog) -> None:
    st.subheader("Runs in this session")
    if not len(log):
        st.caption("Paused and finished runs are listed here, to compare and download.")
        return
    records = log.records()
    table = summary_table(records)
    event = st.dataframe(
        table.assign(bias=table["bias"].map({True: "yes", False: "no"})),
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        column_config={
            "steps_done": st.column_config.NumberColumn("steps taken", format="%d"),
            "final_loss": st.column_config.NumberColumn("final loss", format="%.3e"),
            # A checkbox column would look like the row selector next to it.
            "bias": st.column_config.TextColumn("bias"),
            "lr": st.column_config.NumberColumn("lr", format="%g"),
            "budget": st.column_config.NumberColumn("step budget", format="%d"),
            "tolerance": st.column_config.NumberColumn("threshold", format="%g"),
        },
    )
    ids = [record.run_id for record in records]
    selected = [ids[row] for row in event.selection.rows if row < len(ids)]
    if selected:
        st.plotly_chart(
            time_charts.overlay_figure(log.loss_curves(selected)),
            key="live.chart.overlay",
            config=time_charts.TOOLBAR,
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
        if st.session_state.get(PICK_KEY) not in ids:
            st.session_state[PICK_KEY] = selected[-1] if selected else ids[-1]
        run_id = st.selectbox(
            "One run's trajectory (every recorded step)",
            ids,
            key=PICK_KEY,
            format_func=lambda i: f"run {log.get(i).number}: {log.get(i).status}",
        )
        record = log.get(run_id)
        with st.container(horizontal=True):
            st.download_button(
                "CSV",
                data=record.trajectory_csv,
                file_name=f"l1viz-run-{record.number}.csv",
                mime="text/csv",
                on_click="ignore",
                icon=DOWNLOAD,
                key="live.dl.run.csv",
            )
            st.download_button(
                "JSON",
                data=record.trajectory_json,
                file_name=f"l1viz-run-{record.number}.json",
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
