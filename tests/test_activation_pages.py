"""The activation on the outcome map and schemes pages, driven by Streamlit's AppTest: the sidebar's
activation and slope, their URL form, a slope axis, and "Load" carrying them to the live view."""

import base64
import json
import math
import time

import numpy as np
import pytest
from streamlit.elements.plotly_chart import PlotlySelectionState, PlotlyState
from streamlit.testing.v1 import AppTest

from app_pages.common import plain_markdown
from l1viz.engine.outcomes import Ending
from l1viz.engine.trainer import Trainer
from l1viz.live.map_view import OutcomeMapView
from l1viz.live.schemes_view import SchemesView
from l1viz.plots.outcome_map import ENDING_ORDER
from l1viz.plots.palette import ENDINGS, REFUSED
from l1viz.study.schemes import measure_schemes

APP = "../app.py"
MAP_PAGE = "app_pages/map_page.py"
DEAD = (Ending.DEAD_AT_INIT, Ending.DIED, Ending.DEAD_IN_PRACTICE)
DEAD_LABELS = {ENDINGS[ending].label for ending in DEAD}
# A 3 x 3 map over the slope and the learning rate that both converges and stalls in 1,000 steps.
SLOPE_LINK = {"x": "slope", "y": "lr", "y_range": "0.01,10.0", "grid": "3", "steps": "1000"}


def open_link(page: str, query: dict, **state) -> AppTest:
    """The page opened from a link with `query` (and `state` in the session beforehand)."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()  # pages with their own url_path are known by name only after a first run
    at.switch_page(page)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def settle(at: AppTest, tries: int = 240) -> AppTest:
    """Rerun the page (one rerun stands for a poll of its fragment) until its chart is drawn."""
    for _ in range(tries):
        assert not at.exception, at.exception
        if at.get("plotly_chart") and not at.get("progress"):
            return at
        time.sleep(0.25)
        at.run()
    pytest.fail("the page did not settle")


def chart_spec(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def typed_array(value: dict) -> np.ndarray:
    """A numpy array as plotly writes it into a chart's JSON."""
    shape = tuple(int(n) for n in value["shape"].split(","))
    return np.frombuffer(base64.b64decode(value["bdata"]), value["dtype"]).reshape(shape)


def names(spec: dict) -> set:
    return {trace.get("name") for trace in spec["data"]}


def click_cell(at: AppTest, view: OutcomeMapView, row: int, column: int) -> AppTest:
    """A click on the map's cell (row, column), as the browser's chart would send it."""
    spec = chart_spec(at)
    cells = next(i for i, trace in enumerate(spec["data"]) if trace.get("name") == "cells")
    index = row * len(spec["data"][0]["x"]) + column
    point = {"curve_number": cells, "point_index": index}
    selection = {"points": [point], "point_indices": [index], "box": [], "lasso": []}
    key = f"map.chart.{abs(hash(view.levels()[-1]))}.0"
    at.session_state[key] = PlotlyState({"selection": PlotlySelectionState(selection)})
    return at.run()


