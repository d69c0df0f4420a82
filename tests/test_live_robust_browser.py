"""The live page clicked at ordinary speed in a real browser (issue 10): Play and Pause at random
moments, a value typed then Play, a preset after another, charts while playing, and the chart
toolbar. One server for the module, a fresh session (browser context) per test, 1500×1000 unless a
test says otherwise."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_support import CHART, STATUS_BADGE

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 90_000
# Never converges, never dies: a run that trains as long as it is allowed to.
# Trains for minutes without a verdict: the notebook's init on sequences up to 1,000 long (no
# exact solution within reach) at ~16,000 steps/s, so every refresh trains a full slice.
ENDLESS = "/?max_length=1000&batch_size=64&steps=10000000"
STEP = ".st-key-live-status [data-testid=stMetricValue]"
BADGE = f".st-key-live-status {STATUS_BADGE}"
EXCEPTION = "[data-testid=stException]"


def open_page(browser, url: str, width: int = 1500, height: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: page.errors.append(message.text) if message.type == "error" else None,
    )
    page.goto(url)
    expect(page.locator(BADGE)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(CHART).first).to_be_visible(timeout=TIMEOUT_MS)
    return page


@pytest.fixture
def pages(browser):
    """Opens pages in fresh sessions; at the end, none may show an exception or log an error."""
    opened = []

    def opener(url: str, **size):
        page = open_page(browser, url, **size)
        opened.append(page)
        return page

    yield opener
    for page in opened:
        shown = page.locator(EXCEPTION).all_inner_texts()
        errors = page.errors
        page.context.close()
        assert shown == [] and errors == []


def wait_idle(page) -> None:
    """No script run in progress: what the page shows is what the server last drew (a box typed
    into before that may be redrawn with the server's value)."""
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=TIMEOUT_MS)


def steps_shown(page) -> int:
    return int(page.locator(STEP).first.inner_text().replace(",", ""))


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def test_play_then_pause_at_random_moments_never_breaks_and_the_counter_stays(pages, app_url):
    """Bugs 1 and 2: in ~1 of 20 rounds an IndexError replaced the charts (the history read while
    another script run's slice appended to it), and training went on for up to 2,000 steps after
    Pause. Now: no exception in any round, and once Pause has been taken (Play enabled again) the
    step counter never moves."""
    page = pages(app_url + ENDLESS)
    rng = random.Random(10)
    for _ in range(20):
        button(page, "Play").click()
        time.sleep(rng.uniform(0.2, 1.2))  # the random moment is the point of the test
        button(page, "Pause").click()
        expect(button(page, "Play")).to_be_enabled(timeout=TIMEOUT_MS)
        expect(page.locator(BADGE)).to_have_text("training")
        expect(page.get_by_text("(paused)")).to_be_visible(timeout=TIMEOUT_MS)
        stopped = page.locator(STEP).first.inner_text()
        page.wait_for_timeout(800)
        expect(page.locator(STEP).first).to_have_text(stopped)
        expect(page.locator(EXCEPTION)).to_have_count(0)
    assert steps_shown(page) > 0


def test_pause_well_before_the_verdict_keeps_the_run_short_of_it(pages, app_url):
    """On the notebook's init at 1,000 steps/s, Pause clicked once the page shows step 2,000 or
    more stops the run far short of its verdict at step 9,783: the badge stays "training" (the
    stop flag is checked every ~20 ms, so nothing trains on after the click)."""
    page = pages(app_url + "/")
    page.get_by_text("1,000 steps/s", exact=True).click()  # at max speed it ends in one refresh
    wait_idle(page)
    button(page, "Play").click()
    page.wait_for_function(
        f"""() => {{
            const shown = document.querySelector({STEP!r});
            return shown && parseInt(shown.innerText.replace(/,/g, '')) >= 2000;
        }}""",
        timeout=TIMEOUT_MS,
        polling="raf",
    )
    button(page, "Pause").click()
    expect(page.get_by_text("(paused)")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(BADGE)).to_have_text("training")
    assert steps_shown(page) < 9783


def test_a_typed_value_then_play_trains_the_typed_value(pages, app_url):
    """A value typed into the w_hh box, then Play clicked without Enter: the value is applied
    and the Play is kept, so the badge leaves "ready" and the address and the box hold 0.9."""
    page = pages(app_url + "/")
    wait_idle(page)
    box = page.locator(".st-key-live-w_hh-exact input")
    box.fill("0.9")
    expect(box).to_have_value("0.9")
    button(page, "Play").click()
    expect(page.locator(BADGE)).not_to_have_text("ready", timeout=TIMEOUT_MS)
    expect(page).to_have_url(re.compile(r"w_hh=0\.9(&|$)"))
    expect(page.locator(".st-key-live-w_hh-exact input")).to_have_value("0.9")


