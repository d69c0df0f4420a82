"""Outcome map: how training ends from every point of a grid over two settings (initial values,
the learning rate, the maximum sequence length, the slope α of leaky ReLU or PReLU), under an
activation, drawn as the cells are decided.

Widgets <-> `OutcomeMapView` (its URL form, zoom breadcrumb included) -> a `SweepSettings` per
zoom level -> a shared job (`app_pages.studies`) -> `l1viz.plots.outcome_map`. Click a cell to
train it in the live view; draw a box to measure that box again at the same resolution (a
breadcrumb goes back); with several data seeds, colour by the share of an ending.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app_pages.activation_box import activation_choice, seed_activation, slope_box
from app_pages.boxes import seed_box, typed_box
from app_pages.charts import plotly_chart
from app_pages.common import plain_markdown, request_live_run
from app_pages.downloads import download_buttons
from app_pages.page_state import accepted, keep_view, show_notes, take_view
from app_pages.studies import default_table, follow, map_job
from l1viz.engine.config import ConfigError
from l1viz.engine.outcomes import dead_rules_apply, possible_endings
from l1viz.live.links import map_cell_settings
from l1viz.live.map_view import AXIS_FIELDS, FIELDS, FIXED_DEFAULTS, MODES, OutcomeMapView
from l1viz.live.settings import Settings
from l1viz.plots.outcome_map import SHARE_MODE, outcome_map_figure, selected_cell
from l1viz.plots.palette import CASE_TAGS, ENDINGS
from l1viz.study.map import (
    ALL_AXES,
    AXES,
    DEFAULT_RANGES,
    SweepResult,
    SweepSettings,
    box_counting,
    counts_text,
    sweep_csv,
    zoom_in,
)
from l1viz.study.vocabulary import ACTIVATION_NAMES, dead_rule_text, still_learns

VIEW = "map.view"
ROUNDS = "map.chart.rounds"  # bumped to draw a chart that has forgotten its selection
LIVE_SETTINGS = "live.settings"
# Tall enough to read, short enough that at 1500 x 1000 the axes and legend are on the first screen.
CHART_HEIGHT = 600
MODE_LABELS = {
    "ending": "how it ended",
    "share": "share of seeds with an ending",
    "steps": "steps to an ending (log)",
}
BOXES = {  # view field -> (label, widget key)
    "grid": ("Grid (cells per side)", "map.grid"),
    "steps": ("Step budget", "map.steps"),
    "seed": ("Data seed", "map.seed"),
    "seeds": ("Data seeds per cell", "map.seeds"),
}
# The map's computing state is redrawn a few times a second: drawn solid, not faded as stale.
SOLID_CSS = "<style>.st-key-map-area [data-stale] { opacity: 1 !important; }</style>"


def range_keys(which: str, axis: str) -> tuple[str, str]:
    return f"map.{which}.{axis}.low", f"map.{which}.{axis}.high"


def seed_widgets(view: OutcomeMapView, force: bool) -> None:
    """Show `view` in the widgets: every box, both axes' ranges, the settings off the axes."""
    for name, (_, key) in BOXES.items():
        seed_box(key, FIELDS[name].text(getattr(view, name)), force)
    whole = dict(view.fixed)
    for name in AXES:
        seed_box(f"map.fix.{name}", repr(float(whole.get(name, FIXED_DEFAULTS[name]))), force)
    for which in ("x", "y"):
        axis = getattr(view, which)
        ends = getattr(view, f"{which}_range") or DEFAULT_RANGES[axis]
        for key, end in zip(range_keys(which, axis), ends):
            seed_box(key, repr(float(end)), force)
    choices = {"map.x": view.x, "map.y": view.y, "map.bias": view.bias}
    choices.update({"map.mode": view.colour, "map.ending": view.ending})
    for key, value in choices.items():
        if force or key not in st.session_state:
            st.session_state[key] = value
    seed_activation("map", view.activation, view.slope, force)


def axis_range(which: str, axis: str) -> tuple[float, float]:
    """The two boxes of an axis's range; () when they hold the axis's default range."""
    field, default = AXIS_FIELDS[axis], DEFAULT_RANGES[axis]
    left, right = st.columns(2)
    low_key, high_key = range_keys(which, axis)
    seed_box(low_key, repr(float(default[0])), force=False)
    seed_box(high_key, repr(float(default[1])), force=False)
    low = typed_box(left, f"{which} from", field, low_key, default[0])
    high = typed_box(right, "to", field, high_key, default[1])
    return () if (low, high) == tuple(default) else (low, high)


def fixed_boxes(x: str, y: str, view: OutcomeMapView) -> tuple[tuple[str, float], ...]:
    """A box per setting off the axes; the ones that differ from the page's defaults."""
    st.caption("The settings off the axes:")
    left, right = st.columns(2)
    given = dict(view.fixed)
    changed = []
    for index, name in enumerate(n for n in AXES if n not in (x, y)):
        used = given.get(name, FIXED_DEFAULTS[name])
        column = (left, right)[index % 2]
        seed_box(f"map.fix.{name}", repr(float(used)), force=False)
        value = typed_box(column, name, AXIS_FIELDS[name], f"map.fix.{name}", used)
        if value != FIXED_DEFAULTS[name]:
            changed.append((name, float(value)))
    return tuple(changed)


