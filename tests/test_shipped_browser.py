"""The app as shipped to others (issue 21 item 4): served on 0.0.0.0 and opened through
127.0.0.1, it shows its pages' titles but no Deploy button or developer menu entries, and the
MLflow switch logs only to the tracking store the server was configured with, never naming it."""

from __future__ import annotations

import mlflow
import pytest
from playwright.sync_api import expect

from l1viz import tracking
from tests.browser_support import PLAYER_BADGE, serving_app

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
PAGE_TITLES = ["Live training", "Notebook observations", "Outcome map", "Initialisation schemes"]


@pytest.fixture
def shared_app(tmp_path, monkeypatch):
    """The app on every interface, its tracking store set in the server's environment."""
    store = f"sqlite:///{tmp_path / 'server.db'}"
    monkeypatch.setenv(tracking.URI_VARIABLE, store)
    options = ("--server.address", "0.0.0.0")
    with serving_app(tmp_path / "streamlit.log", options) as (url, _):
        assert url.startswith("http://127.0.0.1:")
        yield url, store


def runs_in(uri: str) -> list:
    client = mlflow.tracking.MlflowClient(uri)
    experiment = client.get_experiment_by_name(tracking.EXPERIMENT)
    return client.search_runs([experiment.experiment_id]) if experiment else []


def check_viewer_toolbar(page) -> None:
    """The page titles are there; the main menu holds viewer entries only."""
    for title in PAGE_TITLES:
        expect(page.get_by_test_id("stSidebarNav").get_by_text(title)).to_be_visible()
    expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
    page.get_by_test_id("stMainMenu").click()
    menu = page.get_by_role("menu", name="Main menu")
    expect(menu.get_by_role("menuitem", name="Print")).to_be_visible()
    labels = [label.strip() for label in menu.get_by_role("menuitem").all_inner_texts()]
    assert not {"Rerun", "Clear cache", "Deploy"} & set(labels), labels
    page.keyboard.press("Escape")


def test_served_to_others_the_uri_is_the_servers_own(browser, shared_app):
    url, store = shared_app
    page = browser.new_page(viewport={"width": 1500, "height": 1200})
    page.goto(f"{url}/?w_hh=0.7&w_ih=-0.2&bias=false")
    badge = page.locator(PLAYER_BADGE)
    expect(badge.filter(has_text="ready")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page).to_have_title("l1viz: does the ReLU cell learn?")
    check_viewer_toolbar(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Log finished runs to MLflow").click()
    expect(sidebar.get_by_text("Runs go to the server's tracking store")).to_be_visible()
    expect(sidebar.get_by_role("textbox", name="tracking URI")).to_have_count(0)
    page.get_by_role("button", name="Play").click()
    expect(badge.filter(has_text="dead from the start")).to_be_visible(timeout=TIMEOUT_MS)
    logged = page.get_by_text("Logged to MLflow: run ")
    expect(logged).to_contain_text("at the server's tracking store.", timeout=TIMEOUT_MS)
    (run,) = runs_in(store)
    assert run.info.run_id in logged.inner_text()
    assert store not in page.content()
    page.close()


def test_on_loopback_the_box_is_there_and_the_toolbar_is_a_viewers(browser, app_url):
    page = browser.new_page(viewport={"width": 1500, "height": 1200})
    page.goto(app_url)
    expect(page.locator(PLAYER_BADGE).filter(has_text="ready")).to_be_visible(timeout=TIMEOUT_MS)
    check_viewer_toolbar(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Log finished runs to MLflow").click()
    expect(sidebar.get_by_role("textbox", name="tracking URI")).to_be_visible()
    page.close()
