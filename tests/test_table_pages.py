"""The observation table and outcome map pages, driven by Streamlit's AppTest."""

import json
import time
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import studies
from l1viz.engine.config import PARAMETERS
from l1viz.live.links import live_settings
from l1viz.live.map_view import OutcomeMapView
from l1viz.study.table import TableSettings, measure_table

APP = "../app.py"
TABLE_PAGE, MAP_PAGE = "app_pages/table_page.py", "app_pages/map_page.py"


def open_page(page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()  # pages with their own url_path are known by name only after a first run
    return at.switch_page(page).run()


def table_state(seed: int, **extra) -> dict:
    return {
        "table.samples": "4",
        "table.steps": "200",
        "table.recheck": False,
        "table.seed": str(seed),
        **extra,
    }


@pytest.fixture
def loads(monkeypatch):
    """What the pages asked the live view to load (instead of switching page), and why."""
    asked = SimpleNamespace(settings=[], origins=[])

    def request(settings: dict, origin: str = "") -> None:
        asked.settings.append(settings)
        asked.origins.append(origin)

    monkeypatch.setattr("app_pages.common.request_live_run", request)
    return asked


@pytest.fixture
def calls(monkeypatch):
    """The settings of each measurement that really ran (not read from a job already there)."""
    counts = {"table": [], "sweep": []}

    def counting(name, function):
        def wrapper(settings, **kwargs):
            counts[name].append(settings)
            return function(settings, **kwargs)

        return wrapper

    monkeypatch.setattr(studies, "measure_table", counting("table", studies.measure_table))
    monkeypatch.setattr(studies, "measure_sweep", counting("sweep", studies.measure_sweep))
    return counts


def badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def settle(at: AppTest, done, tries: int = 240) -> AppTest:
    """Rerun the page (one rerun stands for a poll of its fragment) until `done(at)`."""
    for _ in range(tries):
        assert not at.exception, at.exception
        if done(at):
            return at
        time.sleep(0.25)
        at.run()
    pytest.fail("the page did not settle")


def measuring(at: AppTest) -> bool:
    return any(caption.value == "measuring…" for caption in at.caption)


def load_buttons(at: AppTest) -> list:
    return [button for button in at.button if button.key.startswith("table.load.")]


def test_table_page_draws_the_documented_rows_at_once_then_fills_them_in(calls):
    at = open_page(TABLE_PAGE, **table_state(seed=101))
    assert not at.exception
    documented = [m.value for m in at.markdown]
    assert sum(text == "does not converge" for text in documented) == 5  # the claims, at once
    settle(at, lambda at: not measuring(at))
    summary = badges(at)[:3]
    assert sum(int(text.split("[")[1].split()[0]) for text in summary) == 17
    expected = measure_table(TableSettings(samples=4, steps=200, recheck=False, seed=101))
    agreement_badges = [text for text in badges(at)[3:] if "dead ReLU" not in text]
    assert [text.split("[")[1].rstrip("]") for text in agreement_badges] == [
        row.agreement for row in expected.cases
    ]
    dead_marks = [text for text in badges(at) if "dead ReLU" in text]
    assert len(dead_marks) == sum(row.measured.analytic_dead > 0 for row in expected.cases)
    bars = [element for element in at.get("html") if "display:flex" in element.proto.body]
    assert len(bars) == 17
    keys = {button.key for button in load_buttons(at)}
    assert keys == {
        f"table.load.{row.case.id}.{item.ending.value}"
        for row in expected.cases
        for item in row.typical
    }
    ours = TableSettings(samples=4, steps=200, recheck=False, seed=101)
    assert calls["table"].count(ours) == 1
    at.run()  # again: the same job, no progress bar left behind
    assert calls["table"].count(ours) == 1 and not at.exception
    assert not at.get("progress")


def test_load_offers_each_ending_of_a_case_and_sends_that_sample(loads):
    at = open_page(
        TABLE_PAGE, **table_state(seed=102, **{"table.steps": "400", "table.samples": "6"})
    )
    settle(at, lambda at: not measuring(at))
    settings = TableSettings(samples=6, steps=400, recheck=False, seed=102)
    row = measure_table(settings).row("bias-7")
    assert len(row.typical) >= 2  # bias 7 straddles the dead rule: more than one ending
    for item in row.typical:
        at.button(key=f"table.load.bias-7.{item.ending.value}").click().run()
        assert not at.exception
        assert loads.settings[-1] == live_settings(item.init, settings.train_config(bias=True))
        assert loads.settings[-1]["steps"] == 400 and set(PARAMETERS) <= loads.settings[-1].keys()
        assert loads.origins[-1].startswith("Loaded from the notebook table, bias 7")
    assert len(loads.settings) == len(row.typical)


def test_bad_table_settings_are_named_and_the_last_accepted_ones_measured():
    at = open_page(
        TABLE_PAGE,
        **table_state(seed=103, **{"table.normal_low": "0.9", "table.normal_high": "0.5"}),
    )
    assert not at.exception
    assert "normal range" in at.error[0].value and "last accepted" in at.error[0].value
    assert any("17 cases × 256 samples" in caption.value for caption in at.caption)


def test_a_refused_box_says_why_beside_it_and_the_value_used():
    at = open_page(TABLE_PAGE, **table_state(seed=104, **{"table.samples": "0"}))
    assert not at.exception
    message = [c.value for c in at.sidebar.caption if "Samples per case" in c.value]
    assert message and "\\'0\\' must be between 1 and 4\\,096\\; using 256" in message[0]
    at.text_input(key="table.seed").input("abc")
    at.sidebar.button[0].click().run()  # the form's Measure
    message = [c.value for c in at.sidebar.caption if c.value.startswith(":red[Seed")]
    assert message and "must be a number\\; using 104" in message[0]


def map_state(seed: int, **extra) -> dict:
    return {"map.grid": "16", "map.steps": "200", "map.seed": str(seed), **extra}


def chart_spec(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def map_drawn(at: AppTest) -> bool:
    return bool(at.get("plotly_chart")) and not at.get("progress")


def test_map_page_draws_the_map_with_boundary_and_cases(calls):
    at = open_page(MAP_PAGE, **map_state(seed=201))
    settle(at, map_drawn)
    traces = chart_spec(at)["data"]
    assert traces[0]["type"] == "heatmap" and any(t["type"] == "contour" for t in traces)
    assert {"no bias 1", "no bias 5", "cells"} <= {t.get("name") for t in traces}
    assert any("Outcomes so far: converged" in caption.value for caption in at.caption)
    at.run()
    assert len(calls["sweep"]) == 1 and not at.exception


def test_map_page_with_biases_fixed():
    at = open_page(MAP_PAGE, **map_state(seed=202, **{"map.bias": True}))
    settle(at, map_drawn)
    spec = chart_spec(at)
    assert "b_hh = 0.5, b_ih = -0.75" in spec["layout"]["title"]["text"]
    names = {t.get("name") for t in spec["data"]}
    assert {"bias 2", "bias 4", "bias 7", "bias 11"} <= names and "no bias 1" not in names


def test_map_page_over_the_learning_rate_colours_by_share():
    state = map_state(seed=204, **{"map.x": "lr", "map.grid": "16", "map.seeds": "2"})
    at = open_page(MAP_PAGE, **state)
    settle(at, map_drawn)
    spec = chart_spec(at)
    assert spec["layout"]["xaxis"]["type"] == "log"
    at.radio(key="map.mode").set_value("share").run()
    settle(at, map_drawn)
    heatmap = chart_spec(at)["data"][0]
    assert heatmap["zmin"] == 0 and heatmap["zmax"] == 1


def test_map_page_rejects_the_same_parameter_on_both_axes_and_keeps_the_last_map():
    last = OutcomeMapView(grid=16, steps=200, seed=203)
    at = open_page(MAP_PAGE, **map_state(seed=203, **{"map.y": "w_hh", "map.view": last}))
    assert not at.exception
    assert "must differ" in at.error[0].value and "last accepted" in at.error[0].value
    settle(at, map_drawn)
    assert chart_spec(at)["layout"]["yaxis"]["title"]["text"] == "w_ih"


SCHEMES_PAGE = "app_pages/schemes_page.py"


def test_schemes_page_plots_the_shares_and_loads_a_draw(loads):
    state = {
        "schemes.samples": "6",
        "schemes.steps": "300",
        "schemes.lengths": "3, 10",
        "schemes.names": ["pytorch", "kaiming"],
        "schemes.seed": "301",
    }
    at = open_page(SCHEMES_PAGE, **state)
    settle(at, lambda at: bool(at.get("plotly_chart")) and not at.get("progress"))
    spec = chart_spec(at)
    names = {trace["name"] for trace in spec["data"]}
    assert names == {"pytorch", "kaiming"} and spec["layout"]["xaxis"]["type"] == "log"
    # labelled at the lengths measured, never at a log axis's minor ticks ("9 10 2 3 … 9 100")
    assert spec["layout"]["xaxis"]["ticktext"] == ["3", "10"]
    table = at.dataframe[0].value
    assert len(table) == 2 * 2 * 2  # schemes × lengths × bias settings
    assert set(table["P(dead at init), exact"]) <= {0.25, 0.5}
    at.button(key="schemes.load").click().run()
    assert not at.exception
    assert loads.settings and loads.origins[-1].startswith("Loaded from the schemes page")
    assert loads.settings[-1]["max_length"] in (3, 10)
