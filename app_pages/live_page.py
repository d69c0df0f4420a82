"""Live training: the setup in the sidebar (synced with the URL), the notebook case its initial
values fall in, and the player, which animates the run in the browser (controls, status, numbers,
loss and parameter charts, timeline); below, in tabs, the landscape, where the cell fires, long
sequences, 32 seeds and the session's runs.

A run trains on the server ahead of the playhead (`l1viz.live.run`); the page sends the browser
the rows it lacks and hears back where the playhead is (`l1viz.live.view`). The page polls only
while a run that is being watched is still training.
"""

from __future__ import annotations

import secrets
import threading
import time

import streamlit as st

from app_pages import studies
from app_pages.common import LOAD_KEY, LOAD_ORIGIN_KEY, plain_markdown
from app_pages.live_parts import case as live_case
from app_pages.live_parts import controls, firing, long_sequences, player, runs_tab, seeds
from app_pages.live_parts import export as live_export
from app_pages.live_parts import landscape as live_landscape
from app_pages.live_parts import tracking as live_tracking
from l1viz.live import view as viewing
from l1viz.live.case_panel import case_panel
from l1viz.live.links import budget_note
from l1viz.live.player_data import Cursor, Presentation, payload, run_key
from l1viz.live.run import LiveRun
from l1viz.live.run_log import RunLog
from l1viz.live.settings import Settings
from l1viz.live.view import ViewEvent, ViewState
from l1viz.study.vocabulary import cell_sentence

RUN, SHOWN, VIEW, CURSOR = "live.run", "live.shown", "live.view", "live.cursor"
REDRAW = "live.redraw"  # an event changed what the page shows outside the player
SEEN = "live.event"  # the number of the browser's last event taken
TAKEN = "live.taken"  # the same, of the last that moved the playhead (not an "ack")
LOG, LAST_ID, TOKEN, AUTOPLAY = "live.log", "live.last_id", "live.token", "live.autoplay"
# While a watched run is still training, the page sends the browser new rows this often.
POLL_SECONDS = 0.3
TABS = ("Landscape", "Firing", "Long sequences", "32 seeds", "Runs")
RUNS_LOCK = threading.Lock()  # numbers and installs the sessions' runs (start_run)
TAB_KEY = "live.tab"


# -- the run ------------------------------------------------------------------------------------
def start_run(settings: Settings, play: bool = False, at: int = 0) -> None:
    """Replace the current run by a fresh one (the old one stops training), keeping the
    viewer's speed; `play` starts it playing once the browser has it, `at` opens it there.

    Two script runs of a session can overlap (a callback's run starts while the one before is
    still in its code), so a run is numbered under a lock and only a run newer than the current
    one replaces it: an older script run that finishes building its run last keeps the newer."""
    state = st.session_state
    with RUNS_LOCK:
        state[LAST_ID] += 1
        run_id = state[LAST_ID]
    run = LiveRun(settings, run_id)  # a short run trains here at once: not under the lock
    with RUNS_LOCK:
        old = state.get(RUN)
        if old is not None and old.run_id > run_id:
            run.close()
            return
        install_run(run, play, at)
    if old is not None:
        old.close()


def install_run(run: LiveRun, play: bool, at: int) -> None:
    state, settings = st.session_state, run.settings
    key = run_key(state[TOKEN], run.run_id)
    speed = state[VIEW].speed if VIEW in state else viewing.DEFAULT_SPEED
    state[RUN], state[SHOWN] = run, Presentation(run, key)
    state[VIEW] = ViewState(key, step=min(at, settings.steps), speed=speed)
    state[CURSOR] = Cursor(key)
    state[AUTOPLAY] = key if play else None
    if run.done and run.final().steps == 0:  # decided at step 0: a finished run
        state[LOG].record(run, 0)


def take_events() -> None:
    """The browser moved the playhead (the events its triggers sent for this fragment run): keep
    the server's view of it, and record where it stopped (the Runs tab, MLflow at the end)."""
    for sent in player.events():
        take_event(ViewEvent.parse(sent))


def take_event(event: ViewEvent | None) -> None:
    state = st.session_state
    if event is None or event.run != state[VIEW].run or event.number <= state.get(SEEN, 0):
        return
    state[SEEN] = event.number
    if event.kind != "ack":
        state[TAKEN] = event.number
    state[VIEW] = viewing.apply(state[VIEW], event, time.monotonic())
    run = state[RUN]
    # The rows the browser holds: every payload sends the rest, until it says it has them.
    state[CURSOR] = Cursor(event.run, event.epoch, event.have, event.last)
    if event.kind in ("pause", "seek", "end"):
        state[LOG].record(run, event.step)
    if event.kind == "end" and live_tracking.log_if_finished(run):
        state[REDRAW] = True  # the page says where the run was logged


def pace_now(run: LiveRun, view: ViewState) -> float | None:
    final = run.final()
    return viewing.pace(view.speed, final.steps if final else None, run.config.steps)


def keep_training(run: LiveRun, view: ViewState) -> None:
    """Ask the run to train as far ahead of the playhead as the view needs."""
    now = time.monotonic()
    run.want(viewing.training_target(view, now, pace_now(run, view), run.config.steps))


def polling(run: LiveRun, view: ViewState, cursor: Cursor) -> bool:
    """The browser lacks rows the server has trained, or is still training for it."""
    if cursor.behind(run):
        return True
    return not run.done and not run.error and (view.playing or run.training)


