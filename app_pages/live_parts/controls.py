"""The live page's setup: sidebar widgets <-> one `Settings` in session state <-> the URL.

The canonical setup is `st.session_state[SETTINGS]`. Widgets are seeded from it whenever their own
state is missing (first run, a hidden bias, a page switch) and are overwritten by it when the setup
is replaced (URL, preset, another page's "Load") -- always before they are drawn, as Streamlit
requires. The URL is read when it carries a setup we did not write ourselves, and rewritten from
the setup on every full run.
"""

from __future__ import annotations

import random

import streamlit as st

from app_pages.common import plain_markdown
from l1viz.engine.config import CRITERIA, OPTIMIZERS, TRANSFORMS
from l1viz.live.presets import PRESETS, apply_preset, preset_help, pytorch_init
from l1viz.live.settings import (
    BIAS_NAMES,
    INIT_NAMES,
    MAX_SEED,
    MAX_STEP_VALUES,
    Settings,
    value_range,
)

SETTINGS = "live.settings"
NOTES = "live.notes"  # (setup, warnings) of the last URL or load: shown while it is the setup
ORIGIN = "live.origin"  # (setup, where a loaded setup came from): shown while it is the setup
APPLIED = "live.applied"  # the drawn widgets' values the last full run built the setup from
WRITTEN = "live.url"  # the query we last wrote: a different one is a setup to load
KEY = "live.{}".format
EXACT = "live.{}.exact".format

LR_GRID = tuple(m * 10.0**e for e in range(-4, 0) for m in (1, 2, 3, 5)) + (1.0,)
LABELS = {
    "optimizer": {"adam": "Adam", "sgd": "SGD"},
    "transform": {
        "where": "where: flip negative inputs (the notebook)",
        "relu-pair": "relu-pair: relu(x) + relu(−x)",
        "learned": "learned: a small ReLU layer learns f(x)",
    },
    "criterion": {
        "tolerance": "tolerance: every parameter within the threshold of the solution",
        "loss": "loss: batch loss at most the threshold",
        "exact": "exact: w_hh = w_ih = 1.0 exactly (the notebook's stop)",
    },
}
HELP = {
    "w_hh": "Recurrent weight. The solution is 1.",
    "w_ih": "Input weight. The solution is 1; with w_ih ≤ 0 and no positive bias the cell is dead.",
    "b_hh": "Recurrent bias. Only b_hh + b_ih matters; the solution is a sum of 0.",
    "b_ih": "Input bias. Only b_hh + b_ih matters; the solution is a sum of 0.",
    "seed": "Seeds the training batches (and the 'PyTorch init' buttons).",
    "steps": "Step budget: a run that has not met its rule by then is 'stalled'.",
    "batch_size": f"Sequences per step. batch size × max length ≤ {MAX_STEP_VALUES:,} here, so "
    "a step stays short enough to watch; the CLI allows more.",
    "max_length": "Sequence lengths are drawn uniformly from 1..max length.",
}


# -- the canonical setup -------------------------------------------------------------------------
def current() -> Settings:
    return st.session_state[SETTINGS]


def adopt(settings: Settings, notes: list[str] | None = None, origin: str = "") -> None:
    """Make `settings` the setup and show it in the widgets (call before they are drawn).
    `notes` (what was wrong with the link or request it came from) replace the last ones;
    `origin` says where a loaded setup came from (a table row, a map cell)."""
    st.session_state[SETTINGS] = settings
    if notes is not None:
        st.session_state[NOTES] = (settings, notes)
    st.session_state[ORIGIN] = (settings, origin)
    _push_to_widgets(settings, force=True)


def origin() -> str:
    """Where the setup was loaded from, while it is still that setup."""
    setup, words = st.session_state.get(ORIGIN, (None, ""))
    return words if setup == st.session_state.get(SETTINGS) else ""


