"""The outcome map in a real browser: clicking a cell opens the live view with that cell's values.

AppTest cannot click inside a plotly chart, so this one path is checked end to end.
"""

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

from l1viz.live.settings import Settings
from l1viz.study.map import SweepSettings
from tests.browser_support import CHART, PLAYER, launch_chromium, running_app

pytestmark = pytest.mark.browser

MAP_TIMEOUT_MS = 240_000  # the default 64 x 64 map, 50,000 steps, on two shared cores


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with (
        running_app(tmp_path_factory.mktemp("streamlit") / "streamlit.log") as url,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/outcome_map")
        yield page
        browser.close()
        assert errors == []


def test_clicking_a_cell_trains_it_in_the_live_view(page):
    chart = page.locator(CHART).first
    expect(chart).to_be_visible(timeout=MAP_TIMEOUT_MS)
    expect(page.get_by_text("Outcomes so far: converged")).to_be_visible()
    # drawn as the cells are decided; a cell is clickable once it has ended
    expect(page.locator("[data-testid=stProgress]")).to_have_count(0, timeout=MAP_TIMEOUT_MS)
    area = chart.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(area["x"] + 0.8 * area["width"], area["y"] + 0.2 * area["height"])
    page.wait_for_url(lambda url: "w_hh=" in url, timeout=30_000)
    query = parse_qs(urlparse(page.url).query)
    defaults = SweepSettings()
    width = (defaults.x_range[1] - defaults.x_range[0]) / defaults.grid
    for name, expected in (("w_hh", 0.9), ("w_ih", 0.9)):  # 80 % across, 20 % down
        value = float(query[name][0])
        assert abs(value - expected) <= width
        index = (value - defaults.x_range[0]) / width - 0.5
        assert index == pytest.approx(round(index), abs=1e-6)  # a cell centre
    live, _ = Settings.from_params({name: values[0] for name, values in query.items()})
    assert live.steps == defaults.steps and live.criterion == "exact"
    # It plays at once, at the pace a person can watch (about ten seconds for the whole run).
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing", timeout=30_000)
