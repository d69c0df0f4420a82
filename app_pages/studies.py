"""The studies every session shares: the measured table and the outcome maps, each computed once
per server on a worker thread (`l1viz.live.jobs`) and read, finished or not, by any page.

The default table starts with the server's first page view, so whoever opens the table page later
finds it complete, and the live page's case panel can quote it.
"""

from __future__ import annotations

import streamlit as st

from l1viz.live.jobs import Job, JobBoard
from l1viz.live.settings import INIT_RANGE
from l1viz.study.schemes import SchemeResult, SchemeSettings, measure_schemes
from l1viz.study.sweep import SweepResult, SweepSettings, measure_sweep
from l1viz.study.table import TableResult, TableSettings, documented_rows, measure_table

# A rerun of the reading fragment this often while a study is in progress.
POLL_SECONDS = 0.7


@st.cache_resource
def board() -> JobBoard:
    return JobBoard()


def table_job(settings: TableSettings) -> Job[TableResult]:
    return board().job(
        ("table", settings),
        lambda publish: measure_table(settings, on_update=publish),
        documented_rows(settings),
    )


def default_table() -> Job[TableResult]:
    return table_job(TableSettings())


def map_job(settings: SweepSettings) -> Job[SweepResult | None]:
    return board().job(
        ("map", settings), lambda publish: measure_sweep(settings, on_update=publish), None
    )


def schemes_job(settings: SchemeSettings) -> Job[SchemeResult | None]:
    """Examples kept for "Load" lie within the live view's range of initial values."""
    return board().job(
        ("schemes", settings),
        lambda publish: measure_schemes(settings, on_update=publish, live_range=INIT_RANGE[1]),
        None,
    )
