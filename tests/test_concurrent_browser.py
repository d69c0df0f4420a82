"""Five browser sessions training at once on one server: no cross-talk, no crash.

One `streamlit run app.py`, one chromium with five contexts (five Streamlit sessions), each opening
the live view with its own setup by URL: converging (two setups, one slow), dead from the start,
already converged (the identity) and diverging. All pages are loaded, then Play is pressed in each
in quick succession so they train at the same time. Each page must reach the verdict the engine
gives for its own setup, with its own step count, loss and parameters, still show its own init in
the sidebar and the address bar, show no exception and log no browser error; the server must still
be up, healthy, and have logged no traceback at the end.
"""

from __future__ import annotations

import contextlib
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from l1viz.engine.config import cell_parameters
from l1viz.engine.trainer import Trainer
from l1viz.live.badge import status_of
from l1viz.live.settings import Settings, format_value
from tests.browser_support import (
    PLAYER,
    PLAYER_BADGE,
    PLAYER_CHART,
    control,
    launch_chromium,
    serving_app,
    set_speed,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 180_000  # five sessions share two cores
# Played in this order. The slow one (17,462 steps of 512 sequences up to 200 long at lr 1e-4,
# ~17 refreshes' worth alone) is pressed first, so it is still training when Play is pressed on the
# last page: they train at the same time.
SETUPS = {
    "slow": {
        "w_hh": "0.9",
        "w_ih": "0.9",
        "seed": "7",
        "lr": "0.0001",
        "batch_size": "512",
        "max_length": "200",
    },
    "notebook": {"w_hh": "0.83", "w_ih": "0.7645"},
    "dead": {"w_hh": "0.5", "w_ih": "-0.3"},
    "identity": {"w_hh": "1", "w_ih": "1"},
    "diverging": {
        "w_hh": "0.9",
        "w_ih": "0.5",
        "bias": "true",
        "b_hh": "0.1",
        "b_ih": "0.1",
        "lr": "1",
        "optimizer": "sgd",
        "seed": "46",  # its first update overshoots to an overflowing loss
    },
}


@dataclass(frozen=True)
class Expected:
    """What the engine gives for one setup, in the page's words."""

    settings: Settings
    label: str  # the verdict badge
    metrics: list[str]  # the status row: step, batch loss, parameters, active share

    @classmethod
    def of(cls, params: dict) -> Expected:
        settings, notes = Settings.from_params(params)
        assert notes == []
        result = Trainer(settings.init(), settings.config()).run()[0]
        names = cell_parameters(settings.bias)
        metrics = [f"{result.steps:,}", f"{result.loss:.4g}"]
        metrics += [f"{result.params[name]:.5f}" for name in names]
        metrics.append(f"{result.active:.0%}")
        return cls(settings, status_of(result).label, metrics)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, process, log path) of one app server for the whole module."""
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with serving_app(log) as (url, process):
        yield url, process, log


def health(url: str) -> bytes:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as response:
        return response.read().strip()


def test_five_sessions_train_at_once_each_to_its_own_verdict(server):
    url, process, log = server
    expected = {name: Expected.of(params) for name, params in SETUPS.items()}
    labels = [e.label for e in expected.values()]
    assert len(set(labels)) == len(labels), labels  # every page has a different verdict
    assert expected["identity"].label == "converged at step 0"
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright, contextlib.ExitStack() as stack:
        browser = launch_chromium(playwright)
        stack.callback(browser.close)
        pages, errors = {}, {}
        for name in SETUPS:
            context = browser.new_context(viewport={"width": 1500, "height": 2400})
            stack.callback(context.close)
            page = context.new_page()
            errors[name] = []
            page.on("pageerror", lambda error, name=name: errors[name].append(str(error)))
            page.on(
                "console",
                lambda message, name=name: (
                    errors[name].append(message.text) if message.type == "error" else None
                ),
            )
            pages[name] = page

        # Load every page before any of them plays.
        for name, page in pages.items():
            page.goto(f"{url}/?{urllib.parse.urlencode(SETUPS[name])}")
        for name, page in pages.items():
            first = "converged at step 0" if name == "identity" else "ready"
            expect(page.locator(PLAYER_BADGE)).to_have_text(first, timeout=TIMEOUT_MS)
            expect(page.locator(PLAYER_CHART).first).to_be_visible(timeout=TIMEOUT_MS)

        # Play everywhere at once, as fast as each server-side run trains (each session's run
        # has trained since its page opened, all five at the same time).
        for page in pages.values():
            set_speed(page, "max")
            control(page, "play").click()

        for name, page in pages.items():
            want = expected[name]
            expect(page.locator(PLAYER_BADGE)).to_have_text(want.label, timeout=TIMEOUT_MS)
            # Its own numbers: the step counter, loss and parameters the engine gives.
            expect(page.locator(f"{PLAYER} .l1-metric-value")).to_have_text(
                want.metrics, timeout=TIMEOUT_MS
            )
            # Its own init, still, in the sidebar and the address bar.
            settings = want.settings
            for field in cell_parameters(settings.bias):
                expect(page.locator(f".st-key-live-{field}-exact input")).to_have_value(
                    format_value(field, getattr(settings, field))
                )
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))
            query.pop("at", None)  # where the playhead stopped: at the end
            assert query == settings.to_query(), name
        for name, page in pages.items():
            page.screenshot(path=ARTIFACTS / f"concurrent-{name}.png", full_page=True)
            shown = page.locator("[data-testid=stException]").all_inner_texts()
            assert shown == [], (name, shown)

    assert errors == {name: [] for name in SETUPS}
    assert process.poll() is None, "the server died"
    assert health(url) == b"ok"
    assert "Traceback" not in log.read_text()
