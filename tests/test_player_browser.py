"""The live player in a real browser (issue 17): what it shows is what is at its playhead, and its
controls act at once. Pause freezes the counter on the step the server then reports, a scrub shows
that step's recorded values, the verdict appears only at its step, a minute of random play, pause,
step and scrub always agrees with the engine, the keyboard drives it, a zoom holds while it plays,
and its charts are never blank. One server for the module, a fresh session per test."""

from __future__ import annotations

import random
import re
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from l1viz.engine.trainer import Trainer
from l1viz.live.badge import status_of
from l1viz.live.settings import Settings
from tests.browser_support import (
    PLAYER,
    PLAYER_BADGE,
    PLAYER_CHART,
    HeldReplies,
    control,
    fresh_pages,
    metric_exact,
    player_state,
    scrub_to,
    set_speed,
    shown_step,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 90_000
# Trains for minutes without a verdict: the notebook's init on sequences up to 1,000 long.
ENDLESS = "/?max_length=1000&batch_size=64&steps=10000000"


@pytest.fixture
def pages(browser):
    """Opens pages in fresh sessions, once the player has drawn a chart; at the end none may
    show an exception or log an error."""
    with fresh_pages(browser, ready=PLAYER_CHART, console=True) as opener:
        yield opener


def address(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))


def settled_at(page, step: int) -> None:
    """The server has taken the playhead's stop: the address says where it is (at step 0, by
    having no step)."""
    if step:
        expect(page).to_have_url(re.compile(rf"[?&]at={step}(&|$)"), timeout=TIMEOUT_MS)
    else:
        expect(page).not_to_have_url(re.compile(r"[?&]at="), timeout=TIMEOUT_MS)


class Engine:
    """The engine's own run of a page's setup, read at any step."""

    def __init__(self, query: dict):
        self.settings, notes = Settings.from_params(query)
        assert notes == []
        trainer = Trainer(self.settings.init(), self.settings.config())
        self.final = trainer.run()[0]
        self.history = trainer.history.table()

    def label(self, step: int) -> str:
        if step >= self.final.steps:
            return status_of(self.final).label
        return "ready" if step == 0 else "paused"

    def row(self, step: int) -> dict:
        index = self.history["step"].index(step)
        return {name: values[index] for name, values in self.history.items()}


def assert_shows_the_engine(page, engine: Engine) -> None:
    """Badge, step and every number the player shows are the engine's at the step shown."""
    step = shown_step(page)
    expect(page.locator(PLAYER_BADGE)).to_have_text(engine.label(step))
    row = engine.row(step)
    for name in ("loss", "w_hh", "w_ih", "active"):
        exact = np.float32(float(metric_exact(page, name)))
        assert exact == np.float32(row[name]), (step, name, exact, row[name])


def test_pause_freezes_the_counter_on_the_step_the_server_reports(pages, app_url):
    page = pages(app_url + ENDLESS)
    set_speed(page, "1000")
    rng = random.Random(17)
    for _ in range(8):
        control(page, "play").click()
        expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing")
        page.wait_for_timeout(rng.uniform(150, 900))  # the random moment is the point
        control(page, "play").click()  # now "Pause"
        expect(page.locator(PLAYER)).to_have_attribute("data-state", "paused")
        stopped = shown_step(page)
        settled_at(page, stopped)
        page.wait_for_timeout(500)  # nothing may move while paused: watch for a moment
        assert shown_step(page) == stopped
        runs = page.get_by_role("tab", name="Runs")
        runs.click()
        try:
            expect(runs).to_have_attribute("aria-selected", "true", timeout=5_000)
        except AssertionError:  # lost as the page redrew its tabs (docs/streamlit.md): again
            runs.click()
        expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=TIMEOUT_MS)
        page.get_by_role("tab", name="Landscape").click()
    assert shown_step(page) > 0


# Swallows the next event of a kind on its way to the server, as a rerun that replaces the one it
# was meant for can (the player is handed a fresh `send` with every update: wrap each).
DROP_NEXT = """(kind) => {
  const player = [...window.l1vizPlayers][0];
  let send = player.send;
  window.dropped = 0;
  Object.defineProperty(player, "send", {
    configurable: true,
    get() {
      return (name, value) => {
        if (name === kind && !window.dropped) window.dropped = value.number;
        else send(name, value);
      };
    },
    set(fresh) { send = fresh; },
  });
}"""


