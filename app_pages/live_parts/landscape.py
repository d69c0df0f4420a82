"""The live page's Landscape tab: the run's path on the loss landscape over (w_hh, w_ih), drawn in
the browser up to the playhead, on the surface at the biases of the step shown."""

from __future__ import annotations

import streamlit as st

from app_pages.common import plain_markdown
from app_pages.live_parts import player
from app_pages.live_parts.surface import run_surfaces
from l1viz.live.run import LiveRun
from l1viz.live.view import ViewState
from l1viz.plots import plane
from l1viz.plots.time_charts import figure_json
from l1viz.study.vocabulary import ACTIVATION_NAMES, still_learns


def section(run: LiveRun, view: ViewState) -> None:
    table = run.trajectory()
    levels, columns = run_surfaces(run.config, table)
    first_grid, first_label = levels[0][1], levels[0][2]
    data = {
        "role": "plane",
        "run": view.run,
        "plotly": player.plotly_url(),
        "template": figure_json(plane.landscape_template(first_grid, first_label)),
        "levels": [
            {**plane.landscape_level(grid, label), "key": list(key)} for key, grid, label in levels
        ],
        "level_columns": columns,
    }
    player.follower("landscape", data)
    config = run.config
    below = still_learns(config.activation, config.slope)
    arrows = (
        f", everywhere: no region is dead. {below}"
        if below
        else " (none where the cell is dead: no gradient flows)."
    )
    st.caption(
        plain_markdown(
            f"Expected loss over (w_hh, w_ih) under {ACTIVATION_NAMES[config.activation]} at the "
            "biases of the step shown, on a fixed batch; the path follows the playhead. Arrows: "
            f"the direction down the gradient{arrows}"
        )
    )
