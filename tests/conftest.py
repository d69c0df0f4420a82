from types import SimpleNamespace

import pytest

from l1viz.engine.kernel import build


@pytest.fixture(params=["kernel", "torch"])
def engine_path(request, monkeypatch):
    """Run a test on the compiled kernel and on the pure-torch path."""
    if request.param == "kernel":
        assert build.library() is not None, "the C kernel should build on this machine"
    else:
        monkeypatch.setattr(build, "library", lambda: None)
    return request.param


# -- the pages' AppTests ------------------------------------------------------------------------
@pytest.fixture
def loads(monkeypatch):
    """What the pages asked the live view to load (instead of switching page), and why."""
    asked = SimpleNamespace(settings=[], origins=[])

    def request(settings: dict, origin: str = "") -> None:
        asked.settings.append(settings)
        asked.origins.append(origin)

    monkeypatch.setattr("app_pages.common.request_live_run", request)
    return asked


# -- browser tests: one app server and one chromium per test module ----------------------------
@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """`streamlit run app.py` on a free port for this module's tests; its base URL."""
    from tests.browser_support import running_app

    with running_app(tmp_path_factory.mktemp("streamlit") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import launch_chromium

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