@pytest.mark.parametrize("kind", ["pause", "seek"])
def test_an_event_lost_on_the_way_is_sent_again(pages, app_url, kind):
    page = pages(app_url + ENDLESS)
    set_speed(page, "100")
    control(page, "play").click()
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing")
    page.wait_for_timeout(700)
    page.evaluate(DROP_NEXT, kind)
    if kind == "pause":
        control(page, "play").click()
    else:
        scrub_to(page, 40)
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "paused")
    stopped = shown_step(page)
    # Within a few seconds, not never.
    expect(page).to_have_url(re.compile(rf"[?&]at={stopped}(&|$)"), timeout=15_000)
    assert page.evaluate("window.dropped") > 0
    page.get_by_role("tab", name="Runs").click()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=TIMEOUT_MS)


def test_scrubbing_shows_the_recorded_values_of_that_step(pages, app_url):
    page = pages(app_url + "/")
    engine = Engine({})
    expect(page.locator(f"{PLAYER} .l1-where")).to_contain_text("of 9,783 trained")
    for row in (4_815, 1, 9_783, 0, 250):
        scrub_to(page, row)
        expect(page.locator(PLAYER)).to_have_attribute("data-step", str(row))
        assert_shows_the_engine(page, engine)
        settled_at(page, row)


BADGE_SAMPLER = """() => {
  window.badges = [];
  const player = document.querySelector('.l1-player');
  (function sample() {
    window.badges.push([Number(player.dataset.step),
      player.querySelector('[data-testid=l1-badge]').textContent]);
    if (window.badges.length < 3000) requestAnimationFrame(sample);
  })();
}"""


@pytest.mark.parametrize(
    ("query", "verdict", "end"),
    [
        ("/?w_hh=0.7&w_ih=-0.2", "dead from the start", 99),
        ("/?lr=1&w_hh=1.45&w_ih=0.5", "died at step 1", 100),
    ],
)
def test_the_verdict_appears_only_when_the_playhead_reaches_its_step(
    pages, app_url, query, verdict, end
):
    page = pages(app_url + query)
    set_speed(page, "100")
    page.evaluate(BADGE_SAMPLER)
    control(page, "play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text(verdict, timeout=TIMEOUT_MS)
    samples = page.evaluate("window.badges")
    assert {words for step, words in samples if step < end} <= {"ready", "training"}
    assert {step for step, words in samples if words == verdict} == {end}
    assert len({step for step, _ in samples}) > 10  # it moved in many steps, not in one jump


def test_a_minute_of_random_play_pause_step_and_scrub_agrees_with_the_engine(pages, app_url):
    page = pages(app_url + "/")
    engine = Engine({})
    rng = random.Random(2026)
    checked = 0
    page.wait_for_timeout(0)
    deadline = page.evaluate("performance.now()") + 60_000
    while page.evaluate("performance.now()") < deadline:
        action = rng.choice(["play", "play", "speed", "step", "scrub", "reset", "key"])
        if action == "play":
            control(page, "play").click()
            page.wait_for_timeout(rng.uniform(50, 1200))
            if player_state(page) == "playing":
                control(page, "play").click()
        elif action == "speed":
            set_speed(page, rng.choice(["auto", "10", "100", "1000", "10000", "max"]))
        elif action == "step":
            control(page, rng.choice(["back100", "back1", "fwd1", "fwd100"])).click()
        elif action == "scrub":
            scrub_to(page, rng.randrange(0, 9_784))
        elif action == "reset":
            control(page, "reset").click()
        else:
            page.locator(PLAYER).focus()
            page.keyboard.press(rng.choice(["ArrowRight", "ArrowLeft", "Shift+ArrowRight"]))
        if player_state(page) == "playing":
            continue
        step = shown_step(page)
        settled_at(page, step)
        assert_shows_the_engine(page, engine)
        checked += 1
    assert checked >= 20


def test_the_keyboard_plays_pauses_and_steps(pages, app_url):
    page = pages(app_url + "/")
    page.locator(PLAYER).focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator(PLAYER)).to_have_attribute("data-step", "1")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator(PLAYER)).to_have_attribute("data-step", "101")
    page.keyboard.press("ArrowLeft")
    expect(page.locator(PLAYER)).to_have_attribute("data-step", "100")
    page.keyboard.press(" ")
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing")
    page.keyboard.press(" ")
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "paused")
    page.keyboard.press("End")
    expect(page.locator(PLAYER_BADGE)).to_have_text("converged at step 9783")
    page.keyboard.press("Home")
    expect(page.locator(PLAYER_BADGE)).to_have_text("ready")


