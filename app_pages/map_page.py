"""Outcome map: how training ends from every point of a grid over two settings (initial values,
the learning rate, the maximum sequence length), drawn as the cells are decided.

Widgets -> `SweepSettings` -> a shared job (`app_pages.studies`) -> `l1viz.plots.outcome_map`.
Click a cell to train it in the live view; draw a box to measure that box again at the same
resolution (a breadcrumb goes back); with several data seeds, colour by the share of an ending.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown, request_live_run
from app_pages.studies import default_table, follow, map_job
from l1viz.engine.config import BIAS_NAMES, MAX_SEED, PARAMETERS, ConfigError
from l1viz.engine.outcomes import Ending
from l1viz.live.links import map_cell_settings
from l1viz.live.settings import INIT_RANGE, Settings
from l1viz.plots.outcome_map import (
    ENDING_MODE,
    SHARE_MODE,
    STEPS_MODE,
    MapView,
    outcome_map_figure,
    selected_cell,
)
from l1viz.plots.palette import ENDINGS
from l1viz.study.map import (
    AXES,
    DEFAULT_RANGES,
    MAX_SEEDS,
    SweepResult,
    SweepSettings,
    box_counting,
    counts_text,
    zoom_in,
)
from l1viz.study.vocabulary import dead_rule_text

GRIDS = (16, 24, 32, 48, 64, 96, 128)
# Initial values stay within what the live view accepts, so every cell can be loaded there.
FIXED_DEFAULTS = {
    "w_hh": 0.5,
    "w_ih": 0.5,
    "b_hh": 0.5,
    "b_ih": -0.75,
    "lr": 1e-3,
    "max_length": 10,
}
ZOOM = "map.zoom"  # the breadcrumb: settings of each zoom level, the first the one drawn
LIVE_SETTINGS = "live.settings"
MODES = {
    ENDING_MODE: "how it ended",
    SHARE_MODE: "share of seeds with an ending",
    STEPS_MODE: "steps to an ending (log)",
}


def axis_range(axis: str, which: str) -> tuple[float, float]:
    low, high = DEFAULT_RANGES[axis]
    if axis in PARAMETERS:
        low, high = max(low, INIT_RANGE[0]), min(high, INIT_RANGE[1])
        bounds = {"min_value": INIT_RANGE[0], "max_value": INIT_RANGE[1], "step": 0.1}
    elif axis == "lr":
        bounds = {"min_value": 1e-6, "max_value": 1.0, "format": "%.1e"}
    else:
        bounds = {"min_value": 1.0, "max_value": 10_000.0, "step": 1.0, "format": "%.0f"}
    left, right = st.columns(2)
    low = left.number_input(
        f"{which} from", value=float(low), key=f"map.{which}.{axis}.low", **bounds
    )
    high = right.number_input("to", value=float(high), key=f"map.{which}.{axis}.high", **bounds)
    return float(low), float(high)


def settings_form() -> SweepSettings | None:
    bar = st.sidebar
    bar.subheader("Map")
    x = bar.selectbox("x axis", AXES, AXES.index("w_hh"), key="map.x")
    y = bar.selectbox("y axis", AXES, AXES.index("w_ih"), key="map.y")
    with bar.form("map.form"):
        x_range = axis_range(x, "x")
        y_range = axis_range(y, "y")
        grid = st.select_slider("Grid (cells per side)", GRIDS, 64, key="map.grid")
        steps = st.number_input("Step budget", 1, 1_000_000, 50_000, step=1000, key="map.steps")
        seed = st.number_input("Data seed", 0, MAX_SEED, 42, key="map.seed")
        seeds = st.number_input(
            "Data seeds per cell",
            1,
            MAX_SEEDS,
            1,
            key="map.seeds",
            help="Each cell trained from this many data seeds (seed, seed + 1, …): colour by the "
            "share of seeds that ended one way.",
        )
        bias = st.toggle(
            "Cell with biases", False, key="map.bias", help="A bias on an axis gives biases too."
        )
        st.caption("The settings off the axes:")
        left, right = st.columns(2)
        fixed = {}
        for index, name in enumerate(n for n in AXES if n not in (x, y)):
            column = (left, right)[index % 2]
            if name in PARAMETERS:
                fixed[name] = column.number_input(
                    name,
                    *INIT_RANGE,
                    FIXED_DEFAULTS[name],
                    0.05,
                    format="%.3f",
                    key=f"map.fix.{name}",
                )
            elif name == "lr":
                fixed[name] = column.number_input(
                    name, 1e-6, 1.0, FIXED_DEFAULTS[name], format="%.1e", key="map.fix.lr"
                )
            else:
                fixed[name] = column.number_input(
                    name, 1, 10_000, FIXED_DEFAULTS[name], key="map.fix.max_length"
                )
        st.form_submit_button("Draw map", type="primary")
    bias = bias or x in BIAS_NAMES or y in BIAS_NAMES
    chosen = tuple(
        (name, float(value)) for name, value in fixed.items() if bias or name not in BIAS_NAMES
    )
    try:
        return SweepSettings(
            x=x,
            y=y,
            x_range=x_range,
            y_range=y_range,
            grid=grid,
            steps=int(steps),
            fixed=chosen,
            seed=int(seed),
            seeds=int(seeds),
        )
    except ConfigError as error:
        st.error(plain_markdown(f"Cannot draw this map: {error}"))
        return None


def view_controls(seeds: int) -> MapView:
    left, right = st.columns([2, 3])
    modes = list(MODES)
    mode = left.radio(
        "Colour by",
        modes,
        format_func=MODES.get,
        horizontal=True,
        key="map.mode",
        help="With one data seed a share is 0 or 1; several seeds give probabilities.",
    )
    ending = Ending.CONVERGED
    if mode != ENDING_MODE:
        choices = list(ENDINGS)
        ending = right.selectbox(
            "ending", choices, format_func=lambda e: ENDINGS[e].label, key="map.ending"
        )
    if mode == SHARE_MODE and seeds == 1:
        st.caption("One data seed per cell: shares are 0 or 1. Set more seeds in the sidebar.")
    return MapView(mode, ending)


def agreements() -> dict[str, str]:
    """The default table's agreement per case, as far as it is known."""
    table = default_table().state().latest
    return {row.case.id: row.agreement for row in table.cases if row.agreement}