def test_a_slope_axis_link_draws_a_log_spaced_map_with_the_engines_endings(loads):
    query = {**SLOPE_LINK, "activation": "leaky_relu"}
    at = settle(open_link(MAP_PAGE, query))
    assert not at.warning and at.sidebar.selectbox(key="map.activation").value == "leaky_relu"
    spec, settings = chart_spec(at), OutcomeMapView.from_params(query)[0].whole_map()
    xaxis, heatmap = spec["layout"]["xaxis"], spec["data"][0]
    assert xaxis["type"] == "log" and xaxis["title"]["text"] == "slope α"
    xs = heatmap["x"]
    codes = typed_array(heatmap["z"])
    assert xs == list(settings.axis_values("x")) and xs[0] == 1e-4 and xs[-1] == 0.5
    assert math.isclose(xs[1] / xs[0], xs[2] / xs[1], rel_tol=1e-3)  # log-spaced
    assert spec["layout"]["title"]["text"].startswith("Leaky ReLU, after at most 1,000 steps")
    # Each cell is the engine's lone run at that slope and learning rate.
    for row, column, expected in ((1, 0, Ending.CONVERGED), (0, 2, Ending.STALLED)):
        point = settings.point(settings.axis_values("x")[column], settings.axis_values("y")[row])
        (run,) = Trainer(settings.init_at(point), settings.train_config(point)).run()
        assert run.ending == expected
        assert codes[row][column] == ENDING_ORDER.index(expected)
    # Leaky ReLU never dies: no dead rule, no dead endings in the legend or the counts.
    assert not any(trace["type"] == "contour" for trace in spec["data"])
    assert not names(spec) & DEAD_LABELS and ENDINGS[Ending.STALLED].label in names(spec)
    counts = next(c.value for c in at.caption if c.value.startswith("Outcomes so far"))
    assert "dead" not in counts and "died" not in counts
    assert any("no dead rule is drawn" in caption.value for caption in at.caption)
    assert dict(at.query_params) == query
    click_cell(at, OutcomeMapView.from_params(query)[0], 1, 0)
    assert not at.exception
    loaded = loads.settings[-1]
    assert loaded["activation"] == "leaky_relu" and loaded["slope"] == xs[0]
    assert loaded["lr"] == settings.axis_values("y")[1] and loaded["steps"] == 1000
    where = f"slope = {xs[0]:.4g}, lr = {loaded['lr']:.4g}"
    assert loads.origins[-1] == f"Loaded from the outcome map: the cell at {where}."


def test_a_slope_axis_under_relu_trains_leaky_relu_and_says_so():
    at = settle(open_link(MAP_PAGE, {**SLOPE_LINK, "grid": "2", "steps": "50"}))
    spec = chart_spec(at)
    assert spec["layout"]["title"]["text"].startswith("Leaky ReLU, after")
    note = next(c.value for c in at.caption if "has no slope" in c.value)
    assert "ReLU has no slope: a slope axis trains leaky ReLU." in note
    assert "activation" not in at.query_params  # the page's setting stays ReLU


def test_a_relu_map_keeps_every_ending_the_dead_rule_and_the_cases():
    at = settle(open_link(MAP_PAGE, {"grid": "4", "steps": "50", "seed": "211"}))
    spec = chart_spec(at)
    assert {shade.label for shade in ENDINGS.values()} <= names(spec)
    assert any(trace["type"] == "contour" for trace in spec["data"])
    assert spec["layout"]["title"]["text"].startswith("After at most 50 steps")
    assert not any("no dead rule" in caption.value for caption in at.caption)
    assert "map.slope" not in [box.key for box in at.sidebar.text_input]


def test_bad_activation_values_in_a_link_are_named_and_replaced_by_defaults():
    query = {"activation": "sigmoid", "slope": "2", "grid": "2", "steps": "50"}
    at = settle(open_link(MAP_PAGE, query))
    warnings = [w.value for w in at.warning]
    named = plain_markdown("activation = 'sigmoid': must be one of relu, leaky_relu")
    assert any(named in w and plain_markdown("Using the default, relu.") in w for w in warnings)
    assert any(plain_markdown("slope = '2': ") in w for w in warnings)
    assert at.sidebar.selectbox(key="map.activation").value == "relu"
    assert dict(at.query_params) == {"grid": "2", "steps": "50"}
    at = settle(open_link(MAP_PAGE, {"x": "slope", "activation": "tanh", "grid": "2"}))
    (warning,) = [w.value for w in at.warning]
    assert plain_markdown("tanh has no slope to put on an axis. Using the default, relu") in warning
    assert chart_spec(at)["layout"]["title"]["text"].startswith("Leaky ReLU, after")


