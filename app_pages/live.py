"""Live training: the setup in the sidebar (synced with the URL), Play / Pause / Step / Reset, the
run's charts updating while it trains, its verdict, what it learned, and the session's runs.

Thin on purpose: settings -> `LiveRun` (engine) -> `l1viz.figures`. While playing, one fragment
reruns a few times a second; each rerun trains for a fixed slice of time, then redraws.
"""

from __future__ import annotations

import streamlit as st

from app_pages import live_controls as controls
from app_pages import live_history
from app_pages.common import LOAD_KEY, plain_markdown
from l1viz import figures, plane_figures
from l1viz.landscape import expected_loss, view_range
from l1viz.live_run import LiveRun
from l1viz.run_log import RunLog
from l1viz.state import Settings

RUN, PLAYING, LOG, LAST_ID, AFTER = (
    "live.run", "live.playing", "live.log", "live.last_id", "live.after",
)
REFRESH_SECONDS = 0.1  # the fragment's run_every while playing (the timer restarts after each run)
TRAIN_SECONDS = 0.3  # training per refresh: it overlaps the browser drawing the last one
BADGE_COLORS = {
    "ready": "gray", "training": "blue", "converged": "green", "dead": "red",
    "diverged": "orange", "stalled": "violet",
}


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
    columns[0].button("Play", key="live.play", icon=":material/play_arrow:", on_click=play,
                      type="primary", disabled=playing or run.done, width="stretch")
    columns[1].button("Pause", key="live.pause", icon=":material/pause:", on_click=pause,
                      disabled=not playing, width="stretch")
    columns[2].button("Step +1", key="live.step1", icon=":material/skip_next:", on_click=step,
                      args=(1,), disabled=playing or run.done, width="stretch")
    columns[3].button("Step +100", key="live.step100", icon=":material/fast_forward:",
                      on_click=step, args=(100,), disabled=playing or run.done, width="stretch")
    columns[4].button("Reset", key="live.reset", icon=":material/replay:", on_click=reset,
                      width="stretch",
                      help="The same initial values and data seed again: the run replays exactly.")


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
        st.badge(status.label, color=BADGE_COLORS[status.kind])
    motion = "playing" if playing else ("paused" if status.kind == "training" else "")
    text = run.explanation() or "Press Play to train, or Step to advance by hand."
    words.markdown(plain_markdown(f"{text} {'(' + motion + ')' if motion else ''}".strip()))

    result = run.result()
    values = {f"step (of {run.config.steps:,})": f"{result.steps:,}",
              "batch loss": f"{result.loss:.4g}"}
    names = ("w_hh", "w_ih", "b_hh", "b_ih") if run.config.bias else ("w_hh", "w_ih")
    values.update({name: f"{result.params[name]:.5f}" for name in names})
    values["active"] = f"{result.active:.0%}"
    for column, (label, value) in zip(st.columns(len(values)), values.items()):
        column.metric(label, value)


@st.cache_data(max_entries=64, show_spinner=False)
def loss_grid(key: tuple, x_range: tuple, y_range: tuple):
    transform, bias, bias_sum, slopes, max_length = key
    return expected_loss(transform, bias, bias_sum, slopes, max_length, x_range, y_range)


def surface_for(run: LiveRun, series: dict):
    """The cached loss surface at the run's current biases, and the words that say which."""
    key = run.landscape_key()
    grid = loss_grid(key, view_range(series["w_hh"]), view_range(series["w_ih"]))
    _, bias, bias_sum, slopes, _ = key
    label = f"b_hh + b_ih = {bias_sum:+.2f}" if bias else "no bias"
    if run.config.transform == "learned":
        label += f", s₊ = {slopes[0]:.2f}, s₋ = {slopes[1]:.2f}"
    return grid, label


def charts(run: LiveRun) -> None:
    series, spans, revision = run.series(), run.spans(), run.run_id
    grid, label = surface_for(run, series)
    left, right = st.columns(2)
    left.plotly_chart(figures.loss_figure(series, spans, revision), key="live.chart.loss")
    right.plotly_chart(figures.parameters_figure(series, run.config.bias, spans, revision),
                       key="live.chart.params")
    left.plotly_chart(plane_figures.landscape_figure(grid, series["w_hh"], series["w_ih"], label,
                                               revision), key="live.chart.landscape")
    right.plotly_chart(figures.active_figure(series, spans, revision), key="live.chart.active")


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


# -- after a run --------------------------------------------------------------------------------
def after_run(run: LiveRun) -> None:
    """Replay and generalisation of the run as it stands (built once per run state)."""
    st.subheader("Replay")
    if run.steps_done == 0:
        st.caption("The replay and the generalisation check appear once the run has taken a step.")
        return
    made = st.session_state.get(AFTER)
    if made is None or made[0] != (run.run_id, run.steps_done):
        series = run.series()
        grid, label = surface_for(run, series)
        made = ((run.run_id, run.steps_done), plane_figures.replay_figure(grid, series, label),
                run.generalisation())
        st.session_state[AFTER] = made
    _, replay, general = made
    st.caption("The run again, on the landscape at its final biases: press Play or drag the slider.")
    st.plotly_chart(replay, key="live.chart.replay")

    st.subheader("Does it compute the L1 norm beyond length 10?")
    check = general.check
    columns = st.columns(4)
    columns[0].metric("sequence length", f"{check.length:,}")
    columns[1].metric("true L1 norm", f"{check.actual:,.2f}")
    columns[2].metric("cell's output", f"{check.predicted:,.2f}" if check.finite else "not finite")
    columns[3].metric("relative error", f"{check.relative_error:.2%}" if check.finite else "—")
    st.plotly_chart(
        figures.generalisation_figure(general.lengths, general.predicted, general.actual),
        key="live.chart.general",
    )
    st.caption(
        "One N(0, 1) sequence of length 10,000 (drawn from the run's seed); the cell's state "
        "after t inputs is its answer for the first t values, so one pass gives every length."
    )


# -- the page -----------------------------------------------------------------------------------
def main() -> None:
    state = st.session_state
    state.setdefault(LOG, RunLog())
    state.setdefault(LAST_ID, 0)
    state.setdefault(PLAYING, False)
    request = state.pop(LOAD_KEY, None)
    if request is not None:
        settings, notes = Settings.from_params(request)
        controls.adopt(settings, notes)
        start_run(settings, play=True)
    else:
        controls.take_setup_from_url()

    settings = controls.sidebar()
    state[controls.SETTINGS] = settings
    if RUN not in state or state[RUN].settings != settings:
        start_run(settings)
    controls.write_url(settings)

    run, playing = state[RUN], state[PLAYING]
    st.title("Live training")
    st.caption(
        "A one-unit ReLU cell h ← relu(w\\_hh·h + w\\_ih·|x| + b\\_hh + b\\_ih) learns the L1 norm "
        "of a sequence when w\\_hh = w\\_ih = 1 and b\\_hh + b\\_ih = 0. Set its initial values "
        "in the sidebar, press Play, and watch it learn, or die."
    )
    for note in state.get(controls.NOTES, []):
        st.warning(plain_markdown(note), icon="⚠️")
    control_row(run, playing)
    live_view(playing)
    if playing:
        st.caption("The replay and the generalisation check appear when the run stops.")
    else:
        after_run(run)
    live_history.section(state[LOG])


main()