# -- the page's parts ---------------------------------------------------------------------------
def case_tables(settings: Settings) -> tuple:
    """The table jobs the case panel quotes: the default one (ReLU's rows, which the player's
    verdict quotes too), then the one under the run's activation (the same job for ReLU)."""
    return studies.default_table(), studies.quoted_table(settings.activation, settings.slope)


def tables_pending(settings: Settings) -> tuple[bool, ...]:
    """Which of the case panel's tables are still measuring (each can only end)."""
    return tuple(studies.running(job) for job in case_tables(settings))


def live_view() -> None:
    state = st.session_state
    table_pending = tables_pending(state[RUN].settings)
    fan_pending = seeds.busy(state[RUN])
    poll = polling(state[RUN], state[VIEW], state[CURSOR])
    slow = any(table_pending) or fan_pending
    every = POLL_SECONDS if poll else (studies.POLL_SECONDS if slow else None)

    @st.fragment(run_every=every)
    def shown():
        # The address a fragment's run brings may predate the last full run's (its request was
        # held behind that run), and a rerun from here would take it for a link: put ours back.
        controls.write_url(state[RUN].settings, viewing.view_query(state[VIEW]))
        if controls.fragment_change():
            st.rerun()  # a setting changed in a fragment's run: the page applies it in full
        take_events()
        run, view = state[RUN], state[VIEW]
        keep_training(run, view)
        # Rerun in full, before anything is drawn, when the timer must change or the page
        # outside the fragment shows something new (rows sent and then redrawn would be lost).
        table_came = table_pending != tables_pending(run.settings)
        fan_came = fan_pending and not seeds.busy(run)
        timer = polling(run, view, state[CURSOR]) != poll
        if timer or table_came or fan_came or state.pop(REDRAW, False):
            st.rerun()
        table = studies.default_table().state().latest
        data = payload(
            state[SHOWN],
            view,
            state[CURSOR],
            table,
            player.plotly_url(),
            taken=state.get(TAKEN, 0),
            autoplay=state.get(AUTOPLAY) == view.run,
        )
        player.player(data)
        controls.write_url(run.settings, viewing.view_query(view))
        tabs(run, view)

    shown()


def tabs(run: LiveRun, view: ViewState) -> None:
    """Only the open tab is built."""
    landscape_tab, firing_tab, long_tab, seeds_tab, runs_tab_ = st.tabs(
        TABS, key=TAB_KEY, on_change="rerun", default=TABS[0]
    )
    if landscape_tab.open:
        with landscape_tab:
            live_landscape.section(run, view)
    if firing_tab.open:
        with firing_tab:
            firing.section(run, view)
    if long_tab.open:
        with long_tab:
            long_sequences.section(run, view)
    if seeds_tab.open:
        with seeds_tab:
            seeds.section(run)
    if runs_tab_.open:
        with runs_tab_:
            runs_tab.section(st.session_state[LOG])


# Less empty space on top keeps the controls, the status and both charts on the first screen at
# 1280 x 720; Streamlit's own status (and its Stop button) would only say "running" while the
# page polls for rows.
PAGE_STYLE = """<style>
[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; }
[data-testid='stStatusWidget'] { visibility: hidden; }
.st-key-live-title h1 { font-size: 2rem; padding-bottom: 0; }
</style>"""


def header(settings: Settings) -> None:
    st.html(PAGE_STYLE)
    with st.container(key="live.title"):
        st.title("Live training")
    cell = cell_sentence(settings.activation, settings.slope)
    fate = "learn, or die" if settings.activation == "relu" else "learn"  # only ReLU can die
    st.caption(
        plain_markdown(
            f"{cell} Set the initial values in the sidebar, press Play, and watch it {fate}."
        )
    )
    origin = controls.origin()
    if origin:
        st.info(plain_markdown(origin), icon=":material/input:")
    for note in controls.notes():
        st.warning(plain_markdown(note), icon=":material/warning:")


# -- the page -----------------------------------------------------------------------------------
def take_request() -> int:
    """Adopt a setup asked for by another page ("Load") or by the URL; returns the step a link
    opens at (0 if none)."""
    state = st.session_state
    load = state.pop(LOAD_KEY, None)
    if load is not None:
        settings, notes = Settings.from_params(load)
        if controls.SETTINGS in state:
            notes += budget_note(state[controls.SETTINGS], settings)
        controls.adopt(settings, notes, origin=state.pop(LOAD_ORIGIN_KEY, ""))
        start_run(settings, play=True)
        return 0
    at, warnings = viewing.read_view_query(st.query_params.to_dict())
    if controls.take_setup_from_url():
        controls.add_notes(warnings)
        return at
    return 0


def main() -> None:
    state = st.session_state
    state.setdefault(LOG, RunLog())
    state.setdefault(LAST_ID, 0)
    state.setdefault(TOKEN, secrets.token_hex(4))
    at = take_request()
    settings = controls.sidebar()
    live_tracking.sidebar()
    state[controls.SETTINGS] = settings
    if RUN not in state or state[RUN].settings != settings:
        start_run(settings, at=at)
    run, view = state[RUN], state[VIEW]
    header(run.settings)
    table, remedies = (job.state().latest for job in case_tables(run.settings))
    live_case.section(case_panel(run.settings, table, None, remedies))
    live_view()
    if view.ended:
        live_tracking.note(run)
    live_export.section(run.settings)


main()
