"""End to end in a real browser: `streamlit run app.py`, Debian's chromium driven by Playwright.

Opens setups by URL, presses Play, waits for the verdict on screen, and checks that the page shows
no exception and the browser logged no error. Screenshots go to tests/artifacts/.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    PLAYER,
    PLAYER_BADGE,
    PLAYER_CHART,
    PLAYER_SENTENCE,
    control,
    shown_step,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VERDICT_TIMEOUT_MS = 90_000


@pytest.fixture
def page(browser):
    """A fresh session; fails the test if the browser reports an error."""
    page = browser.new_page(viewport={"width": 1500, "height": 2400})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    yield page
    page.close()
    assert errors == []


def assert_no_exception(page) -> None:
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_a_converging_setup_from_the_url_converges_on_screen(page, app_url):
    """At the default pace the notebook's run plays over about ten seconds: the badge says
    "training" on the way and the verdict only once the playhead has reached its step."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{app_url}/?w_hh=0.83&w_ih=0.7645&bias=false&lr=0.001")
    expect(page.locator(PLAYER_CHART).first).to_be_visible(timeout=VERDICT_TIMEOUT_MS)
    expect(page.locator(PLAYER_BADGE)).to_have_text("ready")
    expect(page.locator(".st-key-live-w_hh-exact input")).to_have_value("0.83")
    page.get_by_role("button", name="Play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text("training")
    assert 0 <= shown_step(page) < 9783
    expect(page.locator(PLAYER_BADGE)).to_have_text(
        "converged at step 9783", timeout=VERDICT_TIMEOUT_MS
    )
    assert shown_step(page) == 9783
    expect(page.locator(PLAYER_SENTENCE)).to_contain_text(
        "Converged at step 9783: w_hh and the input weight"
    )
    expect(page.locator(PLAYER)).to_contain_text("This run agrees with the notebook")
    page.screenshot(path=ARTIFACTS / "converged.png")
    page.get_by_role("tab", name="Long sequences").click()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="relative error")).to_be_visible(
        timeout=VERDICT_TIMEOUT_MS
    )
    assert_no_exception(page)


def test_a_dead_setup_is_marked_dead(page, app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{app_url}/?w_hh=0.7&w_ih=-0.2&bias=false")
    expect(page.locator(PLAYER_BADGE)).to_have_text("ready", timeout=VERDICT_TIMEOUT_MS)
    expect(page.locator(PLAYER_SENTENCE)).to_contain_text(
        "This initialisation is in the dead region"
    )
    control(page, "play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text(
        "dead from the start", timeout=VERDICT_TIMEOUT_MS
    )
    expect(page.locator(PLAYER_SENTENCE)).to_contain_text(
        "Dead from the start: w_ih = -0.2 ≤ 0 and no bias"
    )
    loss = page.locator(f"{PLAYER} .l1-chart[data-chart=loss]")
    expect(loss.get_by_text("dead from step 0")).to_be_visible()
    assert_no_exception(page)
    page.screenshot(path=ARTIFACTS / "dead.png")


def test_a_garbage_url_shows_warnings_and_the_default_setup(page, app_url):
    page.goto(f"{app_url}/?w_hh=abc&lr=%3Cb%3Ebold%3C%2Fb%3E&steps=-3&at=soon")
    expect(page.locator(PLAYER_BADGE)).to_have_text("ready", timeout=VERDICT_TIMEOUT_MS)
    expect(
        page.get_by_text("w_hh = 'abc': must be a number. Using the default, 0.8300079.")
    ).to_be_visible()
    expect(page.get_by_text("lr = '<b>bold</b>': must be a number")).to_be_visible()
    expect(page.get_by_text("at = 'soon': must be a whole number of steps")).to_be_visible()
    expect(page.locator("[data-testid=stAlert] b")).to_have_count(0)  # text, not HTML
    expect(page.locator("[data-testid=stAlert]")).to_have_count(4)
    assert_no_exception(page)