def notes() -> list[str]:
    """The warnings about the link or request the setup came from, while it is still that setup.
    Once the user changes it they no longer apply, and are dropped for good."""
    setup, warnings = st.session_state.get(NOTES, (None, []))
    if setup != st.session_state.get(SETTINGS):
        st.session_state.pop(NOTES, None)
        return []
    return warnings


def take_setup_from_url() -> bool:
    """Adopt the URL's setup when it is not the one we wrote (a link opened, or a new session).
    A bare URL after a page switch keeps the session's setup. Returns whether it adopted one."""
    query = _url_params()
    if SETTINGS in st.session_state and (not query or query == st.session_state.get(WRITTEN)):
        return False
    settings, notes = Settings.from_params(query)
    adopt(settings, notes)
    return True


def _url_params() -> dict:
    """The URL's parameters; a repeated name keeps all its values, for `from_params` to reject."""
    params = {}
    for name in st.query_params:
        values = st.query_params.get_all(name)
        params[name] = values[0] if len(values) == 1 else values
    return params


def write_url(settings: Settings) -> None:
    query = settings.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state[WRITTEN] = query


# -- widgets -------------------------------------------------------------------------------------
def _widget_values(settings: Settings) -> dict:
    values = {KEY(name): getattr(settings, name) for name in settings.as_dict()}
    values.update({EXACT(name): getattr(settings, name) for name in INIT_NAMES})
    return values


def _push_to_widgets(settings: Settings, force: bool) -> None:
    for key, value in _widget_values(settings).items():
        if force or key not in st.session_state:
            st.session_state[key] = value


def _copy(source: str, target: str) -> None:
    st.session_state[target] = st.session_state[source]


def _replace_setup(change) -> None:
    """Callback: a button that rewrites the setup (presets, PyTorch inits)."""
    adopt(change(current()), notes=[])