LOSS_PLOT = ".l1-chart[data-chart=loss] .js-plotly-plot"
X_RANGE = f"() => document.querySelector('{LOSS_PLOT}')._fullLayout.xaxis.range.slice()"


def test_a_zoom_on_a_chart_holds_while_it_plays(pages, app_url):
    page = pages(app_url + ENDLESS)
    set_speed(page, "1000")
    control(page, "play").click()
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing")
    page.evaluate(
        """() => Plotly.relayout(
            document.querySelector('.l1-chart[data-chart=loss] .js-plotly-plot'),
            {'xaxis.range[0]': 0, 'xaxis.range[1]': 40})"""
    )
    start = shown_step(page)
    page.wait_for_function(
        f"Number(document.querySelector('{PLAYER}').dataset.step) > {start + 1500}",
        timeout=TIMEOUT_MS,
    )
    assert page.evaluate(X_RANGE) == [0, 40]
    page.evaluate(
        """() => Plotly.relayout(
            document.querySelector('.l1-chart[data-chart=loss] .js-plotly-plot'),
            {'xaxis.autorange': true})"""
    )  # a double click: the player ranges the axes again
    page.wait_for_function(f"({X_RANGE})()[1] > 40", timeout=TIMEOUT_MS)


BLANK_SAMPLER = """() => {
  window.blank = 0; window.frames = 0;
  (function sample() {
    for (const chart of document.querySelectorAll('.l1-player .l1-chart')) {
      const svg = chart.querySelector('.main-svg');
      const box = svg && svg.getBoundingClientRect();
      if (!box || box.height < 50 || !chart.querySelector('.scatterlayer .trace')) window.blank++;
    }
    window.frames++;
    if (!window.stopSampling) requestAnimationFrame(sample);
  })();
}"""


def test_the_charts_are_never_blank_while_it_plays(pages, app_url):
    page = pages(app_url + ENDLESS)
    set_speed(page, "max")
    page.evaluate(BLANK_SAMPLER)
    control(page, "play").click()
    page.wait_for_timeout(6_000)  # six seconds of frames, every one sampled
    page.evaluate("window.stopSampling = true")
    assert page.evaluate("window.frames") > 100
    assert page.evaluate("window.blank") == 0


def test_a_typed_value_then_play_plays_the_typed_value(pages, app_url):
    """Typing 0.9 into the w_hh box and clicking Play commits the value (a new run) as the click
    plays: the new run plays."""
    page = pages(app_url + "/")
    box = page.locator(".st-key-live-w_hh-exact input")
    box.fill("0.9")
    control(page, "play").click()
    expect(page).to_have_url(re.compile(r"w_hh=0\.9(&|$)"), timeout=TIMEOUT_MS)
    expect(page.locator(PLAYER)).not_to_have_attribute("data-state", "paused", timeout=TIMEOUT_MS)
    expect(page.locator(".st-key-live-w_hh-exact input")).to_have_value("0.9")


KEEP_DATA = "() => { window.kept = [...window.l1vizPlayers][0].data; }"
# Streamlit hands the mount an outdated update (the run before), then the current one again.
REDELIVER = """() => {
  const player = [...window.l1vizPlayers][0];
  const current = player.data;
  player.setData(window.kept);
  player.setData(current);
}"""


