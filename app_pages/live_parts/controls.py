"""The live page's setup: sidebar widgets <-> one `Settings` in session state <-> the URL.

The canonical setup is `st.session_state[SETTINGS]`. Every value has a text box that takes the
engine's whole range (`l1viz.live.settings.FIELDS`); the initial values and the learning rate also
have a slider for the common range, kept equal to the box. A refused value is named beside its box
with the limit and the value kept. Widgets are seeded from it whenever their own
state is missing (first run, a hidden bias, a page switch) and are overwritten by it when the setup
is replaced (URL, preset, another page's "Load") -- always before they are drawn, as Streamlit
requires. The URL is read when it carries a setup we did not write ourselves (nor a moment ago:
`page_state.behind`), and rewritten from the setup on every full run.
"""

from __future__ import annotations

import random

import streamlit as st

from app_pages.boxes import refusal, typed_box
from app_pages.common import plain_markdown
from app_pages.page_state import behind, url_params, write_address
from l1viz.engine.config import ACTIVATIONS, CRITERIA, OPTIMIZERS, SLOPE_DEFAULTS, TRANSFORMS
from l1viz.live.presets import PRESETS, apply_preset, preset_help, pytorch_init
from l1viz.live.settings import (
    BIAS_NAMES,
    COMMON_INIT_RANGE,
    FIELDS,
    INIT_NAMES,
    MAX_SEED,
    MAX_STEP_VALUES,
    STEP_VALUES_RULE,
    Settings,
    fitted_length,
    format_value,
    parse_value,
)

SETTINGS = "live.settings"
NOTES = "live.notes"  # (setup, warnings) of the last URL or load: shown while it is the setup
ORIGIN = "live.origin"  # (setup, where a loaded setup came from): shown while it is the setup
APPLIED = "live.applied"  # the drawn widgets' values the last full run built the setup from
EARLIER = "live.earlier"  # those of the full runs before, newest first (EARLIER_KEPT of them)
EARLIER_KEPT = 4
WRITTEN = "live.url"  # the query we last wrote: a different one is a setup to load
KEY = "live.{}".format
EXACT = "live.{}.exact".format
# A slider for the common range beside a box for the engine's whole range; the box is the value.
PAIRED = (*INIT_NAMES, "lr")
_INIT_SLIDERS = {KEY(name): name for name in INIT_NAMES}
BOXES = ("batch_size", "max_length", "seed", "steps", "tolerance", "slope")

