"""The table, map and schemes pages in a real browser at 1500x1000, 1280x720 and 900x1000 with the
sidebar open (issues 19 and 21): nothing cut, the table's header in view while it scrolls, a card
per row when narrow, the map on one screen; every page's address reproduces its view in a fresh
session, a bad address and a refused box are named where the user looks.

One server for the module (a fresh one: the links are opened on a server that has computed
nothing), a fresh session (browser context) per page. Small studies keep each page quick."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser_support import CHART, fresh_pages

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SIZES = [(1500, 1000), (1280, 720), (900, 1000)]
PAGE_MS = 90_000  # a fresh server's first page imports torch, plotly and pandas
STUDY_MS = 240_000  # a small study on two cores shared with the default table's measurement
TABLE = "/observations?samples=8&steps=2000&seed=5"
MAP = "/outcome_map?grid=16&steps=1500"
SCHEMES = "/schemes?schemes=pytorch,kaiming&max_length=3,10&samples=6&steps=300"
# Every table cell's contents, every badge and every button that is shown.
CUT = """() => Array.from(document.querySelectorAll(
    '[class*="st-key-table-row-"] [data-testid=stColumn] *, .stMarkdownBadge, button'))
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.tagName} ${e.scrollWidth}>${e.clientWidth}: ${e.textContent.slice(0, 40)}`)"""


@pytest.fixture
def pages(browser):
    """Opens pages in fresh sessions; at the end none may show an exception or log an error."""
    with fresh_pages(browser) as opener:
        yield opener


def query(page) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlparse(page.url).query).items()}


def box(page, key: str):
    return page.locator(f".st-key-{key.replace('.', '-')} input")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def table_measured(page) -> None:
    expect(page.locator("[class*=st-key-table-row-]")).to_have_count(17, timeout=PAGE_MS)
    expect(page.get_by_text("measuring…")).to_have_count(0, timeout=STUDY_MS)
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(2, timeout=STUDY_MS)


def cells_of(page, case_id: str) -> list[dict]:
    row = page.locator(f".st-key-table-row-{case_id}, .st-key-table-row-current").first
    return [cell.bounding_box() for cell in row.locator("[data-testid=stColumn]").all()]


# -- the observation table ----------------------------------------------------------------------
@pytest.mark.parametrize("width,height", SIZES)
def test_the_table_cuts_nothing_keeps_its_header_and_becomes_cards_when_narrow(
    pages, app_url, width, height
):
    page = pages(app_url + TABLE, width, height)
    table_measured(page)
    assert page.evaluate(CUT) == []
    number, signs, notebook, *_, load = cells_of(page, "no-bias-2")
    card = width == 900
    if card:  # number, signs and Load on one line, the claim below them
        assert abs(load["y"] - signs["y"]) < 8 and notebook["y"] > signs["y"] + signs["height"]
    else:  # one line of seven cells
        assert abs(notebook["y"] - signs["y"]) < 40 and load["x"] > notebook["x"]
    screenshot(page, f"table-{width}x{height}")
    page.mouse.move(width * 0.7, height / 2)
    page.mouse.wheel(0, 1500)
    head = page.locator(".st-key-table-head-bias")
    if card:
        expect(head).to_be_hidden()
    else:
        expect(page.get_by_text("With bias", exact=True)).not_to_be_in_viewport()
        box_now = head.bounding_box()
        assert 40 <= box_now["y"] <= 80, box_now  # held under Streamlit's top bar


def test_a_table_link_reproduces_the_view_and_its_downloads_parse(pages, app_url):
    page = pages(app_url + TABLE + "&case=bias-8&criterion=tolerance&recheck=false")
    table_measured(page)
    for key, text in (("table.samples", "8"), ("table.steps", "2000"), ("table.seed", "5")):
        expect(box(page, key)).to_have_value(text)
    expect(page.locator(".st-key-table-row-current")).to_contain_text("w_hh +, w_ih −, b_hh −")
    expect(page.get_by_text("17 cases × 8 samples, budget 2,000 steps, seed 5")).to_be_visible()
    assert query(page) == {
        "samples": "8",
        "steps": "2000",
        "seed": "5",
        "case": "bias-8",
        "criterion": "tolerance",
        "recheck": "false",
    }
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    result = json.loads(Path(download.value.path()).read_text())
    assert result["settings"]["samples"] == 8 and len(result["cases"]) == 17


def test_a_bad_table_address_is_named_and_the_rest_kept(pages, app_url):
    page = pages(app_url + "/observations?case=nonsense&samples=0&steps=2000&seed=5&x=1")
    expect(
        page.get_by_text("case = 'nonsense': must be one of the notebook's cases")
    ).to_be_visible(timeout=PAGE_MS)
    expect(
        page.get_by_text("samples = '0': must be between 1 and 4,096. Using the default, 256.")
    ).to_be_visible()
    expect(page.get_by_text("Unknown URL parameter 'x' was ignored.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?steps=2000&seed=5$"))


def test_a_refused_table_box_says_why_beside_it(pages, app_url):
    page = pages(app_url + TABLE)
    expect(box(page, "table.samples")).to_have_value("8", timeout=PAGE_MS)
    box(page, "table.samples").fill("5000")
    page.get_by_role("button", name="Measure").click()
    message = page.locator("[data-testid=stSidebar]").get_by_text(
        "Samples per case: '5000' must be between 1 and 4,096; using 8."
    )
    expect(message).to_be_visible(timeout=PAGE_MS)
    assert abs(message.bounding_box()["y"] - box(page, "table.samples").bounding_box()["y"]) < 80
    assert query(page)["samples"] == "8"


# -- the outcome map ----------------------------------------------------------------------------
def map_drawn(page) -> None:
    expect(page.locator(CHART).first).to_be_visible(timeout=PAGE_MS)
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(2, timeout=STUDY_MS)


@pytest.mark.parametrize("width,height", SIZES)
def test_the_map_cuts_nothing_and_fits_one_screen_at_1500(pages, app_url, width, height):
    page = pages(app_url + MAP, width, height)
    map_drawn(page)
    assert page.evaluate(CUT) == []
    screenshot(page, f"map-{width}x{height}")
    if width == 1500:
        for part in (CHART, f"{CHART} .xtitle", f"{CHART} .legend"):
            found = page.locator(part).first.bounding_box()
            assert found["y"] >= 0 and found["y"] + found["height"] <= height, (part, found)


def test_the_maps_hover_is_dark_on_white(pages, app_url):
    page = pages(app_url + MAP)
    map_drawn(page)
    area = page.locator(f"{CHART} .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + area["width"] * 0.3, area["y"] + area["height"] * 0.3)
    label = page.locator(".hoverlayer .hovertext").first
    expect(label).to_contain_text("click to train it in the live view")
    assert label.locator("path").first.evaluate("p => getComputedStyle(p).fill") in (
        "rgb(255, 255, 255)",
        "#ffffff",
    )


def test_the_map_downloads_as_svg_beside_its_png_button(pages, app_url):
    """The toolbar's camera saves a PNG; the button under the map saves the heatmap as SVG."""
    page = pages(app_url + MAP)
    map_drawn(page)
    with page.expect_download(timeout=PAGE_MS) as download:
        page.locator("[class*=st-key-map-chart-] [data-testid=l1-svg]").click()
    assert download.value.suggested_filename == "l1viz-map.svg"
    svg = Path(download.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "<image" in svg and "w_hh" in svg


def test_a_zoomed_map_link_reproduces_the_breadcrumb_and_whole_map_goes_back(pages, app_url):
    page = pages(app_url + MAP + "&zoom=0,1.5,0,1.5")
    map_drawn(page)
    crumbs = page.locator(".st-key-map-crumbs")
    expect(crumbs.get_by_role("button", name="whole map")).to_be_enabled()
    zoomed = crumbs.get_by_role("button", name="w_hh 0…1.5, w_ih 0…1.5")
    expect(zoomed).to_be_disabled()
    label = crumbs.get_by_text("Zoom:").bounding_box()
    assert zoomed.bounding_box()["x"] - (label["x"] + label["width"]) < 200
    assert query(page)["zoom"] == "0.0,1.5,0.0,1.5"
    crumbs.get_by_role("button", name="whole map").click()
    expect(page).not_to_have_url(re.compile("zoom="), timeout=PAGE_MS)
    expect(crumbs).to_have_count(0)
    expect(page.locator("[data-testid=stProgress]")).to_have_count(0, timeout=STUDY_MS)
    map_drawn(page)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=PAGE_MS)
    # plotly redraws the same chart in place: wait until it shows the whole map
    expect(page.locator(f"{CHART} .xtick text")).to_have_count(7)
    expect(box(page, "map.grid")).to_have_value("16")


def test_a_bad_map_address_is_named(pages, app_url):
    page = pages(app_url + "/outcome_map?x=garbage&grid=99999&steps=1500&zoom=1,2")
    expect(page.get_by_text("x = 'garbage': must be one of w_hh")).to_be_visible(timeout=PAGE_MS)
    expect(
        page.get_by_text("grid = '99999': must be between 2 and 256. Using the default, 64.")
    ).to_be_visible()
    expect(page.get_by_text("zoom = '1,2': each box must be four numbers")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?steps=1500$"))


def test_a_refused_map_box_says_why_beside_it(pages, app_url):
    page = pages(app_url + MAP + "&colour=steps&ending=died")
    expect(box(page, "map.grid")).to_have_value("16", timeout=PAGE_MS)
    expect(page.get_by_role("radio", name="steps to an ending (log)")).to_be_checked()
    expect(page.locator(".st-key-map-ending input")).to_have_value("died during training")
    box(page, "map.grid").fill("abc")
    page.get_by_role("button", name="Draw map").click()
    message = page.get_by_text("Grid (cells per side): 'abc' must be a number; using 16.")
    expect(message).to_be_visible(timeout=PAGE_MS)


# -- the schemes page ---------------------------------------------------------------------------
@pytest.mark.parametrize("width,height", SIZES)
def test_the_schemes_page_cuts_nothing_and_labels_the_lengths_measured(
    pages, app_url, width, height
):
    page = pages(app_url + SCHEMES + "&bias=without&ending=dead_at_init", width, height)
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(2, timeout=STUDY_MS)
    ticks = page.locator(f"{CHART} .xtick text")
    expect(ticks).to_have_count(2, timeout=PAGE_MS)  # the chart may draw after the downloads
    assert ticks.all_text_contents() == ["3", "10"]
    assert page.evaluate(CUT) == []
    screenshot(page, f"schemes-{width}x{height}")


def test_a_schemes_link_reproduces_the_view_and_bad_values_are_named(pages, app_url):
    page = pages(app_url + SCHEMES + "&bias=with&seed=9&ending=died")
    expect(box(page, "schemes.lengths")).to_have_value("3,10", timeout=PAGE_MS)
    expect(box(page, "schemes.samples")).to_have_value("6")
    expect(page.get_by_text("Share of draws that ended")).to_be_visible()
    expect(page.locator(".st-key-schemes-ending input")).to_have_value("died during training")
    expect(page.get_by_text("with bias", exact=True)).to_be_checked()
    bad = pages(app_url + "/schemes?schemes=bogus&samples=0&steps=300")
    expect(bad.get_by_text("schemes = 'bogus': must be one of pytorch")).to_be_visible(
        timeout=PAGE_MS
    )
    expect(bad.get_by_text("samples = '0': must be between 1 and 4,096")).to_be_visible()
    expect(bad).to_have_url(re.compile(r"\?steps=300$"))


# -- the live page's sidebar --------------------------------------------------------------------
@pytest.mark.parametrize(
    "key,typed,message",
    [
        ("live.w_hh.exact", "5e7", "'5e7' must be between -1,000,000 and 1,000,000; using 0.83."),
        ("live.w_hh.exact", "abc", "'abc' must be a number; using 0.83."),
        ("live.batch_size", "99999999", "'99999999' must be between 1 and 4,096; using 32."),
        ("live.max_length", "0", "'0' must be between 1 and 10,000; using 10."),
        ("live.seed", "-5", "'-5' must be between 0 and 4,294,967,295; using 42."),
        ("live.steps", "1e999", "'1e999' must be a finite number; using 50000."),
    ],
)
def test_a_refused_live_value_says_why_beside_its_box(pages, app_url, key, typed, message):
    page = pages(app_url + "/?w_hh=0.83")
    field = box(page, key)
    expect(field).to_be_visible(timeout=PAGE_MS)
    field.fill(typed)
    field.press("Enter")
    shown = page.locator("[data-testid=stSidebar]").get_by_text(message)
    expect(shown).to_be_visible(timeout=PAGE_MS)
    assert abs(shown.bounding_box()["y"] - field.bounding_box()["y"]) < 90
    expect(page).to_have_url(re.compile(r"/\?w_hh=0\.83$"))  # the setup did not change