def settings_form(view: OutcomeMapView) -> OutcomeMapView:
    """The sidebar's view: each refused box says why beside it and keeps the last accepted
    value. The zoom is kept while the whole map stays the same."""
    bar = st.sidebar
    bar.subheader("Map")
    x = bar.selectbox("x axis", ALL_AXES, key="map.x")
    y = bar.selectbox("y axis", ALL_AXES, key="map.y")
    activation = activation_choice(bar, "map")
    values = {"x": x, "y": y, "activation": activation}
    sloped_axis = "slope" in (x, y)
    with bar.form("map.form"):
        values["x_range"] = axis_range("x", x)
        values["y_range"] = axis_range("y", y)
        accepted_slope = (view.activation, view.slope)
        values["slope"] = None if sloped_axis else slope_box(st, "map", activation, accepted_slope)
        for name, (label, key) in BOXES.items():
            help = "Each cell trained from this many data seeds (seed, seed + 1, …)."
            options = {"help": help} if name == "seeds" else {}
            values[name] = typed_box(st, label, FIELDS[name], key, getattr(view, name), **options)
        values["bias"] = st.toggle(
            "Cell with biases", key="map.bias", help="A bias on an axis gives biases too."
        )
        values["fixed"] = fixed_boxes(x, y, view)
        st.form_submit_button("Draw map", type="primary")
    new = replace(view, **values)
    return new if _same_map(new, view) else replace(new, zoom=())


def _same_map(one: OutcomeMapView, other: OutcomeMapView) -> bool:
    try:
        return one.whole_map() == other.whole_map()
    except ConfigError:
        return False


def view_controls(view: OutcomeMapView, shown: SweepSettings) -> OutcomeMapView:
    """The colouring; the endings offered are those the map's activation can reach."""
    left, right = st.columns([3, 2])  # the three colourings on one line at 1500 px
    mode = left.radio(
        "Colour by",
        MODES,
        format_func=MODE_LABELS.get,
        horizontal=True,
        key="map.mode",
        help="With one data seed a share is 0 or 1; several seeds give probabilities.",
    )
    endings = [e.value for e in possible_endings(shown.activation)]
    ending = view.ending if view.ending in endings else endings[0]
    if mode != "ending":
        if st.session_state.get("map.ending") not in endings:
            st.session_state["map.ending"] = ending
        ending = right.selectbox(
            "ending",
            endings,
            format_func=lambda value: ENDINGS[next(e for e in ENDINGS if e.value == value)].label,
            key="map.ending",
        )
    if mode == SHARE_MODE and shown.seeds == 1:
        st.caption("One data seed per cell: shares are 0 or 1. Set more seeds in the sidebar.")
    return replace(view, colour=mode, ending=ending)


def agreements() -> dict[str, str]:
    """The default table's agreement per case, as far as it is known."""
    table = default_table().state().latest
    return {row.case.id: row.agreement for row in table.cases if row.agreement}


def current_point(settings: SweepSettings) -> tuple[float, float] | None:
    """The live view's run in this plane, if it is one of the map's kind (bias, activation)."""
    live = st.session_state.get(LIVE_SETTINGS)
    if not isinstance(live, Settings) or live.bias != settings.bias:
        return None
    if live.activation != settings.activation:
        return None
    return float(getattr(live, settings.x)), float(getattr(live, settings.y))


def breadcrumb(view: OutcomeMapView, levels: list[SweepSettings]) -> None:
    if len(levels) < 2:
        return
    crumbs = st.container(horizontal=True, vertical_alignment="center", key="map.crumbs")
    crumbs.caption("Zoom:", width="content")
    for depth, level in enumerate(levels):
        label = (
            "whole map"
            if depth == 0
            else (
                f"{level.x} {level.x_range[0]:.4g}…{level.x_range[1]:.4g}, "
                f"{level.y} {level.y_range[0]:.4g}…{level.y_range[1]:.4g}"
            )
        )
        if crumbs.button(label, key=f"map.crumb.{depth}", disabled=depth == len(levels) - 1):
            keep_view(VIEW, view.at_level(depth))
            st.rerun()


def dimension_note(levels: list[SweepSettings]) -> None:
    parts = []
    for depth, level in enumerate(levels):
        sweep = map_job(level).state().latest
        if sweep is None or not sweep.complete:
            continue
        counting = box_counting(sweep.ending)
        if counting.dimension is not None:
            name = "whole map" if depth == 0 else f"zoom {depth}"
            parts.append(f"{name}: {counting.dimension:.2f}")
    if parts:
        st.caption(
            "Box-counting dimension of the boundary between endings (1: a smooth curve; closer "
            "to 2: rougher at every scale): " + ", ".join(parts) + "."
        )


