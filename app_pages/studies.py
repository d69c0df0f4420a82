"""The studies every session shares: the measured table and the outcome maps, each computed once
per server on a worker thread (`l1viz.live.jobs`) and read, finished or not, by any page.

The default table starts with the server's first page view, so whoever opens the table page later
finds it complete, and the live page's case panel can quote it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app_pages.common import plain_markdown
from l1viz.live.jobs import DONE, FAILED, Job, JobBoard, JobState
from l1viz.live.settings import COMMON_INIT_RANGE, Settings
from l1viz.study.map import SweepResult, SweepSettings, measure_sweep
from l1viz.study.schemes import SchemeResult, SchemeSettings, measure_schemes
from l1viz.study.seed_fan import SeedFan, seed_fan
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
        lambda publish: measure_schemes(
            settings, on_update=publish, live_range=COMMON_INIT_RANGE[1]
        ),
        None,
    )


def seeds_job(settings: Settings, seeds: int) -> Job[SeedFan | None]:
    """The live view's init and setup trained from `seeds` data seeds (the run's seed onwards)."""
    init, config = settings.init(), settings.config()
    return board().job(
        ("seeds", init, config, seeds),
        lambda publish: seed_fan(init, config, seeds, on_update=publish),
        None,
    )


def running(job: Job) -> bool:
    return job.state().status not in (DONE, FAILED)


def follow(job_of: Callable[[], Job], draw: Callable[[JobState], None], what: str) -> None:
    """Draw a study as it stands, a few times a second while it runs, then the whole page once
    more when it ends (a fragment's timer is only removed by a full rerun). `draw` gets the
    job's state; a failure is shown, a progress bar stands above a study still running."""
    running = job_of().state().status not in (DONE, FAILED)

    @st.fragment(run_every=POLL_SECONDS if running else None)
    def view() -> None:
        state = job_of().state()
        if state.status == FAILED:
            st.error(plain_markdown(f"{what} failed: {state.error}"))
            return
        if state.status != DONE:
            done = getattr(state.latest, "progress", 0.0)
            phase = getattr(state.latest, "phase", "") or "Training"
            text = f"{phase}: {done:.0%} ({state.seconds:.0f} s)"
            st.progress(min(done, 1.0), text=text if state.seconds else "Waiting for a worker…")
        if state.latest is not None:
            draw(state)
        if running and state.status in (DONE, FAILED):
            st.rerun()

    view()