def sidebar() -> Settings:
    """Draw the controls and return the setup they show."""
    _push_to_widgets(current(), force=False)
    _apply_typed_values()
    bar = st.sidebar
    bar.header("Initial values")
    with bar.container(horizontal=True):
        for name, label in PRESETS.items():
            st.button(
                label,
                key=KEY(f"preset.{name}"),
                help=preset_help(name, st.session_state[KEY("bias")]),
                on_click=_replace_setup,
                args=(lambda s, name=name: apply_preset(s, name),),
            )
        st.button(
            "Random init",
            key=KEY("random"),
            icon=":material/casino:",
            help="PyTorch's default init, U(−1, 1), from a fresh random seed "
            "(which also becomes the data seed, as in the notebook).",
            on_click=_replace_setup,
            args=(lambda s: pytorch_init(s, random.randrange(MAX_SEED + 1)),),
        )
        st.button(
            "Init from seed",
            key=KEY("seeded"),
            help="PyTorch's default init, U(−1, 1), from the seed below.",
            on_click=_replace_setup,
            args=(pytorch_init,),
        )
    bias = bar.toggle("bias (b_hh, b_ih)", value=_now(KEY("bias")), key=KEY("bias"))
    for name in INIT_NAMES:
        if name in BIAS_NAMES and not bias:
            continue
        _init_input(bar, name)

    bar.header("Training")
    lr_options = sorted(set(LR_GRID) | {st.session_state[KEY("lr")]})
    bar.select_slider(
        "learning rate (log scale)",
        options=lr_options,
        key=KEY("lr"),
        value=_now(KEY("lr")),
        format_func=lambda v: f"{v:g}",
    )
    _choice(bar, "optimiser", OPTIMIZERS, "optimizer")
    left, right = bar.columns(2)
    # Each bounds the other: one step unrolls batch_size × max_length values.
    batch = _int_input(
        left,
        "batch_size",
        "batch size",
        step=1,
        most=MAX_STEP_VALUES // st.session_state[KEY("max_length")],
    )
    _int_input(right, "max_length", "max sequence length", step=1, most=MAX_STEP_VALUES // batch)
    left, right = bar.columns(2)
    _int_input(left, "seed", "seed", step=1)
    _int_input(right, "steps", "step budget", step=1000)
    _choice(bar, "input transform", TRANSFORMS, "transform")
    criterion = _choice(bar, "convergence rule", CRITERIA, "criterion")
    if criterion != "exact":
        low, high = value_range("tolerance")
        bar.number_input(
            "threshold",
            min_value=low,
            max_value=high,
            key=KEY("tolerance"),
            value=_now(KEY("tolerance")),
            step=1e-4,
            format="%.2e",
        )
    bar.caption("The address bar holds this setup: copy it to share or replay the run.")
    st.session_state[APPLIED] = _drawn_values()
    return _read_widgets(bias)


def _init_input(bar, name: str) -> None:
    """A slider for quick moves and a number box for exact values, kept equal."""
    low, high = value_range(name)
    slide, exact = bar.columns([3, 2], vertical_alignment="bottom")
    slide.slider(
        name,
        min_value=low,
        max_value=high,
        step=0.01,
        key=KEY(name),
        value=_now(KEY(name)),
        help=HELP[name],
        on_change=_copy,
        args=(KEY(name), EXACT(name)),
    )
    exact.number_input(
        f"{name} (exact)",
        min_value=low,
        max_value=high,
        step=0.01,
        format="%.6f",
        key=EXACT(name),
        value=_now(EXACT(name)),
        label_visibility="collapsed",
        on_change=_copy,
        args=(EXACT(name), KEY(name)),
    )


def _int_input(container, name: str, label: str, step: int, most: int | None = None) -> int:
    low, high = value_range(name)
    high = high if most is None else min(high, most)
    return container.number_input(
        label,
        min_value=low,
        max_value=high,
        step=step,
        key=KEY(name),
        value=_now(KEY(name)),
        help=HELP.get(name),
    )


def _choice(bar, label: str, options: tuple[str, ...], name: str) -> str:
    return bar.selectbox(
        label,
        options,
        key=KEY(name),
        index=options.index(_now(KEY(name))),
        format_func=LABELS[name].get,
    )


# A value can reach the server in a fragment's run (the live view's timer) instead of a full one:
# then no full run applies it and the box's callback never runs. The live view asks
# `unapplied_change` on every refresh and runs the page in full when it is true; the full run
# copies a typed value to its slider as the callback would have.
def _drawn_keys() -> list[str]:
    state = st.session_state
    bias, exact = state.get(KEY("bias")), state.get(KEY("criterion")) == "exact"
    names = [n for n in current().as_dict() if not (n in BIAS_NAMES and not bias)]
    keys = [KEY(n) for n in names if not (n == "tolerance" and exact)]
    return keys + [EXACT(n) for n in INIT_NAMES if not (n in BIAS_NAMES and not bias)]


def _drawn_values() -> dict:
    return {key: st.session_state.get(key) for key in _drawn_keys()}


def unapplied_change() -> bool:
    """A widget shows a value that no full run has built the setup from."""
    applied = st.session_state.get(APPLIED)
    return applied is not None and _drawn_values() != applied


def _apply_typed_values() -> None:
    applied, state = st.session_state.get(APPLIED, {}), st.session_state
    for name in INIT_NAMES:
        box, slider = EXACT(name), KEY(name)
        typed = box in applied and state.get(box) != applied[box]
        if typed and state.get(slider) == applied.get(slider):
            state[slider] = state[box]


def _now(key: str):
    """The value a widget shows, passed as its default too: a new session's widgets may be drawn
    from their default rather than from session state, and that default must not be the minimum."""
    return st.session_state[key]


def _read_widgets(bias: bool) -> Settings:
    values = {
        name: st.session_state[KEY(name)]
        for name in current().as_dict()
        if not (name in BIAS_NAMES and not bias)
    }
    if values["criterion"] == "exact":
        values["tolerance"] = current().tolerance
    try:
        return Settings(**values)
    except ValueError as error:  # a widget outside its range: keep the last good setup
        st.sidebar.warning(plain_markdown(f"Setting not applied: {error}"))
        return current()