LR_GRID = tuple(m * 10.0**e for e in range(-4, 0) for m in (1, 2, 3, 5)) + (1.0,)
LABELS = {
    "optimizer": {"adam": "Adam", "sgd": "SGD"},
    "transform": {
        "where": "where: flip negative inputs (the notebook)",
        "relu-pair": "relu-pair: relu(x) + relu(−x)",
        "learned": "learned: a small ReLU layer learns f(x)",
    },
    "activation": {
        "relu": "ReLU (the notebook's)",
        "leaky_relu": "leaky ReLU: α·z below 0, α fixed",
        "prelu": "PReLU: α·z below 0, α learned",
        "elu": "ELU: eᶻ − 1 below 0",
        "softplus": "softplus: log(1 + eᶻ)",
        "tanh": "tanh",
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
    "activation": "The notebook's remedy for the dead ReLU: an activation that passes some "
    "gradient below 0. Only ReLU is ever dead.",
    "slope": "α in (0, 1): leaky ReLU's fixed slope below 0 (default 0.01), PReLU's initial one "
    "(default 0.25), then learned.",
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
    query, state = url_params(), st.session_state
    if SETTINGS in state and (not query or query == state.get(WRITTEN) or behind(query)):
        return False
    settings, notes = Settings.from_params(query)
    adopt(settings, notes)
    return True


def write_url(settings: Settings, extra: dict[str, str] | None = None) -> None:
    """The setup's URL, with the live view's own parameters (`extra`) beside it."""
    query = {**settings.to_query(), **(extra or {})}
    write_address(query)
    st.session_state[WRITTEN] = query


def add_notes(warnings: list[str]) -> None:
    """More warnings about the link the current setup came from."""
    if warnings:
        setup, known = st.session_state.get(NOTES, (current(), []))
        st.session_state[NOTES] = (setup, [*known, *warnings])


# -- widgets -------------------------------------------------------------------------------------
def _on_slider(name: str, value: float) -> float:
    """Where the slider of a paired value stands: the value, or the end of its range."""
    if name == "lr":
        return value
    low, high = COMMON_INIT_RANGE
    return min(max(value, low), high)


def _widget_values(settings: Settings) -> dict:
    values = {KEY(name): getattr(settings, name) for name in ("bias", *LABELS)}
    for name in PAIRED:
        value = getattr(settings, name)
        values[KEY(name)] = _on_slider(name, value)
        values[EXACT(name)] = format_value(name, value)
    values.update({KEY(name): format_value(name, getattr(settings, name)) for name in BOXES})
    return values


def _push_to_widgets(settings: Settings, force: bool) -> None:
    for key, value in _widget_values(settings).items():
        if force or key not in st.session_state:
            st.session_state[key] = value


def _slider_to_box(name: str) -> None:
    st.session_state[EXACT(name)] = format_value(name, st.session_state[KEY(name)])


def _box_to_slider(name: str) -> None:
    value, problem = parse_value(name, st.session_state[EXACT(name)])
    if problem is None:
        st.session_state[KEY(name)] = _on_slider(name, value)


def _replace_setup(change) -> None:
    """Callback: a button that rewrites the setup (presets, PyTorch inits)."""
    adopt(change(current()), notes=[])


def sidebar() -> Settings:
    """Draw the controls and return the setup they show."""
    _push_to_widgets(current(), force=False)
    _apply_typed_values()
    values = initial_values(st.sidebar)
    values.update(training_settings(st.sidebar))
    st.sidebar.caption("The address bar holds this setup: copy it to share or replay the run.")
    _remember_applied(_drawn_values())
    try:
        return Settings(**values)
    except ValueError as error:  # kept by each box's own check; a last guard
        st.sidebar.warning(plain_markdown(f"Setting not applied: {error}"))
        return current()


def initial_values(bar) -> dict:
    """The presets, the bias toggle and a slider and box per initial value."""
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
    values = {"bias": bias}
    for name in INIT_NAMES:
        if name in BIAS_NAMES and not bias:
            continue
        low, high = COMMON_INIT_RANGE
        values[name] = _paired_input(bar, name, name, {"min_value": low, "max_value": high})
    return values


def training_settings(bar) -> dict:
    """Learning rate, optimiser, batch and length, seed, budget, transform and stop rule."""
    bar.header("Training")
    typed_lr, _ = parse_value("lr", st.session_state[EXACT("lr")])
    options = sorted(set(LR_GRID) | {typed_lr or current().lr, st.session_state[KEY("lr")]})
    slider = {"options": options, "format_func": lambda v: f"{v:g}"}
    values = {"lr": _paired_input(bar, "lr", "learning rate (log scale)", slider)}
    values["optimizer"] = _choice(bar, "optimiser", OPTIMIZERS, "optimizer")
    left, right = bar.columns(2)
    batch = _box(left, "batch_size", "batch size")
    length = _box(right, "max_length", "max sequence length")
    values["batch_size"], values["max_length"] = batch, fitted_length(batch, length)
    if values["max_length"] != length:
        refusal(
            bar,
            "max sequence length",
            f"{batch:,} × {length:,}",
            f"is more than {STEP_VALUES_RULE}",
            f"{values['max_length']:,}",
        )
    left, right = bar.columns(2)
    values["seed"] = _box(left, "seed", "seed")
    values["steps"] = _box(right, "steps", "step budget")
    values["transform"] = _choice(bar, "input transform", TRANSFORMS, "transform")
    values.update(_activation(bar))
    values["criterion"] = _choice(bar, "convergence rule", CRITERIA, "criterion")
    exact = values["criterion"] == "exact"
    values["tolerance"] = current().tolerance if exact else _box(bar, "tolerance", "threshold")
    return values


def _paired_input(bar, name: str, label: str, slider: dict):
    """A slider for quick moves over the common range beside a box for any value the engine
    takes; the box's value is the setting."""
    slide, exact = bar.columns([3, 2], vertical_alignment="bottom")
    maker = slide.select_slider if "options" in slider else slide.slider
    maker(
        label,
        key=KEY(name),
        value=_now(KEY(name)),
        help=HELP.get(name),
        on_change=_slider_to_box,
        args=(name,),
        **({} if "options" in slider else {"step": 0.01}),
        **slider,
    )
    return typed_box(
        exact,
        f"{name} (exact)",
        FIELDS[name],
        EXACT(name),
        getattr(current(), name),
        text=lambda value: format_value(name, value),
        label_visibility="collapsed",
        on_change=_box_to_slider,
        args=(name,),
    )


def _box(container, name: str, label: str):
    return typed_box(
        container,
        label,
        FIELDS[name],
        KEY(name),
        getattr(current(), name),
        text=lambda value: format_value(name, value),
        help=HELP.get(name),
    )


def _choice(bar, label: str, options: tuple[str, ...], name: str, **options_) -> str:
    return bar.selectbox(
        label,
        options,
        key=KEY(name),
        index=options.index(_now(KEY(name))),
        format_func=LABELS[name].get,
        help=HELP.get(name),
        **options_,
    )


def _activation(bar) -> dict:
    """The activation, and its slope α when it has one (the box shows the activation's default
    once another activation is chosen)."""
    activation = _choice(bar, "activation", ACTIVATIONS, "activation", on_change=_new_activation)
    if activation not in SLOPE_DEFAULTS:
        return {"activation": activation}
    used = current().slope if current().activation == activation else SLOPE_DEFAULTS[activation]
    slope = typed_box(
        bar,
        "slope α below 0",
        FIELDS["slope"],
        KEY("slope"),
        used,
        text=lambda value: format_value("slope", value),
        help=HELP["slope"],
    )
    return {"activation": activation, "slope": slope}


def _new_activation() -> None:
    """Callback: another activation was chosen; its slope box starts at its default."""
    chosen = st.session_state[KEY("activation")]
    st.session_state[KEY("slope")] = format_value("slope", SLOPE_DEFAULTS.get(chosen))


# A value can reach the server in a fragment's run (the live view's timer) instead of a full one:
# then no full run applies it and the widget's callback never runs. The live view asks
# `fragment_change` on every refresh and runs the page in full when it is true; the full run
# copies a typed value to its slider, or a slider's to its box, as the callback would have.
#
# A fragment's run can also bring old values: Streamlit holds a fragment's request while a full
# run is in progress, and then applies the widget values the browser sent with it, which predate
# the values that full run pushed (a preset, Random init, a link). Those are put back.
def _drawn_keys() -> list[str]:
    state = st.session_state
    bias, exact = state.get(KEY("bias")), state.get(KEY("criterion")) == "exact"
    names = [n for n in current().as_dict() if not (n in BIAS_NAMES and not bias)]
    keys = [KEY(n) for n in names if not (n == "tolerance" and exact)]
    return keys + [EXACT(n) for n in PAIRED if n in names]


def _drawn_values() -> dict:
    return {key: st.session_state.get(key) for key in _drawn_keys()}


def _comparable(values: dict) -> dict:
    """Values as the setup reads them: the slider of an initial value comes back from the
    browser rounded (0.56801724 for 0.5680172443389893), which is the same float32."""
    return {
        key: format_value(_INIT_SLIDERS[key], value) if key in _INIT_SLIDERS else value
        for key, value in values.items()
    }


def _remember_applied(drawn: dict) -> None:
    state = st.session_state
    applied = state.get(APPLIED)
    if applied is not None and _comparable(applied) != _comparable(drawn):
        state[EARLIER] = [applied, *state.get(EARLIER, [])][:EARLIER_KEPT]
    state[APPLIED] = drawn


def outdated(drawn: dict, applied: dict, earlier: list[dict]) -> bool:
    """Every value that differs from the last full run's is the one an earlier full run had: the
    browser sent them before the last full run's widgets reached it."""
    drawn, applied = _comparable(drawn), _comparable(applied)
    changed = [key for key, value in drawn.items() if value != applied.get(key)]
    earlier = [_comparable(before) for before in earlier]
    return any(all(drawn[key] == before.get(key) for key in changed) for before in earlier)


def fragment_change() -> bool:
    """Whether a widget shows a value that no full run has built the setup from (the page must
    run in full to apply it). Outdated values are put back first, and are no change."""
    state = st.session_state
    applied = state.get(APPLIED)
    if applied is None:
        return False
    drawn = _drawn_values()
    if _comparable(drawn) == _comparable(applied):
        return False
    if not outdated(drawn, applied, state.get(EARLIER, [])):
        return True
    hidden = _widget_values(current())  # widgets not drawn now, which a callback may have set
    for key, value in {**hidden, **applied}.items():
        state[key] = value
    return False


def _apply_typed_values() -> None:
    applied = _comparable(st.session_state.get(APPLIED, {}))
    shown = _comparable({key: st.session_state.get(key) for key in applied})
    for name in PAIRED:
        box, slider = EXACT(name), KEY(name)
        if box not in applied:
            continue
        box_moved = shown[box] != applied[box]
        slider_moved = shown.get(slider) != applied.get(slider)
        if box_moved and not slider_moved:
            _box_to_slider(name)
        elif slider_moved and not box_moved:
            _slider_to_box(name)


def _now(key: str):
    """The value a widget shows, passed as its default too: a new session's widgets may be drawn
    from their default rather than from session state, and that default must not be the minimum."""
    return st.session_state[key]
