"""The live page's activation in a real browser (issue 20): chosen in the sidebar, written to the
address, and trained under, with the player, the landscape and the case line speaking of it."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from l1viz.engine.trainer import Trainer
from l1viz.live.badge import status_of
from l1viz.live.settings import Settings
from tests.browser_support import PLAYER, PLAYER_BADGE, PLAYER_SENTENCE, control, set_speed

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 90_000
TABLE_TIMEOUT_MS = 240_000  # the server's first page view starts measuring the default table


@pytest.fixture
def page(browser):
    """A fresh session at 1500 × 1000; fails the test if the browser reports an error."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    yield page
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    context.close()
    assert errors == []


def pick(page, name: str, label: str) -> None:
    """Choose `label` in the sidebar's select `name` by keyboard, as a user typing into it would
    (the list a click opens is sometimes not in the page yet when the click returns)."""
    box = page.locator(f".st-key-live-{name}").get_by_role("combobox")
    box.fill(label)  # filters the list down to this option
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value(label)


def engine_ending(**settings) -> tuple[str, int]:
    """The badge the engine's own run of this setup ends with, and its last step."""
    setup = Settings(**settings)
    (result,) = Trainer(setup.init(), setup.config()).run()
    return status_of(result).label, result.steps


def test_leaky_relu_chosen_in_the_sidebar_converges_where_relu_is_dead(page, app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    relu, relu_end = engine_ending(w_ih=-0.2)
    leaky, _ = engine_ending(w_ih=-0.2, activation="leaky_relu")
    assert (relu, leaky) == ("dead from the start", "converged at step 9025")
    page.goto(f"{app_url}/?w_ih=-0.2")
    expect(page.locator(PLAYER_BADGE)).to_have_text("ready", timeout=TIMEOUT_MS)
    expect(page.locator(".st-key-live-slope")).to_have_count(0)  # ReLU has no slope
    set_speed(page, "max")
    control(page, "play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text(relu, timeout=TIMEOUT_MS)
    # The server has taken the end (the address gains at=N) and the default table the case
    # line quotes has come (each reruns the page in full).
    expect(page).to_have_url(re.compile(rf"[?&]at={relu_end}(&|$)"), timeout=TIMEOUT_MS)
    case = page.locator(".st-key-live-case")
    expect(case).to_contain_text("the region agrees", timeout=TABLE_TIMEOUT_MS)
    pick(page, "activation", "leaky ReLU: α·z below 0, α fixed")  # after the end: no play on
    expect(page.locator(".st-key-live-slope input")).to_have_value("0.01", timeout=TIMEOUT_MS)
    expect(page).to_have_url(re.compile(r"[?&]activation=leaky_relu(&|$)"))
    expect(page.locator(PLAYER_SENTENCE)).to_contain_text(
        "Under ReLU this initialisation would be in the dead region", timeout=TIMEOUT_MS
    )
    expect(case).to_contain_text("notebook, for ReLU: does not converge")
    expect(case).to_contain_text("this run: leaky ReLU α = 0.01")
    expect(page.locator(PLAYER_BADGE)).to_have_text("ready")
    expect(page.locator(PLAYER)).to_have_attribute("data-step", "0")
    page.screenshot(path=ARTIFACTS / "leaky_relu_ready.png")
    control(page, "play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text(leaky, timeout=TIMEOUT_MS)
    expect(page.locator(PLAYER_SENTENCE)).to_contain_text("fired again at step 234")
    expect(page.locator(PLAYER)).to_contain_text(
        "This run disagrees with the notebook's claim for ReLU"
    )
    expect(page.locator(PLAYER)).to_contain_text("The notebook's claim is for ReLU")
    case.locator("summary").click()  # open the case's details
    expect(case).to_contain_text("Measured under ReLU over 256 inits of this region")
    # The table under leaky ReLU is measured on the server meanwhile; the page polls for it
    # while the run, ended, asks nothing more.
    expect(case).to_contain_text(
        "The same inits under leaky ReLU α = 0.01: ", timeout=TABLE_TIMEOUT_MS
    )
    link = case.get_by_role("link", name="no bias 2 in the table, with leaky ReLU α = 0.01")
    expect(link).to_have_attribute("href", re.compile(r"activation=leaky_relu&case=no-bias-2$"))
    page.screenshot(path=ARTIFACTS / "leaky_relu.png", full_page=True)
