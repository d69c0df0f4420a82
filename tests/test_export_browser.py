"""The live page's downloads in a real browser: the script it gives ends as the run on screen did,
and the notebook is a valid notebook of the same setup."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

import nbformat
import pytest
from playwright.sync_api import expect

from l1viz.export import script_text
from l1viz.live.settings import Settings
from tests.browser_support import PLAYER, PLAYER_BADGE
from tests.test_export import engine_result, parse_result

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
QUERY = {
    "w_hh": "0.83",
    "w_ih": "0.7645",
    "bias": "true",
    "b_hh": "0.9",
    "b_ih": "-0.2",
    "lr": "0.3",
}


def test_the_downloaded_script_ends_as_the_run_on_screen(browser, app_url, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
    page.goto(f"{app_url}/?" + "&".join(f"{name}={value}" for name, value in QUERY.items()))
    badge = page.locator(PLAYER_BADGE)
    expect(badge.filter(has_text="ready")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Play").click()
    expect(badge.filter(has_text="died at step")).to_be_visible(timeout=TIMEOUT_MS)
    expect(badge.filter(has_text="died at step 18")).to_be_visible()
    expect(page.locator(PLAYER)).to_have_attribute("data-step", "117")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as PyTorch script").click()
    script = tmp_path / download.value.suggested_filename
    download.value.save_as(script)
    assert script.name == "l1viz_run.py"
    settings, warnings = Settings.from_params(QUERY)
    # The page's learning rate grid holds 3 * 10.0**-1, a hair above 0.3, and the page picks it.
    lr = float(re.search(r"^LR = (.+)$", script.read_text(), re.MULTILINE)[1])
    assert lr == pytest.approx(0.3, rel=1e-15)
    settings = replace(settings, lr=lr)
    assert warnings == [] and script.read_text() == script_text(settings.config(), settings.init())
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600
    )
    ended = parse_result(done.stdout.strip().splitlines()[-1])
    assert ended == engine_result(settings.config(), settings.init())
    assert ended[:2] == ("dead", 117)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as notebook").click()
    notebook = tmp_path / download.value.suggested_filename
    download.value.save_as(notebook)
    parsed = nbformat.read(notebook, as_version=4)
    nbformat.validate(parsed)
    assert "LR = 0.3" in "".join(cell.source for cell in parsed.cells)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    page.close()
