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
from l1viz.live.run import LiveRun
from l1viz.live.run_log import RunLog
from l1viz.live.settings import Settings
from l1viz.plots import plane, time_charts

RUN, PLAYING, LOG, LAST_ID = "live.run", "live.playing", "live.log", "live.last_id"
REFRESH_SECONDS = 0.1  # the fragment's run_every while playing (the timer restarts after each run)
TRAIN_SECONDS = 0.15  # training per refresh: it overlaps the browser drawing the last one


# -- the run and its controls --------------------------------------------------------------------
def start_run(settings: Settings, play: bool = False) -> None:
    """Replace the current run by a fresh one (the old one keeps its row in the history)."""
    state = st.session_state
    if RUN in state:
        state[LOG].record(state[RUN])
    state[LAST_ID] += 1
    state[RUN] = LiveRun(settings, state[LAST_ID])
    state[PLAYING] = play and not state[RUN].done


def play() -> None:
    st.session_state[PLAYING] = not st.session_state[RUN].done


def pause() -> None:
    st.session_state[PLAYING] = False
    st.session_state[LOG].record(st.session_state[RUN])


def step(count: int) -> None:
    st.session_state[PLAYING] = False
    st.session_state[RUN].step(count)
    st.session_state[LOG].record(st.session_state[RUN])


def reset() -> None:
    start_run(st.session_state[RUN].settings)


def control_row(run: LiveRun, playing: bool) -> None:
    columns = st.columns([1, 1, 1, 1, 1, 3])
    columns[0].button(
        "Play",
        key="live.play",
        icon=":material/play_arrow:",
        on_click=play,
        type="primary",
        disabled=playing or run.done,
        width="stretch",
    )
    columns[1].button(
        "Pause",
        key="live.pause",
        icon=":material/pause:",
        on_click=pause,
        disabled=not playing,
        width="stretch",
    )
    columns[2].button(
        "Step +1",
        key="live.step1",
        icon=":material/skip_next:",
        on_click=step,
        args=(1,),
        disabled=playing or run.done,
        width="stretch",
    )
    columns[3].button(
        "Step +100",
        key="live.step100",
        icon=":material/fast_forward:",
        on_click=step,
        args=(100,),
        disabled=playing or run.done,
        width="stretch",
    )
    columns[4].button(
        "Reset",
        key="live.reset",
        icon=":material/replay:",
        on_click=reset,
        width="stretch",
        help="The same initial values and data seed again: the run replays exactly.",
    )


# -- the live part ------------------------------------------------------------------------------
def advance(run: LiveRun) -> None:
    """One refresh's worth of training; at the verdict, stop and redraw the whole page."""
    try:
        run.advance(TRAIN_SECONDS)
    except (MemoryError, RuntimeError) as error:
        st.session_state[PLAYING] = False
        st.error(plain_markdown(f"Training stopped: {error}"))
        return
    if run.done:
        st.session_state[PLAYING] = False
        st.session_state[LOG].record(run)
        st.rerun()


def status_block(run: LiveRun, playing: bool) -> None:
    status = run.status()
    badge, words = st.columns([1, 5], vertical_alignment="center")
    with badge:
        st.badge(status.label, color=status.color)
    motion = "playing" if playing else ("paused" if status.kind == "training" else "")
    text = run.explanation() or "Press Play to train, or Step to advance by hand."
    words.markdown(plain_markdown(f"{text} {'(' + motion + ')' if motion else ''}".strip()))

    result = run.result()
    values = {
        f"step (of {run.config.steps:,})": f"{result.steps:,}",
        "batch loss": f"{result.loss:.4g}",
    }
    names = ("w_hh", "w_ih", "b_hh", "b_ih") if run.config.bias else ("w_hh", "w_ih")
    values.update({name: f"{result.params[name]:.5f}" for name in names})
    values["active"] = f"{result.active:.0%}"
    for column, (label, value) in zip(st.columns(len(values)), values.items()):
        column.metric(label, value)
    live_tracking.note(run)


def charts(run: LiveRun) -> None:
    series, spans, revision = run.series(), run.spans(), run.run_id
    grid, label = surface_for(run, series)
    left, right = st.columns(2)
    left.plotly_chart(time_charts.loss_figure(series, spans, revision), key="live.chart.loss")
    right.plotly_chart(
        time_charts.parameters_figure(series, run.config.bias, spans, revision),
        key="live.chart.params",
    )
    left.plotly_chart(
        plane.landscape_figure(grid, series["w_hh"], series["w_ih"], label, revision),
        key="live.chart.landscape",
    )
    right.plotly_chart(time_charts.active_figure(series, spans, revision), key="live.chart.active")


def live_view(playing: bool) -> None:
    @st.fragment(run_every=REFRESH_SECONDS if playing else None)
    def view():
        run = st.session_state[RUN]
        if st.session_state[PLAYING]:
            advance(run)
        with st.container(key="live.status"):
            status_block(run, st.session_state[PLAYING])
        charts(run)

    view()


# -- the page -----------------------------------------------------------------------------------
def main() -> None:
    state = st.session_state
    state.setdefault(LOG, RunLog())
    state.setdefault(LAST_ID, 0)
    state.setdefault(PLAYING, False)
    request = state.pop(LOAD_KEY, None)
    if request is not None:
        settings, notes = Settings.from_params(request)
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
    controls.write_url(settings)
    live_tracking.log_if_finished(state[RUN])

    run, playing = state[RUN], state[PLAYING]
    st.title("Live training")
    st.caption(
        plain_markdown(
            "A one-unit ReLU cell h ← relu(w_hh·h + w_ih·|x| + b_hh + b_ih) learns the L1 norm "
            "of a sequence when w_hh = w_ih = 1 and b_hh + b_ih = 0. Set its initial values in the "
            "sidebar, press Play, and watch it learn, or die."
        )
    )
    for note in state.get(controls.NOTES, []):
        st.warning(plain_markdown(note), icon=":material/warning:")
    control_row(run, playing)
    live_view(playing)
    if playing:
        st.caption("The replay and the generalisation check appear when the run stops.")
    else:
        live_after.section(run)
    live_history.section(state[LOG])


main()