def test_an_outdated_update_after_a_new_run_leaves_it_playing(pages, app_url):
    page = pages(app_url + "/?steps=3000")
    page.evaluate(KEEP_DATA)  # the first run's update
    box = page.locator(".st-key-live-w_hh-exact input")
    box.fill("0.9")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"w_hh=0\.9(&|$)"), timeout=TIMEOUT_MS)
    set_speed(page, "100")
    control(page, "play").click()
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing")
    page.wait_for_timeout(2_500)  # past the moment a new run may inherit a Play just pressed
    page.evaluate(REDELIVER)
    page.wait_for_timeout(500)
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing")
    assert shown_step(page) > 100


def test_notebook_after_random_init_is_the_notebook_run_at_once(pages, app_url):
    page = pages(app_url + "/")
    page.get_by_role("button", name="Random init", exact=True).click()
    expect(page).to_have_url(re.compile(r"seed=\d+"), timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Notebook", exact=True).click()
    expect(page).to_have_url(f"{app_url}/", timeout=10_000)
    expect(page.locator(".st-key-live-seed input")).to_have_value("42")
    set_speed(page, "max")
    control(page, "play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text("converged at step 9783", timeout=TIMEOUT_MS)


def test_a_preset_outlives_requests_the_page_sent_before_it_arrived(pages, app_url):
    """On a slow link the page asks for a refresh before a preset's widgets reach it, with the
    setup and address from before. Streamlit holds that request behind the preset's run and then
    applies its values: the preset must stay, in the widgets, the address and the run."""
    link = HeldReplies()
    page = pages(app_url + "/?seed=7", before=link.route)
    page.get_by_role("button", name="Init from seed", exact=True).click()
    expect(page).to_have_url(re.compile(r"w_hh=.*seed=7"), timeout=TIMEOUT_MS)
    link.held = True  # the server's replies wait, as on a slow link
    page.get_by_role("button", name="Notebook", exact=True).click()
    page.get_by_role("tab", name="Runs").click()  # a refresh of the live view, sent meanwhile
    page.wait_for_timeout(1_500)
    link.release()
    expect(page).to_have_url(f"{app_url}/", timeout=10_000)
    page.wait_for_timeout(3_000)  # the refreshes that follow must not bring the old setup back
    assert page.url == f"{app_url}/"
    expect(page.locator(".st-key-live-seed input")).to_have_value("42")
    expect(page.locator(".st-key-live-w_hh-exact input")).to_have_value("0.8300079")
    set_speed(page, "max")
    control(page, "play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text("converged at step 9783", timeout=TIMEOUT_MS)


def test_back_brings_the_setup_before(pages, app_url):
    """The browser's Back is a way to undo: it brings the previous setup back, in the widgets
    and the run."""
    page = pages(app_url + "/?w_hh=0.9")
    box = page.locator(".st-key-live-w_hh-exact input")
    box.fill("1.1")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"w_hh=1\.1(&|$)"), timeout=TIMEOUT_MS)
    page.go_back()
    expect(page).to_have_url(re.compile(r"w_hh=0\.9(&|$)"), timeout=TIMEOUT_MS)
    expect(box).to_have_value("0.9", timeout=TIMEOUT_MS)
    page.wait_for_timeout(2_000)
    assert address(page).get("w_hh") == "0.9"


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
    """On hover, the toolbar must leave every chart's title, legend and annotations readable,
    and no legend may sit on an axis title."""
    page = pages(
        app_url + "/?w_hh=0.7907&w_ih=1.2&b_hh=-1.3559&b_ih=-0.8709&bias=true&optimizer=sgd"
        "&lr=0.01&steps=3000",
        width=width,
    )
    set_speed(page, "max")
    control(page, "play").click()
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "ended", timeout=TIMEOUT_MS)
    charts = {
        "loss": f"{PLAYER} .l1-chart[data-chart=loss]",
        "params": f"{PLAYER} .l1-chart[data-chart=params]",
        "landscape": ".l1-plane .l1-chart",
        "active": ".l1-follower:not(.l1-plane) .l1-chart",
        "general": ".st-key-live-chart-general",
    }
    tabs = {"active": "Firing", "general": "Long sequences"}
    for name, selector in charts.items():
        if name in tabs:
            page.get_by_role("tab", name=tabs[name]).click()
        chart = page.locator(selector).first
        expect(chart.locator(".js-plotly-plot")).to_be_visible(timeout=TIMEOUT_MS)
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