def test_notebook_after_random_init_is_the_notebook_run_at_once(pages, app_url):
    """Notebook after Random init is the notebook's run at once: the address bar drops the random
    values, the seed box reads 42 and Play converges at step 9,783."""
    page = pages(app_url + "/")
    wait_idle(page)
    button(page, "Random init").click()
    expect(page).to_have_url(re.compile(r"seed=\d+"), timeout=TIMEOUT_MS)
    button(page, "Notebook").click()
    expect(page).to_have_url(f"{app_url}/", timeout=10_000)
    expect(page.locator(".st-key-live-seed input")).to_have_value("42")
    button(page, "Play").click()
    expect(page.locator(BADGE)).to_have_text("converged at step 9783", timeout=TIMEOUT_MS)


SAMPLER = """
window.blank = [];
(function sample() {
  for (const name of ['loss', 'params', 'landscape']) {
    const drawn = [...document.querySelectorAll(`.st-key-live-chart-${name} .js-plotly-plot`)]
      .some(plot => plot.querySelector('.main-svg') && plot.getBoundingClientRect().height > 50
        && getComputedStyle(plot).visibility === 'visible');
    if (!drawn) window.blank.push([performance.now(), name]);
  }
  if (!window.sampled) requestAnimationFrame(sample);
})();
"""


def test_charts_are_never_blank_for_more_than_a_few_frames_while_playing(pages, app_url):
    """While playing, no live chart (loss, parameters, landscape) is blank for more than 3 frames
    in a row, sampled frame by frame over 6 s. Each update of a plotly chart is a new element in
    Streamlit 1.67 (its id comes from the figure), drawn hidden until measured, so the live charts
    are drawn visible at once. (Single blank frames remain, between the new element's mount and
    plotly's first draw: see docs/streamlit.md.)"""
    page = pages(app_url + ENDLESS)
    page.evaluate(SAMPLER)
    button(page, "Play").click()
    page.wait_for_timeout(6_000)
    page.evaluate("window.sampled = true")  # while playing: Pause's own full redraw is not sampled
    button(page, "Pause").click()
    expect(page.get_by_text("(paused)")).to_be_visible(timeout=TIMEOUT_MS)
    blank = page.evaluate("window.blank")
    longest = {}
    for name in ("loss", "params", "landscape"):
        times = [t for t, which in blank if which == name]
        run, last = 0.0, None
        for t in times:
            run = run + t - last if last is not None and t - last < 40 else 0.0
            longest[name] = max(longest.get(name, 0.0), run)
            last = t
    assert all(gap < 50 for gap in longest.values()), longest


def overlaps(one: dict | None, other: dict | None) -> bool:
    if not one or not other:
        return False
    return not (
        one["x"] + one["width"] <= other["x"]
        or other["x"] + other["width"] <= one["x"]
        or one["y"] + one["height"] <= other["y"]
        or other["y"] + other["height"] <= one["y"]
    )


@pytest.mark.parametrize("width", [1500, 900])
def test_the_chart_toolbar_covers_no_title_or_legend(pages, app_url, width):
    """On hover, a chart's toolbar covers none of its titles or legends (the Parameters and
    Generalisation legends, the landscape's title, the replay's "Loss"), and the landscape's
    legend stays off its w_hh axis title: every live chart and the after-run charts are hovered
    and their boxes compared."""
    page = pages(
        app_url + "/?w_hh=0.7907&w_ih=1.2&b_hh=-1.3559&b_ih=-0.8709&bias=true&optimizer=sgd"
        "&lr=0.01&steps=3000",
        width=width,
    )
    button(page, "Play").click()
    expect(page.locator(BADGE)).to_have_text(re.compile("died|converged"), timeout=TIMEOUT_MS)
    wait_idle(page)
    tabs = {"active": "Firing", "replay": "Replay", "general": "Long sequences"}
    for name in ("loss", "params", "landscape", "active", "replay", "general"):
        if name in tabs:
            page.get_by_role("tab", name=tabs[name]).click()
            expect(page.locator(f".st-key-live-chart-{name} .js-plotly-plot")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            wait_idle(page)
        # Not the element a rerun replaced, which Streamlit keeps hidden until the run ends.
        chart = page.locator(f".st-key-live-chart-{name}:not([data-retained])")
        chart.scroll_into_view_if_needed()
        chart.hover()
        toolbar = chart.locator(".modebar-container")
        expect(toolbar.locator(".modebar")).to_be_visible()
        bar = toolbar.bounding_box()
        texts = chart.locator(".gtitle, .g-gtitle text, .legend, .annotation-text, .g-xtitle")
        for index in range(texts.count()):
            box = texts.nth(index).bounding_box()
            assert not overlaps(bar, box), (name, texts.nth(index).text_content())
        legend, axis_title = chart.locator(".legend"), chart.locator(".g-xtitle")
        if legend.count() and axis_title.count():
            assert not overlaps(legend.bounding_box(), axis_title.first.bounding_box()), name
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"live-{width}.png", full_page=True)
