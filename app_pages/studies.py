"""The studies every session shares: the measured table and the outcome maps, each computed once
per server on a worker thread (`l1viz.live.jobs`) and read, finished or not, by any page. They
train where the server's setting says (in this process, or on a Dask cluster), which every study
view shows.

The default table starts with the server's first page view, so whoever opens the table page later
finds it complete, and the live page's case panel can quote it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import streamlit as st

from app_pages.common import plain_markdown
from app_pages.page_state import rerun
from l1viz.live.jobs import DONE, FAILED, Job, JobBoard, JobState
from l1viz.live.settings import COMMON_INIT_RANGE, Settings
from l1viz.live.study_place import SharedPlace, chosen_setting
from l1viz.study.map import SweepResult, SweepSettings, measure_sweep
from l1viz.study.runner import Runner
from l1viz.study.schemes import SchemeResult, SchemeSettings, measure_schemes
from l1viz.study.seed_fan import SeedFan, seed_fan
from l1viz.study.table import TableResult, TableSettings, documented_rows, measure_table

# A rerun of the reading fragment this often while a study is in progress.
POLL_SECONDS = 0.7


@st.cache_resource
def board() -> JobBoard:
    return JobBoard()


@st.cache_resource
def place() -> SharedPlace:
    """Where the server's studies run (l1viz.live.study_place): the environment's setting, else
    `.streamlit/secrets.toml`'s."""
    secrets = st.secrets if st.secrets.load_if_toml_exists() else {}
    return SharedPlace(chosen_setting(os.environ, secrets))


def runner() -> Callable[[], Runner]:
    """The runner of the server's study place, read when called: a study calls it on its worker,
    so the first one opens the place there. (The place itself is read here, in the script's
    thread, where the secrets are the app's.)"""
    shared = place()
    return lambda: shared.get().runner


def table_job(settings: TableSettings) -> Job[TableResult]:
    where = runner()
    return board().job(
        ("table", settings),
        lambda publish: measure_table(settings, on_update=publish, runner=where()),
        documented_rows(settings),
    )


def default_table() -> Job[TableResult]:
    return table_job(TableSettings())


def quoted_table(activation: str, slope: float | None) -> Job[TableResult]:
    """The table the live page's case panel quotes: the default one, with `activation` trained
    beside ReLU when it is another (the same samples, so ReLU's rows are the default table's)."""
    return table_job(TableSettings(activation=activation, slope=slope))


def map_job(settings: SweepSettings) -> Job[SweepResult | None]:
    where = runner()
    return board().job(
        ("map", settings),
        lambda publish: measure_sweep(settings, on_update=publish, runner=where()),
        None,
    )


def schemes_job(settings: SchemeSettings) -> Job[SchemeResult | None]:
    """Examples kept for "Load" lie within the live view's range of initial values."""
    where = runner()
    return board().job(
        ("schemes", settings),
        lambda publish: measure_schemes(
            settings, on_update=publish, live_range=COMMON_INIT_RANGE[1], runner=where()
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

    show_place()

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
            rerun()

    view()


def show_place() -> None:
    """In the sidebar, under the page's settings: where studies run, with a link to Dask's
    dashboard, or why not where they were asked to. (Written once per full run: a fragment
    cannot write to the sidebar, and the page reruns whole when a study ends.)"""
    shared = place()
    opened = shared.peek()
    if opened is None:
        st.sidebar.caption(plain_markdown(f"Studies run on {shared.asked()} (connecting…)."))
    elif opened.problem:
        st.sidebar.warning(plain_markdown(f"Studies run in this process: {opened.problem}"))
    else:
        link = f" · [Dask's dashboard]({opened.dashboard})" if opened.dashboard else ""
        st.sidebar.caption(plain_markdown(f"Studies run {opened.where}.") + link)
