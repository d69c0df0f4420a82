"""The live page's Runs tab: one row per run the session stopped somewhere, overlays of their loss
curves, and downloads."""

from __future__ import annotations

import streamlit as st

from app_pages.charts import plotly_chart
from app_pages.live_parts import controls
from l1viz.live.run_log import RunLog, RunRecord, summary_table
from l1viz.plots import time_charts

TABLE_KEY = "live.history"
PICK_KEY = "live.history.pick"
DOWNLOAD = ":material/download:"


def section(log: RunLog) -> None:
    st.subheader("Runs in this session")
    if not len(log):
        st.caption(
            "Runs you paused, moved or watched to the end are listed here, to compare and download."
        )
        return
    records = log.records()
    selected = runs_table(records)
    if selected:
        plotly_chart(
            time_charts.overlay_figure(log.loss_curves(selected)),
            key="live.chart.overlay",
            file_name="l1viz-runs",
            config=time_charts.TOOLBAR,
        )
    else:
        st.caption("Select rows (left edge of the table) to overlay their loss curves.")
    left, right = st.columns(2)
    with left:
        table_downloads(log)
    with right:
        run_downloads(log, [record.run_id for record in records], selected)


def runs_table(records: list[RunRecord]) -> list[int]:
    """The table of runs; returns the ids of the rows selected."""
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
    return [ids[row] for row in event.selection.rows if row < len(ids)]


def _download(label: str, data, file_name: str, mime: str, key: str) -> None:
    st.download_button(
        label, data=data, file_name=file_name, mime=mime, on_click="ignore", icon=DOWNLOAD, key=key
    )


def table_downloads(log: RunLog) -> None:
    st.markdown("**The table**")
    with st.container(horizontal=True):
        _download(
            "CSV",
            lambda: log.table().to_csv(index=False),
            "l1viz-runs.csv",
            "text/csv",
            "live.dl.table.csv",
        )
        _download(
            "JSON", log.table_json, "l1viz-runs.json", "application/json", "live.dl.table.json"
        )


def run_downloads(log: RunLog, ids: list[int], selected: list[int]) -> None:
    """One run's trajectory as CSV or JSON, and its setup back in the sidebar."""
    if st.session_state.get(PICK_KEY) not in ids:
        st.session_state[PICK_KEY] = selected[-1] if selected else ids[-1]
    run_id = st.selectbox(
        "One run's trajectory (up to the step it stopped at)",
        ids,
        key=PICK_KEY,
        format_func=lambda i: f"run {log.get(i).number}: {log.get(i).status}",
    )
    record = log.get(run_id)
    with st.container(horizontal=True):
        name = f"l1viz-run-{record.number}"
        _download("CSV", record.trajectory_csv, f"{name}.csv", "text/csv", "live.dl.run.csv")
        _download(
            "JSON", record.trajectory_json, f"{name}.json", "application/json", "live.dl.run.json"
        )
        _download(
            "Parquet",
            record.trajectory_parquet,
            f"{name}.parquet",
            "application/vnd.apache.parquet",
            "live.dl.run.parquet",
        )
        st.button(
            "Load this run's setup",
            key="live.history.load",
            on_click=controls.adopt,
            args=(record.settings, []),
            help="Back to this run's initial values and hyperparameters, ready to play.",
        )
