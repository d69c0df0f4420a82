"""Live training: the setup in the sidebar (synced with the URL), Play / Pause / Step / Reset, the
run's charts updating while it trains, its verdict, what it learned, and the session's runs.

Thin on purpose: settings -> `LiveRun` (engine) -> `l1viz.figures`. While playing, one fragment
reruns a few times a second; each rerun trains for a fixed slice of time, then redraws.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import LOAD_KEY, LOAD_ORIGIN_KEY, plain_markdown
from app_pages.live_parts import after as live_after
from app_pages.live_parts import controls
from app_pages.live_parts import history as live_history
from app_pages.live_parts import tracking as live_tracking
from app_pages.live_parts.surface import surface_for
from l1viz.live.links import budget_note
from l1viz.live.run import LiveRun, Snapshot
from l1viz.live.run_log import RunLog
from l1viz.live.settings import Settings
from l1viz.plots import plane, time_charts

RUN, LOG, LAST_ID, ACTION = "live.run", "live.log", "live.last_id", "live.action"
CHART_MIN_WIDTH = 440  # px: narrower, the charts go one under the other
METRIC_MIN_WIDTH = 110  # px: the status numbers wrap to a second row rather than being cut
REFRESH_SECONDS = 0.1  # the fragment's run_every while playing (the timer restarts after each run)
TRAIN_SECONDS = 0.15  # training per refresh: it overlaps the browser drawing the last one


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


def status_block(run: LiveRun, now: Snapshot) -> None:
    status = now.status
    badge, words = st.columns([1, 5], vertical_alignment="center")
    with badge:
        st.badge(status.label, color=status.color)
    motion = "playing" if now.playing else ("paused" if status.kind == "training" else "")
    text = now.explanation or "Press Play to train, or Step to advance by hand."
    words.markdown(plain_markdown(f"{text} {'(' + motion + ')' if motion else ''}".strip()))

    result = now.result
    values = {
        f"step (of {run.config.steps:,})": f"{result.steps:,}",
        "batch loss": f"{result.loss:.4g}",
    }
    names = ("w_hh", "w_ih", "b_hh", "b_ih") if run.config.bias else ("w_hh", "w_ih")
    values.update({name: f"{result.params[name]:.5f}" for name in names})
    values["active"] = f"{result.active:.0%}"
    numbers = st.grid(len(values), min_column_width=METRIC_MIN_WIDTH)
    for label, value in values.items():
        numbers.metric(label, value)


def charts(run: LiveRun, now: Snapshot) -> None:
    """Two charts a row where there is room, one under the other where there is not."""
    series, spans, revision = now.series, now.spans, run.run_id
    surface, label = surface_for(run.config, now.landscape_key, series)
    figures = {
        "loss": time_charts.loss_figure(series, spans, revision),
        "params": time_charts.parameters_figure(series, run.config.bias, spans, revision),
        "landscape": plane.landscape_figure(
            surface, series["w_hh"], series["w_ih"], label, revision
        ),
        "active": time_charts.active_figure(series, spans, revision),
    }
    grid = st.grid(2, min_column_width=CHART_MIN_WIDTH, key="live.charts")
    for name, figure in figures.items():
        grid.plotly_chart(figure, key=f"live.chart.{name}", config=time_charts.TOOLBAR)


LIVE_CHART_STYLE = (
    "<style>[class*='st-key-live-chart-'] .stPlotlyChart > div "
    "{ visibility: visible !important; }</style>"
)


def live_view(playing: bool) -> None:
    st.html(LIVE_CHART_STYLE)

    @st.fragment(run_every=REFRESH_SECONDS if playing else None)
    def view():
        run = st.session_state[RUN]
        if run.playing:
            advance(run)
        elif playing:
            # The timer still runs but the run stopped in another script run (its verdict, a
            # Pause or Step): redraw the page, which sets the timer off.
            st.session_state[LOG].record(run)
            st.rerun()
        now = run.snapshot()
        with st.container(key="live.status"):
            status_block(run, now)
        charts(run, now)

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
        origin = state.pop(LOAD_ORIGIN_KEY, "")
        controls.adopt(settings, [origin, *notes] if origin else notes)
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
    playing = run.playing
    st.title("Live training")
    st.caption(
        plain_markdown(
            "A one-unit ReLU cell h ← relu(w_hh·h + w_ih·|x| + b_hh + b_ih) learns the L1 norm "
            "of a sequence when w_hh = w_ih = 1 and b_hh + b_ih = 0. Set its initial values in the "
            "sidebar, press Play, and watch it learn, or die."
        )
    )
    for note in controls.notes():
        st.warning(plain_markdown(note), icon=":material/warning:")
    control_row(run)
    live_view(playing)
    live_tracking.note(run)
    if playing:
        st.caption("The replay and the generalisation check appear when the run stops.")
    else:
        live_after.section(run)
    live_history.section(state[LOG])


main()
