"""Live training: the setup in the sidebar (synced with the URL), Play / Pause / Step / Reset and
a speed, then on one screen the run's verdict, the notebook case its initial values fall in, and
the loss and parameter charts updating while it trains; below, in tabs, the landscape with the
gradient field, where the cell fires, the replay, long sequences, 32 seeds and the session's runs.

Thin on purpose: settings -> `LiveRun` (engine) -> `l1viz.plots`. While playing, one fragment
reruns a few times a second; each rerun trains for a slice of time (or the speed's share of
steps), then redraws.
"""

from __future__ import annotations

import streamlit as st

from app_pages import studies
from app_pages.common import LOAD_KEY, LOAD_ORIGIN_KEY, plain_markdown
from app_pages.live_parts import after as live_after
from app_pages.live_parts import case as live_case
from app_pages.live_parts import controls, firing, seeds
from app_pages.live_parts import export as live_export
from app_pages.live_parts import history as live_history
from app_pages.live_parts import tracking as live_tracking
from app_pages.live_parts.surface import surface_for
from l1viz.engine.config import cell_parameters
from l1viz.engine.outcomes import CONVERGED
from l1viz.live.case_panel import case_panel
from l1viz.live.links import budget_note
from l1viz.live.run import LiveRun, Snapshot
from l1viz.live.run_log import RunLog
from l1viz.live.settings import Settings
from l1viz.plots import plane, time_charts
from l1viz.study.fatal_update import FatalUpdate, fatal_update
from l1viz.study.long_sequence_note import long_sequence_note

RUN, LOG, LAST_ID, ACTION = "live.run", "live.log", "live.last_id", "live.action"
CHART_MIN_WIDTH = 440  # px: narrower, the charts go one under the other
TOP_MIN_WIDTH = 400  # px: narrower, the case panel goes under the verdict
METRIC_MIN_WIDTH = 110  # px: the status numbers wrap to a second row rather than being cut
REFRESH_SECONDS = 0.1  # the fragment's run_every while playing (the timer restarts after each run)
TRAIN_SECONDS = 0.15  # training per refresh: it overlaps the browser drawing the last one
# Steps per second of wall time while playing (None: as fast as the machine trains).
SPEEDS = {"100 steps/s": 100, "1,000 steps/s": 1_000, "10,000 steps/s": 10_000, "max speed": None}
SPEED_KEY = "live.speed"
TABS = ("Landscape", "Firing", "Replay", "Long sequences", "32 seeds", "Runs")
TAB_KEY = "live.tab"


# -- the run and its controls --------------------------------------------------------------------
def start_run(settings: Settings, play: bool = False) -> None:
    """Replace the current run by a fresh one. The old one stops (a slice of it may be training
    in another script run) and keeps its row in the history; a run that is decided before any
    step (Identity's init, an overflow at step 0) gets its row at once."""
    state = st.session_state
    if RUN in state:
        state[RUN].pause()
        state[LOG].record(state[RUN])
    state[LAST_ID] += 1
    run = LiveRun(settings, state[LAST_ID])
    state[RUN] = run
    if run.done:
        state[LOG].record(run)
    if play:
        run.play()


# Play, Step and Reset act on the run of the setup the page ends up with: a click may arrive in
# the same script run as a setup change (a typed value committed by the click itself), whose
# callbacks run first and whose new run is built only afterwards. Pause acts at once: it must
# stop the slice that may be training in another script run.
def request(action: tuple) -> None:
    st.session_state[ACTION] = action


def pause() -> None:
    st.session_state.pop(ACTION, None)
    run = st.session_state[RUN]
    run.pause()
    st.session_state[LOG].record(run)


def apply_request(run: LiveRun) -> None:
    action = st.session_state.pop(ACTION, None)
    if action is None:
        return
    kind, *args = action
    if kind == "play":
        run.play()
    elif kind == "step":
        run.step(*args)
        st.session_state[LOG].record(run)
    elif kind == "reset":
        start_run(run.settings)


