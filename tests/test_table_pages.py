"""The observation table and outcome map pages, driven by Streamlit's AppTest."""

import csv
import io
import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import downloads, studies
from app_pages.common import plain_markdown
from l1viz.engine.config import PARAMETERS
from l1viz.engine.outcomes import Ending
from l1viz.live.links import live_settings
from l1viz.live.map_view import OutcomeMapView
from l1viz.study.table import TableSettings, measure_table, measured_summary, remedy_summary

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


# -- the remedy activation (issue 20) ------------------------------------------------------------
def open_link(**query) -> AppTest:
    """The table page opened from a link with `query`."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # the live page first: it would read the table's names as its own
    for name, value in query.items():
        at.query_params[name] = value
    return at.switch_page(TABLE_PAGE).run()


def remedy_measured(at: AppTest) -> bool:
    return not measuring(at) and not any("measuring…" in c.value for c in at.caption)


@pytest.fixture
def offered(monkeypatch):
    """The CSV text of each pair of download buttons the pages drew."""
    texts = []

    def record(name: str, payload: dict, csv_text: str) -> None:
        texts.append(csv_text)
        draw(name, payload, csv_text)

    draw = downloads.download_buttons
    monkeypatch.setattr(downloads, "download_buttons", record)
    return texts


def test_a_link_with_an_activation_shows_each_rows_remedy_beside_relu_and_downloads_it(offered):
    link = {"samples": "4", "steps": "300", "seed": "601", "recheck": "false"}
    link |= {"activation": "leaky_relu", "slope": "0.01"}
    at = open_link(**link)
    assert not at.exception and not at.warning
    assert at.selectbox(key="table.activation").value == "leaky_relu"
    assert at.text_input(key="table.slope").value == ""  # blank: the activation's own
    settle(at, remedy_measured)
    del link["slope"]  # the activation's own slope: the address leaves it out
    assert dict(at.query_params) == link  # the address still reproduces the view
    settings = TableSettings(samples=4, steps=300, seed=601, recheck=False, activation="leaky_relu")
    expected = measure_table(settings)
    captions = [caption.value for caption in at.caption]
    assert plain_markdown("measured: ReLU, then leaky ReLU α = 0.01") in captions
    for row in expected.cases:  # in the rows' order, ReLU's summary then the remedy's
        relu = captions.index(plain_markdown(f"ReLU: {measured_summary(row.measured)}"))
        assert captions[relu + 1] == plain_markdown(remedy_summary(row.remedy))
        captions = captions[relu + 2 :]
    bars = [element for element in at.get("html") if "display:flex" in element.proto.body]
    assert len(bars) == 2 * 17
    assert any("and the same samples under leaky ReLU α = 0.01" in c.value for c in at.caption)
    rows = list(csv.DictReader(io.StringIO(offered[-1])))
    assert [row["id"] for row in rows] == [row.case.id for row in expected.cases]
    for got, row in zip(rows, expected.cases):
        remedy = row.remedy
        assert (got["remedy_activation"], float(got["remedy_slope"])) == ("leaky_relu", 0.01)
        for ending in Ending:
            assert float(got[f"remedy_share_{ending.value}"]) == remedy.share(ending)
        assert float(got["remedy_revived"]) == remedy.revived
        for name in ("median_steps", "median_revived_at"):
            value = getattr(remedy, name)
            assert got[f"remedy_{name}"] == ("" if value is None else str(value)), name
    assert any(float(row["remedy_revived"]) > 0 for row in rows)  # the dead cases came back


def test_load_under_the_remedy_sends_the_same_sample_with_the_remedy_activation(loads):
    """With a remedy chosen, each case's Load also offers its samples under the remedy: the
    live view then repeats the table's remedy run of that init."""
    link = {"samples": "4", "steps": "300", "seed": "601", "recheck": "false"}
    at = open_link(**link, activation="leaky_relu", slope="0.01")
    settle(at, remedy_measured)
    settings = TableSettings(samples=4, steps=300, seed=601, recheck=False, activation="leaky_relu")
    row = measure_table(settings).row("no-bias-2")
    for item in row.typical:
        at.button(key=f"table.remedy.no-bias-2.{item.ending.value}").click().run()
        assert not at.exception
        sent = loads.settings[-1]
        assert sent == live_settings(item.init, settings.remedy_config(bias=False))
        assert (sent["activation"], sent["slope"], sent["steps"]) == ("leaky_relu", 0.01, 300)
        assert "under leaky ReLU α = 0.01 as the table did" in loads.origins[-1]
    assert len(loads.settings) == len(row.typical)


def test_the_form_takes_an_activation_and_a_slope_and_refuses_a_bad_slope_beside_its_box():
    at = open_page(TABLE_PAGE, **table_state(seed=602))
    assert at.selectbox(key="table.activation").value == "relu"
    assert at.text_input(key="table.slope").value == ""
    at.selectbox(key="table.activation").select("prelu")
    at.text_input(key="table.slope").input("abc")
    at.sidebar.button[0].click().run()  # the form's Measure
    refused = plain_markdown("Slope α below 0: 'abc' must be a number; using the activation's own.")
    assert any(refused in caption.value for caption in at.sidebar.caption)
    view = at.session_state["table.view"]
    assert (view.activation, view.slope) == ("prelu", None)
    assert dict(at.query_params)["activation"] == "prelu" and "slope" not in at.query_params
    at.text_input(key="table.slope").input("0.125")
    at.sidebar.button[0].click().run()
    assert at.session_state["table.view"].settings().slope == 0.125
    assert dict(at.query_params)["slope"] == "0.125"
    at.text_input(key="table.slope").input("1.5")
    at.sidebar.button[0].click().run()
    refused = plain_markdown("'1.5' must be above 0 and at most 0.999; using 0.125.")
    assert any(refused in caption.value for caption in at.sidebar.caption)
    assert at.session_state["table.view"].slope == 0.125
    at.selectbox(key="table.activation").select("elu")
    at.text_input(key="table.slope").input("0.125")  # the others have no slope: ignored
    at.sidebar.button[0].click().run()
    assert not at.exception and not at.sidebar.error
    assert dict(at.query_params)["activation"] == "elu" and "slope" not in at.query_params
    assert plain_markdown("measured: ReLU, then ELU") in [c.value for c in at.caption]


@pytest.mark.parametrize(
    "link,named",
    [
        ({"activation": "gelu"}, "activation = 'gelu': must be one of relu, leaky_relu"),
        ({"activation": "prelu", "slope": "2"}, "slope = '2': must be above 0 and at most 0.999"),
        ({"slope": "0.05"}, "slope = '0.05': only leaky_relu and prelu have a slope, not relu"),
    ],
)
def test_a_bad_activation_or_slope_in_a_link_is_named_and_replaced_by_its_default(link, named):
    at = open_link(samples="4", steps="200", recheck="false", seed="603", **link)
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith(plain_markdown(named)) and "Using the default" in warning
    view = at.session_state["table.view"]
    assert view.samples == 4 and view.slope is None  # nothing else is lost
    assert view.activation == link.get("activation", "relu").replace("gelu", "relu")


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