def test_the_sidebar_sets_the_activation_and_its_slope_and_refuses_a_bad_one(loads):
    at = settle(open_link(MAP_PAGE, {"grid": "2", "steps": "50", "seed": "212"}))
    at.sidebar.selectbox(key="map.activation").set_value("leaky_relu").run()
    settle(at)
    assert at.sidebar.text_input(key="map.slope").value == "0.01"
    assert chart_spec(at)["layout"]["title"]["text"].startswith("Leaky ReLU α = 0.01, after")
    assert dict(at.query_params)["activation"] == "leaky_relu" and "slope" not in at.query_params
    at.sidebar.text_input(key="map.slope").input("1.5")
    at.sidebar.button[0].click().run()  # the form's "Draw map"
    refused = [c.value for c in at.sidebar.caption if "slope α below 0" in c.value]
    said = plain_markdown("slope α below 0: '1.5' must be above 0 and at most 0.999; using 0.01.")
    assert refused == [f":{REFUSED.badge}[{said}]"] and "slope" not in at.query_params
    at.sidebar.text_input(key="map.slope").input("0.05")
    at.sidebar.button[0].click().run()
    settle(at)
    assert dict(at.query_params)["slope"] == "0.05"
    assert chart_spec(at)["layout"]["title"]["text"].startswith("Leaky ReLU α = 0.05, after")
    click_cell(at, OutcomeMapView.from_params(dict(at.query_params))[0], 0, 0)
    assert loads.settings[-1]["activation"] == "leaky_relu"
    assert loads.settings[-1]["slope"] == 0.05
    # Another activation: its own slope, and the slope box's text follows.
    at.sidebar.selectbox(key="map.activation").set_value("prelu").run()
    assert at.sidebar.text_input(key="map.slope").value == "0.25"
    at.sidebar.selectbox(key="map.activation").set_value("elu").run()
    settle(at)
    assert "map.slope" not in [box.key for box in at.sidebar.text_input]
    assert "slope" not in at.query_params
    # A slope axis under ELU is refused, naming why, and the last map kept.
    at.sidebar.selectbox(key="map.x").set_value("slope").run()
    (error,) = [e.value for e in at.sidebar.error]
    assert "elu has no slope to put on an axis" in error and "last accepted" in error
    assert chart_spec(at)["layout"]["xaxis"]["title"]["text"] == "w_hh"


SCHEMES_PAGE = "app_pages/schemes_page.py"
SCHEMES_LINK = {"schemes": "pytorch", "max_length": "3", "samples": "8", "steps": "300"}


def test_a_leaky_relu_schemes_link_shows_the_studys_shares_and_loads_a_draw_under_it(loads):
    query = {**SCHEMES_LINK, "bias": "without", "activation": "leaky_relu", "slope": "0.05"}
    at = settle(open_link(SCHEMES_PAGE, query))
    assert not at.warning and dict(at.query_params) == query
    assert at.sidebar.text_input(key="schemes.slope").value == "0.05"
    expected = measure_schemes(SchemesView.from_params(query)[0].settings())
    (row,) = expected.rows
    table = at.dataframe[0].value
    assert list(table["P(ReLU dead at init), exact"]) == [row.dead_at_init]
    for ending in (Ending.CONVERGED, Ending.DIVERGED, Ending.STALLED):
        assert list(table[ENDINGS[ending].label]) == [row.measured[ending].value]
    assert not set(table.columns) & DEAD_LABELS
    assert list(at.selectbox(key="schemes.ending").options) == [
        ENDINGS[e].label for e in (Ending.CONVERGED, Ending.DIVERGED, Ending.STALLED)
    ]
    assert any("train under leaky ReLU" in caption.value for caption in at.caption)
    at.button(key="schemes.load").click().run()
    assert not at.exception
    loaded = loads.settings[-1]
    assert loaded["activation"] == "leaky_relu" and loaded["slope"] == 0.05
    assert loaded["max_length"] == 3 and loaded["steps"] == 300


def test_the_schemes_sidebar_sets_the_activation_and_a_bad_link_is_named():
    query = {**SCHEMES_LINK, "bias": "with", "activation": "softmax", "slope": "0"}
    at = settle(open_link(SCHEMES_PAGE, query))
    warnings = [w.value for w in at.warning]
    assert any(plain_markdown("activation = 'softmax': must be one of relu") in w for w in warnings)
    assert any(plain_markdown("slope = '0': must be above 0") in w for w in warnings)
    table = at.dataframe[0].value
    assert "P(dead at init), exact" in table and ENDINGS[Ending.DIED].label in table
    at.sidebar.selectbox(key="schemes.activation").set_value("prelu").run()
    assert at.sidebar.text_input(key="schemes.slope").value == "0.25"
    settle(at)
    assert dict(at.query_params)["activation"] == "prelu" and "slope" not in at.query_params
    assert "P(ReLU dead at init), exact" in at.dataframe[0].value
