"""The observation table and outcome map pages, driven by Streamlit's AppTest."""

import json

import pytest
from streamlit.testing.v1 import AppTest

import l1viz.study.sweep
import l1viz.study.table
from l1viz.live.links import live_settings
from l1viz.study.observations import OBSERVATIONS, PARAMETERS
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
        "table.samples": 4,
        "table.steps": 200,
        "table.recheck": False,
        "table.seed": seed,
        **extra,
    }


@pytest.fixture
def loads(monkeypatch):
    """What the pages asked the live view to load (instead of switching page)."""
    requests = []
    monkeypatch.setattr("app_pages.common.request_live_run", requests.append)
    return requests


@pytest.fixture
def calls(monkeypatch):
    """How often each measurement really ran (not served from the cache)."""
    counts = {"table": 0, "sweep": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        l1viz.study.table, "measure_table", counting("table", l1viz.study.table.measure_table)
    )
    monkeypatch.setattr(
        l1viz.study.sweep, "measure_sweep", counting("sweep", l1viz.study.sweep.measure_sweep)
    )
    return counts


def badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def test_table_page_shows_all_cases_with_verdicts_and_load_buttons(calls):
    at = open_page(TABLE_PAGE, **table_state(seed=101))
    assert not at.exception
    loads = [button for button in at.button if button.label == "Load"]
    assert [b.key for b in loads] == [f"table.load.{case.id}" for case in OBSERVATIONS]
    summary = badges(at)[:3]
    assert sum(int(text.split("[")[1].split()[0]) for text in summary) == 17
    expected = measure_table(TableSettings(samples=4, steps=200, recheck=False, seed=101))
    verdict_badges = [text for text in badges(at)[3:] if "dead ReLU" not in text]
    assert [text.split("[")[1].rstrip("]") for text in verdict_badges] == [
        case["verdict"] for case in expected["cases"]
    ]
    dead_marks = [text for text in badges(at) if "dead ReLU" in text]
    assert len(dead_marks) == sum(c["measured"]["analytic_dead"] > 0 for c in expected["cases"])
    bars = [element for element in at.get("html") if "display:flex" in element.proto.body]
    assert len(bars) == 17
    assert calls["table"] == 1
    at.run()  # returning to the page: served from the cache, no progress bar left behind
    assert calls["table"] == 1 and not at.exception
    assert not [p for p in at.get("progress") if p.proto.value > 0]


def test_load_sends_the_cases_typical_init_to_the_live_view(loads):
    at = open_page(TABLE_PAGE, **table_state(seed=102))
    at.button(key="table.load.bias-7").click().run()
    assert not at.exception
    settings = TableSettings(samples=4, steps=200, recheck=False, seed=102)
    expected = measure_table(settings)
    typical = next(c for c in expected["cases"] if c["id"] == "bias-7")["representative"]
    assert loads == [live_settings(typical["init"], settings.train_config(bias=True))]
    assert set(PARAMETERS) <= loads[0].keys() and loads[0]["steps"] == 200


def test_bad_table_settings_show_a_message_not_a_traceback():
    at = open_page(
        TABLE_PAGE, **table_state(seed=103, **{"table.normal_low": 0.9, "table.normal_high": 0.5})
    )
    assert not at.exception
    assert "normal range" in at.error[0].value
    assert not [button for button in at.button if button.label == "Load"]


def map_state(seed: int, **extra) -> dict:
    return {"map.grid": 16, "map.steps": 200, "map.seed": seed, **extra}


def chart_spec(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_map_page_draws_the_map_with_boundary_and_cases(calls):
    at = open_page(MAP_PAGE, **map_state(seed=201))
    assert not at.exception
    traces = chart_spec(at)["data"]
    assert traces[0]["type"] == "heatmap" and any(t["type"] == "contour" for t in traces)
    assert {"no bias 1", "no bias 5", "cells"} <= {t.get("name") for t in traces}
    assert any("Outcomes: converged" in caption.value for caption in at.caption)
    at.run()
    assert calls["sweep"] == 1 and not at.exception


def test_map_page_with_biases_fixed():
    at = open_page(MAP_PAGE, **map_state(seed=202, **{"map.bias": True}))
    assert not at.exception
    spec = chart_spec(at)
    assert "b_hh = 0.5, b_ih = -0.75" in spec["layout"]["title"]["text"]
    names = {t.get("name") for t in spec["data"]}
    assert {"bias 2", "bias 4", "bias 7", "bias 11"} <= names and "no bias 1" not in names


def test_map_page_rejects_the_same_parameter_on_both_axes():
    at = open_page(MAP_PAGE, **map_state(seed=203, **{"map.y": "w_hh"}))
    assert not at.exception
    assert "must differ" in at.error[0].value and not at.get("plotly_chart")