def current_point(settings: SweepSettings) -> tuple[float, float] | None:
    live = st.session_state.get(LIVE_SETTINGS)
    if not isinstance(live, Settings) or live.bias != settings.bias:
        return None
    return float(getattr(live, settings.x)), float(getattr(live, settings.y))


def breadcrumb(levels: list[SweepSettings]) -> None:
    if len(levels) < 2:
        return
    crumbs = st.container(horizontal=True)
    crumbs.caption("Zoom:")
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
            st.session_state[ZOOM] = levels[: depth + 1]
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


def chart(sweep: SweepResult, view: MapView, levels: list[SweepSettings]) -> None:
    settings = sweep.settings
    figure = outcome_map_figure(sweep, view, agreements(), current_point(settings))
    figure.update_layout(dragmode="zoom")
    event = st.plotly_chart(
        figure,
        key="map.chart",
        on_select="rerun",
        selection_mode=("points", "box"),
        width="stretch",
        config={"displaylogo": False},
    )
    selection = event.selection if event else None
    boxes = list(selection.box) if selection else []
    if boxes:
        box = boxes[0]
        try:
            zoomed = zoom_in(settings, box["x"][:2], box["y"][:2])
        except ConfigError as error:
            st.warning(plain_markdown(f"Cannot measure that box: {error}"))
            return
        st.session_state[ZOOM] = [*levels, zoomed]
        st.rerun()
    cell = selected_cell(selection.points if selection else [], figure, len(sweep.xs))
    if cell is not None and sweep.ending[cell[0]][cell[1]] is not None:
        point = sweep.cell_point(*cell)
        where = ", ".join(
            f"{settings.x if i == 0 else settings.y} = {v:.4g}"
            for i, v in enumerate((point[settings.x], point[settings.y]))
        )
        request_live_run(
            map_cell_settings(sweep, *cell),
            origin=f"Loaded from the outcome map: the cell at {where}.",
        )


def main() -> None:
    st.title("Outcome map")
    st.markdown(
        "Each cell is one setup, trained with the notebook's settings (Adam, batch 32) until it "
        "converges (both weights exactly 1), dies, falls silent or the budget runs out. The "
        f"dashed line is where the dead rule starts to hold ({dead_rule_text(True)}); "
        "numbered boxes are the notebook's cases this plane passes through, their tags coloured by "
        "how the table's measurement agreed (green agrees, orange partly, red disagrees; hover "
        "for the claim). **Click a cell** to train it in the live view; pick **Box Select** in "
        "the chart's toolbar and draw a box to measure that box again at the same resolution."
    )
    settings = settings_form()
    if settings is None:
        return
    levels = st.session_state.get(ZOOM)
    if not levels or levels[0] != settings:
        levels = [settings]
        st.session_state[ZOOM] = levels
    shown = levels[-1]
    breadcrumb(levels)
    view = view_controls(shown.seeds)

    def draw(state) -> None:
        sweep = state.latest
        chart(sweep, view, levels)
        cases = ""
        if not sweep.cases and shown.plane_of_inits:
            cases = " · no notebook case has these fixed values"
        st.caption(f"Outcomes so far: {counts_text(sweep.counts())}{cases}")
        dimension_note(levels)

    follow(lambda: map_job(shown), draw, "The map")


main()