def chart(sweep: SweepResult, view: OutcomeMapView) -> None:
    """The map; a box drawn on it zooms in, a click on a cell trains it in the live view. Each
    zoom level has its own chart key, so no selection of another level is read as a new one."""
    settings = sweep.settings
    figure = outcome_map_figure(sweep, view.colouring(), agreements(), current_point(settings))
    figure.update_layout(dragmode="zoom", height=CHART_HEIGHT)
    rounds = st.session_state.setdefault(ROUNDS, 0)
    event = plotly_chart(
        figure,
        key=f"map.chart.{abs(hash(settings))}.{rounds}",
        file_name="l1viz-map",
        on_select="rerun",
        selection_mode=("points", "box"),
        width="stretch",
        config={"displaylogo": False},
    )
    selection = event.selection if event else None
    boxes = list(selection.box) if selection else []
    if boxes:
        try:
            zoomed = zoom_in(settings, boxes[0]["x"][:2], boxes[0]["y"][:2])
        except ConfigError as error:
            st.warning(plain_markdown(f"Cannot measure that box: {error}"))
            return
        keep_view(VIEW, view.zoomed(zoomed.x_range, zoomed.y_range))
        st.rerun()
    cell = selected_cell(selection.points if selection else [], figure, len(sweep.xs))
    if cell is not None and sweep.ending[cell[0]][cell[1]] is None:
        # Plotly keeps the cell selected, and a second click on it would clear the selection
        # instead of sending it: a fresh chart forgets it.
        st.session_state[ROUNDS] = rounds + 1
        st.toast("That cell is still training: click it again once it has its colour.")
        st.rerun()
    if cell is not None:
        point = sweep.cell_point(*cell)
        where = ", ".join(
            f"{settings.x if i == 0 else settings.y} = {v:.4g}"
            for i, v in enumerate((point[settings.x], point[settings.y]))
        )
        request_live_run(
            map_cell_settings(sweep, *cell),
            origin=f"Loaded from the outcome map: the cell at {where}.",
        )


def intro(relu: bool) -> None:
    """What a cell is and how to use the map; the dead rule's line and the verdicts are ReLU's."""
    ends = "dies, falls silent" if relu else "diverges"
    text = (
        "Each cell is one setup trained with the notebook's settings (Adam, batch 32) until it "
        f"converges (both weights exactly 1), {ends} or the budget runs out. **Click "
        "a cell** to train it in the live view; pick **Box Select** in the chart's toolbar and "
        "draw a box to measure it again at the same resolution."
    )
    if relu:
        text += (
            f" Dashed: where the dead rule starts to hold ({dead_rule_text(True)}). Numbered "
            "tags: the notebook's cases this plane passes through, by how the table agreed "
            f"({tag_legend()}; hover for the claim)."
        )
    st.caption(text)


def activation_note(view: OutcomeMapView, shown: SweepSettings) -> None:
    """Under another activation than ReLU: why nothing dies, and what a slope axis trains."""
    name = ACTIVATION_NAMES[shown.activation]
    if "slope" in (shown.x, shown.y):
        note = (
            f"Under {name} some gradient flows below 0 at every α, so a silent cell still learns."
        )
    else:
        note = still_learns(shown.activation, shown.slope)
    if view.activation != shown.activation:
        note += f" {ACTIVATION_NAMES[view.activation]} has no slope: a slope axis trains {name}."
    note += " No cell dies, so no dead rule is drawn"
    if shown.plane_of_inits:
        note += "; the notebook's cases (ReLU's claims) are outlined without the table's verdicts"
    st.caption(note + ".")


def main() -> None:
    # The sidebar is drawn first: the page's words depend on the activation it settles on.
    view, from_url = take_view(VIEW, OutcomeMapView)
    seed_widgets(view, force=from_url)
    view = accepted(settings_form(view), view, OutcomeMapView.levels)
    levels = view.levels()
    shown = levels[-1]
    st.title("Outcome map")
    relu = dead_rules_apply(shown.activation)
    intro(relu)
    if not relu:
        activation_note(view, shown)
    st.html(SOLID_CSS)
    show_notes(VIEW)
    breadcrumb(view, levels)
    view = view_controls(view, shown)
    keep_view(VIEW, view)

    def draw(state) -> None:
        sweep = state.latest
        with st.container(key="map.area"):
            chart(sweep, view)
        cases = ""
        if not sweep.cases and shown.plane_of_inits:
            cases = " · no notebook case has these fixed values"
        endings = possible_endings(shown.activation)
        counts = {e: n for e, n in sweep.counts().items() if e in endings}
        st.caption(f"Outcomes so far: {counts_text(counts)}{cases}")
        dimension_note(levels)
        if sweep.complete:
            download_buttons("map", sweep.to_json(), sweep_csv(sweep))

    follow(lambda: map_job(shown), draw, "The map")


def tag_legend() -> str:
    return ", ".join(f":{shade.badge}-badge[{shade.label}]" for shade in CASE_TAGS.values())


main()