def control_row(run: LiveRun) -> None:
    playing = run.playing
    row = st.container(horizontal=True)  # each button as wide as its label, even when narrow
    row.button(
        "Play",
        key="live.play",
        icon=":material/play_arrow:",
        on_click=request,
        args=(("play",),),
        type="primary",
        disabled=playing or run.done,
    )
    row.button(
        "Pause",
        key="live.pause",
        icon=":material/pause:",
        on_click=pause,
        disabled=not playing,
    )
    row.button(
        "Step +1",
        key="live.step1",
        icon=":material/skip_next:",
        on_click=request,
        args=(("step", 1),),
        disabled=playing or run.done,
    )
    row.button(
        "Step +100",
        key="live.step100",
        icon=":material/fast_forward:",
        on_click=request,
        args=(("step", 100),),
        disabled=playing or run.done,
    )
    row.button(
        "Reset",
        key="live.reset",
        icon=":material/replay:",
        on_click=request,
        args=(("reset",),),
        help="The same initial values and data seed again: the run replays exactly.",
    )
    row.segmented_control(
        "Speed",
        list(SPEEDS),
        default="max speed",
        required=True,
        key=SPEED_KEY,
        label_visibility="collapsed",
        help="Steps trained per second while playing: slow down to watch a short run unfold.",
    )


def speed() -> float | None:
    return SPEEDS.get(st.session_state.get(SPEED_KEY) or "max speed")


# -- the live part ------------------------------------------------------------------------------
def advance(run: LiveRun) -> None:
    """One refresh's worth of training; at the verdict, stop and redraw the whole page."""
    try:
        run.advance(TRAIN_SECONDS)
    except (MemoryError, RuntimeError) as error:
        run.pause()
        st.error(plain_markdown(f"Training stopped: {error}"))
        return
    if run.done:
        st.session_state[LOG].record(run)
        st.rerun()


def status_block(run: LiveRun, now: Snapshot, fatal: FatalUpdate | None) -> None:
    status = now.status
    motion = "playing" if now.playing else ("paused" if status.kind == "training" else "")
    text = now.explanation or "Press Play to train, or Step to advance by hand."
    text = f"{text} {'(' + motion + ')' if motion else ''}".strip()
    # The badge leads the sentence and wraps with it, so a narrow column never cuts it short.
    st.markdown(f":{status.color}-badge[{plain_markdown(status.label)}] {plain_markdown(text)}")
    for note, alarming in verdict_notes(run, now, fatal):
        show = st.warning if alarming else st.info
        show(plain_markdown(note), icon=":material/info:")

    result = now.result
    values = {
        f"step (of {run.config.steps:,})": f"{result.steps:,}",
        "batch loss": f"{result.loss:.4g}",
    }
    values.update({name: f"{result.params[name]:.5f}" for name in cell_parameters(run.config.bias)})
    values["active"] = f"{result.active:.0%}"
    numbers = st.grid(len(values), min_column_width=METRIC_MIN_WIDTH)
    for label, value in values.items():
        numbers.metric(label, value)


def verdict_notes(run: LiveRun, now: Snapshot, fatal: FatalUpdate | None) -> list[tuple[str, bool]]:
    """What the badge alone would hide, each with whether it contradicts the badge: a converged
    cell that misses the L1 norm of a long sequence, and the update that killed a run."""
    notes = []
    if now.done and now.result.outcome == CONVERGED:
        params = now.result.params
        values = {"w_hh": params["w_hh"], "w_ih": params["w_ih"]}
        if run.config.bias:
            values["b"] = params["b_hh"] + params["b_ih"]
        check = live_after.generalisation_of(run, now).check
        note = long_sequence_note(values, check)
        if note:
            notes.append((f"Converged by the {run.config.criterion} rule, yet: {note}", True))
    if fatal is not None:
        notes.append((fatal.sentence, False))
    return notes


def top_row(run: LiveRun, now: Snapshot, fatal: FatalUpdate | None) -> None:
    """The verdict beside the notebook case of the initial values (under it when narrow)."""
    table = studies.default_table().state().latest
    ended = now.result if now.done else None
    top = st.grid(2, min_column_width=TOP_MIN_WIDTH, gap="medium")
    with top.container(key="live.status"):
        status_block(run, now, fatal)
    with top.container():
        live_case.section(case_panel(run.settings, table, ended))


def charts(run: LiveRun, now: Snapshot, fatal: FatalUpdate | None) -> None:
    """Loss and parameters, two a row where there is room, one under the other where not."""
    series, spans, revision = now.series, now.spans, run.run_id
    figures = {
        "loss": time_charts.loss_figure(series, spans, revision),
        "params": time_charts.parameters_figure(
            series, run.config.bias, spans, revision, fatal=fatal
        ),
    }
    grid = st.grid(2, min_column_width=CHART_MIN_WIDTH, key="live.charts")
    for name, figure in figures.items():
        grid.plotly_chart(figure, key=f"live.chart.{name}", config=time_charts.TOOLBAR)