def downloaded_chart(page, chart: str, format: str) -> tuple[str, str]:
    """Click a chart's own download button; the file's name and its text."""
    box = page.locator(f"{PLAYER} .l1-chart[data-chart={chart}]")
    box.hover()
    with page.expect_download() as download:
        box.locator(f".modebar-btn[data-title='Download as {format.upper()}']").click()
    path = download.value.path()
    return download.value.suggested_filename, Path(path).read_bytes().decode("latin-1")


def test_a_chart_downloads_as_svg_and_png_as_far_as_the_playhead(pages, app_url):
    """The image holds the curve up to the step shown, not the rows trained ahead of it."""
    page = pages(app_url + "/")
    expect(page.locator(f"{PLAYER} .l1-where")).to_contain_text("of 9,783 trained")
    scrub_to(page, 300)
    name, svg = downloaded_chart(page, "loss", "svg")
    assert name == "l1viz-loss-step-300.svg" and svg.startswith("<svg")
    early = max(len(d) for d in re.findall(r'class="js-line" d="([^"]+)"', svg))
    scrub_to(page, 9_783)
    name, svg = downloaded_chart(page, "params", "svg")
    assert name == "l1viz-params-step-9783.svg" and "w = 1" in svg
    name, svg = downloaded_chart(page, "loss", "svg")
    whole = max(len(d) for d in re.findall(r'class="js-line" d="([^"]+)"', svg))
    assert whole > 3 * early  # thirty times the steps: the early image stopped at its step
    name, png = downloaded_chart(page, "loss", "png")
    assert name == "l1viz-loss-step-9783.png" and png.startswith("\x89PNG")


def test_a_tab_chart_downloads_as_svg_heatmap_and_all(pages, app_url):
    """Streamlit's charts get an SVG button beside the toolbar's PNG one: the Firing tab's raster
    (a heatmap, which the live charts' plotly.js bundle cannot draw) at the step shown."""
    page = pages(app_url + "/")
    expect(page.locator(f"{PLAYER} .l1-where")).to_contain_text("of 9,783 trained")
    scrub_to(page, 300)
    settled_at(page, 300)
    page.get_by_role("tab", name="Firing").click()
    expect(page.get_by_text("Step 300, the step the playhead stopped at")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    button = page.locator(".st-key-live-chart-raster-box [data-testid=l1-svg]")
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        button.click()
    assert download.value.suggested_filename == "l1viz-firing-step-300.svg"
    svg = Path(download.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "dL/dh (signed, log scale)" in svg
    assert "<image" in svg  # the heatmap itself, not only its axes


CURVE_UNDER_NOTE = """(player) => {
  const box = player.querySelector('.l1-chart[data-chart=loss]');
  const note = box.querySelector('.l1-zero').getBoundingClientRect();
  const graph = box.querySelector('.js-plotly-plot');
  const { xaxis, yaxis, margin } = graph._fullLayout;
  const origin = graph.getBoundingClientRect();
  const run = [...window.l1vizRuns.values()][0];
  const under = [];
  for (let i = 0; i < run.rows.n; i++) {
    const loss = run.rows.value('loss', i);
    if (!(loss > 0)) continue;
    const x = origin.left + margin.l + xaxis.l2p(run.rows.steps[i]);
    const y = origin.top + margin.t + yaxis.l2p(Math.log10(loss));
    if (x >= note.left && x <= note.right && y >= note.top && y <= note.bottom) under.push(i);
  }
  return [note.width, under.length];
}"""


def test_the_zero_loss_note_leaves_the_curve_visible(pages, app_url):
    """At the notebook run's last step the loss is exactly 0, which a log axis cannot show: the
    chart says so, and the note covers no point of the curve (900 px, where the charts are
    narrowest)."""
    page = pages(app_url + "/?at=9783", width=900)
    expect(page.locator(f"{PLAYER} .l1-zero")).to_be_visible(timeout=TIMEOUT_MS)
    width, covered = page.locator(PLAYER).evaluate(CURVE_UNDER_NOTE)
    assert width > 100 and covered == 0
