"""A dashboard whose studies run on a local Dask cluster (L1VIZ_WORKERS), in a real browser: the
study pages say where studies run and link Dask's own dashboard, and a study finishes there."""

import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser_support import CHART, serving_app

pytestmark = pytest.mark.browser

STUDY_TIMEOUT_MS = 240_000  # the cluster starts, then the default table shares its workers


def test_study_pages_name_the_cluster_and_link_dask_s_dashboard(tmp_path, monkeypatch, browser):
    monkeypatch.setenv("L1VIZ_WORKERS", "2")
    with serving_app(tmp_path / "streamlit.log") as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/schemes?samples=16&steps=300&max_length=10&schemes=pytorch,rai")
        where = page.get_by_text("Studies run on a local Dask cluster of 2 worker processes.")
        expect(where).to_be_visible(timeout=STUDY_TIMEOUT_MS)
        dashboard = page.get_by_role("link", name="Dask's dashboard")
        expect(dashboard).to_be_visible()
        address = dashboard.get_attribute("href")
        assert address.startswith("http://127.0.0.1:") and address.endswith("/status")
        with urllib.request.urlopen(address, timeout=30) as answer:
            assert answer.status == 200
        expect(page.locator(CHART).first).to_be_visible(timeout=STUDY_TIMEOUT_MS)
        expect(page.get_by_role("progressbar")).to_have_count(0, timeout=STUDY_TIMEOUT_MS)
        page.close()
        assert errors == []