def landscape(run: LiveRun, now: Snapshot) -> None:
    surface, label = surface_for(run.config, now.landscape_key, now.series)
    figure = plane.landscape_figure(
        surface, now.series["w_hh"], now.series["w_ih"], label, run.run_id
    )
    st.plotly_chart(figure, key="live.chart.landscape", config=time_charts.TOOLBAR)
    st.caption(
        "Expected loss over (w_hh, w_ih) at the run's current biases, on a fixed batch. Arrows: "
        "the direction down the gradient (none where the cell is dead: no gradient flows)."
    )


def tabs(run: LiveRun, now: Snapshot) -> None:
    """Only the open tab is built (and redrawn while playing)."""
    landscape_tab, firing_tab, replay_tab, long_tab, seeds_tab, runs_tab = st.tabs(
        TABS, key=TAB_KEY, on_change="rerun", default=TABS[0]
    )
    if landscape_tab.open:
        with landscape_tab:
            landscape(run, now)
    if firing_tab.open:
        with firing_tab:
            firing.section(run, now)
    if replay_tab.open:
        with replay_tab:
            live_after.replay(run, now)
    if long_tab.open:
        with long_tab:
            live_after.long_sequences(run, now)
    if seeds_tab.open:
        with seeds_tab:
            seeds.section(run)
    if runs_tab.open:
        with runs_tab:
            live_history.section(st.session_state[LOG])


# Live charts show while plotly sizes them (docs/streamlit.md); the status numbers use a smaller
# type than Streamlit's metric so five decimals fit beside each other; less empty space on top
# keeps the verdict, the case and both charts on one 1000 px high screen.
LIVE_CHART_STYLE = """<style>
[class*='st-key-live-chart-'] .stPlotlyChart > div { visibility: visible !important; }
.st-key-live-status [data-testid='stMetricValue'] { font-size: 1.5rem; }
[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; }
</style>"""


def waiting(run: LiveRun) -> bool:
    """Something the page shows is still being computed elsewhere: the table the case panel
    quotes, or this run's seed fan."""
    return studies.running(studies.default_table()) or seeds.busy(run)


def live_view(run: LiveRun) -> None:
    st.html(LIVE_CHART_STYLE)
    playing, polling = run.playing, waiting(run)
    every = REFRESH_SECONDS if playing else (studies.POLL_SECONDS if polling else None)

    @st.fragment(run_every=every)
    def view():
        run = st.session_state[RUN]
        if controls.unapplied_change():
            st.rerun()  # a setting changed in a fragment's run: the page applies it in full
        if run.playing:
            advance(run)
        elif playing:
            # The timer still runs but the run stopped in another script run (its verdict, a
            # Pause or Step): redraw the page, which sets the timer off.
            st.session_state[LOG].record(run)
            st.rerun()
        elif polling and not waiting(run):
            st.rerun()  # what it waited for is there: the page without a timer
        now = run.snapshot()
        # The update that killed a run that died, read once the run has ended.
        fatal = fatal_update(*run.trajectory()) if now.done else None
        top_row(run, now, fatal)
        charts(run, now, fatal)
        tabs(run, now)

    view()


# -- the page -----------------------------------------------------------------------------------
def main() -> None:
    state = st.session_state
    state.setdefault(LOG, RunLog())
    state.setdefault(LAST_ID, 0)
    load = state.pop(LOAD_KEY, None)
    if load is not None:
        settings, notes = Settings.from_params(load)
        if controls.SETTINGS in state:
            notes += budget_note(state[controls.SETTINGS], settings)
        controls.adopt(settings, notes, origin=state.pop(LOAD_ORIGIN_KEY, ""))
        start_run(settings, play=True)
    else:
        controls.take_setup_from_url()

    settings = controls.sidebar()
    live_tracking.sidebar()
    state[controls.SETTINGS] = settings
    if RUN not in state or state[RUN].settings != settings:
        start_run(settings)
    apply_request(state[RUN])
    controls.write_url(settings)
    live_tracking.log_if_finished(state[RUN])

    run = state[RUN]
    run.set_pace(speed())
    st.title("Live training")
    st.caption(
        plain_markdown(
            "h ← relu(w_hh·h + w_ih·|x| + b_hh + b_ih) computes the L1 norm of a sequence when "
            "w_hh = w_ih = 1 and b_hh + b_ih = 0. Set the initial values in the sidebar, press "
            "Play, and watch it learn, or die."
        )
    )
    origin = controls.origin()
    if origin:
        st.info(plain_markdown(origin), icon=":material/input:")
    for note in controls.notes():
        st.warning(plain_markdown(note), icon=":material/warning:")
    control_row(run)
    live_view(run)
    live_tracking.note(run)
    live_export.section(run.settings)


main()
