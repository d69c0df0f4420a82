"""Load and faults on one server (issue 10): sessions that end or change mid-training leave no
thread training, and ten sessions clicking at random for 75 seconds break nothing.

The server keeps a closed session for `SESSION_TTL` seconds (Streamlit's default is 120, for a
browser that reconnects); here it is short, so that "the sessions have closed" can be waited for.
Server threads, CPU and memory are read from /proc.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from l1viz.engine.trainer import Trainer
from l1viz.live.badge import status_of
from l1viz.live.settings import Settings
from tests.browser_support import (
    PLAYER,
    PLAYER_BADGE,
    PLAYER_CHART,
    control,
    cpu_share,
    launch_chromium,
    resident_mb,
    scrub_to,
    serving_app,
    set_speed,
    shown_step,
    thread_count,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SESSION_TTL = 2
TIMEOUT_MS = 180_000  # ten sessions share two cores
EXCEPTION = "[data-testid=stException]"
# Trains for minutes without a verdict: the notebook's init on sequences up to 1,000 long (no
# exact solution within reach) at ~16,000 steps/s, so every refresh trains a full slice.
ENDLESS = "/?max_length=1000&batch_size=64&steps=10000000"
IDLE_CPU = 0.05  # share of one core: what an idle server uses at most
QUIET_WITHIN_S = 90
# Idle threads the server's own pools may add after sessions have come and gone: its training
# pool and the kernel's grow to two workers each, the study pool to its size.
POOLED_THREADS = 4
# Streamlit serves files on anyio's worker threads, as many as requests came at once; a worker
# idle this long is stopped when the next file is asked for.
ANYIO_IDLE_S = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with serving_app(log, ("--server.disconnectedSessionTTL", str(SESSION_TTL))) as (url, process):
        yield url, process, log


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """The module's chromium; whatever a test leaves open is closed after it, so a failed test
    leaves no session playing on the shared server (the next test measures its idle CPU)."""
    yield chromium
    for context in chromium.contexts:
        context.close()


def new_page(browser, url: str, errors: list):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(url)
    return page


def loaded(page) -> None:
    expect(page.locator(PLAYER_BADGE)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(PLAYER_CHART).first).to_be_visible(timeout=TIMEOUT_MS)


def playing(page, speed: str = "max") -> None:
    """Play pressed (at max speed: the server trains as fast as it can), and seen playing."""
    set_speed(page, speed)
    control(page, "play").click()
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "playing", timeout=TIMEOUT_MS)


def quiet(pid: int, threads: int) -> tuple[int, float]:
    """Wait until the server has at most `threads` threads and uses no CPU to speak of; returns
    what it has then (the last reading if it never gets there)."""
    deadline = time.monotonic() + QUIET_WITHIN_S
    while True:
        now, share = thread_count(pid), cpu_share(pid, 2.0)
        if (now <= threads and share < IDLE_CPU) or time.monotonic() > deadline:
            return now, share


def settled_threads(url: str, pid: int) -> int:
    """The server's threads once idle, after anyio has stopped the file-serving threads that page
    loads left idle (their number is how many requests came at once, not what the app keeps)."""
    time.sleep(ANYIO_IDLE_S + 1)
    with urllib.request.urlopen(url + "/", timeout=30) as response:
        response.read()
    return quiet(pid, thread_count(pid))[0]


def warmed_up(browser, url: str) -> None:
    """One session that loads the page and trains a little, closed: imports, the C kernel and
    Streamlit's own pools are in place."""
    errors = []
    page = new_page(browser, url + "/?steps=300", errors)
    loaded(page)
    set_speed(page, "max")
    control(page, "play").click()
    expect(page.locator(PLAYER_BADGE)).to_have_text("stalled", timeout=TIMEOUT_MS)
    page.context.close()
    assert errors == []
    time.sleep(SESSION_TTL + 1)  # the closed session's state is dropped after its TTL


def type_new_setup(page, w_hh: str) -> None:
    """Type w_hh and commit it, until the address holds the new setup. A full run that redraws
    the sidebar while the box is typed into (the case table arriving, say) can drop the text;
    it is retyped, at most three times: not what this test is about."""
    box = page.locator(".st-key-live-w_hh-exact input")
    new_address = re.compile(rf"w_hh={re.escape(w_hh)}(&|$)")
    for _ in range(3):
        box.fill(w_hh)
        box.press("Enter")
        with contextlib.suppress(AssertionError):
            expect(page).to_have_url(new_address, timeout=30_000)
            return
    expect(page).to_have_url(new_address, timeout=TIMEOUT_MS)


def test_a_pause_after_max_speed_stops_the_training(server, browser):
    """At max speed the server trains as fast as it can; once paused, it trains only a little
    past the playhead and goes idle, though the page stays open (here the budget is 10 million
    steps: minutes of training)."""
    url, process, _ = server
    errors = []
    page = new_page(browser, url + ENDLESS, errors)
    loaded(page)
    playing(page)
    page.wait_for_timeout(2_000)  # the server has trained at max speed for a while
    control(page, "play").click()
    expect(page.locator(PLAYER)).to_have_attribute("data-state", "paused")
    expect(page).to_have_url(re.compile(r"[?&]at=\d+"), timeout=TIMEOUT_MS)  # pause taken
    started = time.monotonic()
    _, share = quiet(process.pid, thread_count(process.pid))
    assert share < IDLE_CPU, f"still training {time.monotonic() - started:.0f} s after the pause"
    assert page.locator(EXCEPTION).all_inner_texts() == [] and errors == []


def test_faults_during_play_leave_no_thread_training(server, browser):
    """A setting changed while the server trains ahead at max speed, a step pressed as Play is
    taken, a switch to another page and a browser closed, each during play: afterwards the
    server goes back to idle (no run is left training) with no more threads than its pools
    keep."""
    url, process, _ = server
    warmed_up(browser, url)
    baseline = settled_threads(url, process.pid)
    errors = []

    changed = new_page(browser, url + ENDLESS, errors)  # a setting changed while training ahead
    loaded(changed)
    playing(changed)
    type_new_setup(changed, "0.6")
    control(changed, "play").click()  # the new run played on: pause it
    expect(changed.locator(PLAYER)).to_have_attribute("data-state", "paused")
    threads, share = quiet(process.pid, baseline + 2 * POOLED_THREADS)  # a session is open
    assert share < IDLE_CPU, f"the replaced run still trains: {share:.0%} of a core"

    stepped = new_page(browser, url + ENDLESS, errors)  # a step as Play is being taken
    loaded(stepped)
    control(stepped, "play").click(no_wait_after=True)
    control(stepped, "fwd100").click()
    expect(stepped.locator(PLAYER)).to_have_attribute("data-state", "paused")

    switched = new_page(browser, url + ENDLESS, errors)  # another page while playing
    loaded(switched)
    playing(switched)
    switched.get_by_role("link", name="Notebook observations").click()
    expect(switched.get_by_text("Notebook observations").first).to_be_visible(timeout=TIMEOUT_MS)

    closed = new_page(browser, url + ENDLESS, errors)  # the browser closed while playing
    loaded(closed)
    playing(closed)
    closed.context.close()

    for page in (changed, stepped, switched):
        assert page.locator(EXCEPTION).all_inner_texts() == []
        page.context.close()
    time.sleep(SESSION_TTL + 1)
    threads, share = settled_threads(url, process.pid), cpu_share(process.pid, 2.0)
    print(f"server threads: {baseline} after the warm-up, {threads} after the faults")
    assert threads <= baseline + POOLED_THREADS and share < IDLE_CPU, (threads, baseline, share)
    assert errors == []


# -- ten sessions at random -----------------------------------------------------------------
SESSIONS = 10
PLAY_SECONDS = 75
WARM_UP_SECONDS = 20
# Setups that end within a few hundred steps (the budget of 600 included), so that many runs
# reach their verdict while ten sessions share the machine.
BASE = {"lr": "0.01", "steps": "600", "bias": "true", "b_hh": "-0.1", "b_ih": "0.05"}
W_HH = ("0.5", "0.9", "1", "1.3", "2")
W_IH = ("-0.3", "0.4", "1", "1.5")
FINAL = ("converged", "dead", "died", "diverged", "stalled")


@dataclass
class Session:
    page: object
    errors: list = field(default_factory=list)
    verdicts: set = field(default_factory=set)  # (URL query, badge words)


def act(session: Session, rng: random.Random) -> None:
    """One click of a user who does not wait for anything."""
    page = session.page
    choice = rng.choice(["play", "play", "fwd1", "fwd100", "back100", "reset", "scrub", "speed"])
    choice = rng.choice([choice, choice, choice, "w_hh", "w_ih"])
    if choice in ("w_hh", "w_ih"):
        box = page.locator(f".st-key-live-{choice}-exact input")
        box.fill(rng.choice(W_HH if choice == "w_hh" else W_IH), timeout=5_000)
        box.press("Enter", timeout=5_000)
    elif choice == "scrub":
        scrub_to(page, rng.randrange(0, 600))
    elif choice == "speed":
        set_speed(page, rng.choice(["auto", "100", "1000", "max"]))
    else:
        control(page, choice).click(timeout=5_000, no_wait_after=True)


STABLE_MS = 1_000


def note_verdict(session: Session) -> None:
    """Once the page shows a finished run at its end, its setup (the address bar) and verdict:
    the address must say the playhead stopped where the page shows it."""
    page = session.page
    if page.locator(PLAYER).get_attribute("data-state", timeout=5_000) != "ended":
        return
    words = page.locator(PLAYER_BADGE).inner_text(timeout=5_000)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))
    if not words.startswith(FINAL) or query.get("at", "0") != str(shown_step(page)):
        return  # the address not written yet for this stop: read it again later
    session.verdicts.add((urllib.parse.urlencode(query), words))


def engine_verdict(query: str) -> str:
    settings, notes = Settings.from_params(dict(urllib.parse.parse_qsl(query)))
    assert notes == [], query
    return status_of(Trainer(settings.init(), settings.config()).run()[0]).label


def open_sessions(browser, url: str) -> list[Session]:
    sessions = []
    for index in range(SESSIONS):
        query = {**BASE, "w_hh": W_HH[index % len(W_HH)], "w_ih": W_IH[index % len(W_IH)]}
        session = Session(page=None)
        session.page = new_page(browser, f"{url}/?{urllib.parse.urlencode(query)}", session.errors)
        sessions.append(session)
    for session in sessions:
        loaded(session.page)
    return sessions


def click_at_random(sessions: list[Session], seconds: float, seed: int, pid: int) -> tuple:
    """Random clicks, round the sessions, for `seconds`; then Pause everywhere and wait for every
    page to be idle. Returns (clicks made, the server's largest resident memory in MB)."""
    rng = random.Random(seed)
    peak_mb, actions = resident_mb(pid), 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(PlaywrightError):  # a control being redrawn: the next one
            act(rng.choice(sessions), rng)
            actions += 1
            note_verdict(rng.choice(sessions))
        peak_mb = max(peak_mb, resident_mb(pid))
    for session in sessions:  # the last clicks land: every page is read once more
        with contextlib.suppress(PlaywrightError):
            set_speed(session.page, "max")
            # Play only a paused page: a click on a playing one would pause it short of its end.
            if session.page.locator(PLAYER).get_attribute("data-state") == "paused":
                control(session.page, "play").click(timeout=2_000)
    for session in sessions:
        with contextlib.suppress(AssertionError):
            expect(session.page.locator(PLAYER)).to_have_attribute(
                "data-state", "ended", timeout=30_000
            )
            session.page.wait_for_timeout(STABLE_MS)  # the end's event reaches the address
        note_verdict(session)
    return actions, peak_mb


def sessions_dropped(browser, url: str, pid: int) -> tuple[int, float]:
    """After sessions have closed: Streamlit drops a closed session once its TTL has passed, at
    the next disconnect (its store expires entries lazily), and the app gives freed memory back
    when a session starts. Two short sessions do both. Returns (threads, resident MB) then."""
    time.sleep(SESSION_TTL + 1)
    warmed_up(browser, url)
    warmed_up(browser, url)
    return settled_threads(url, pid), resident_mb(pid)


def test_ten_sessions_clicking_at_random_for_75_seconds(server, browser):
    """Each session plays, pauses, steps, scrubs, resets, changes speed and changes w_hh and w_ih
    at random. No page shows an exception or logs an error, every verdict a page showed is the
    engine's for the setup in its address bar (with the address's step where the page showed
    it), the server stays up, and once the sessions have closed its memory is back within 10 %
    of what it was before they opened, with no more threads than its pools keep.

    "Before" is after a first, shorter round of the same: the first use of each code path loads
    modules and fills caches (plotly's validators, the landscape cache) that stay; a leak shows
    as memory that the next round does not give back."""
    url, process, log = server
    warmed_up(browser, url)
    first = open_sessions(browser, url)
    click_at_random(first, WARM_UP_SECONDS, seed=1, pid=process.pid)
    for session in first:
        session.page.context.close()
    baseline, start_mb = sessions_dropped(browser, url, process.pid)

    sessions = open_sessions(browser, url)
    actions, peak_mb = click_at_random(sessions, PLAY_SECONDS, seed=2024, pid=process.pid)
    for session in sessions:
        assert session.page.locator(EXCEPTION).all_inner_texts() == []
    ARTIFACTS.mkdir(exist_ok=True)
    sessions[0].page.screenshot(path=ARTIFACTS / "load-session-0.png", full_page=True)
    for session in sessions:
        session.page.context.close()
    assert [session.errors for session in first + sessions] == [[]] * (2 * SESSIONS)
    assert process.poll() is None and "Traceback" not in log.read_text()

    shown = {pair for session in sessions for pair in session.verdicts}
    assert len(shown) >= 5, (actions, shown)  # runs did finish, in several setups
    wrong = [(query, words, engine_verdict(query)) for query, words in sorted(shown)]
    assert [case for case in wrong if case[1] != case[2]] == []

    threads, end_mb = sessions_dropped(browser, url, process.pid)
    share = cpu_share(process.pid)
    print(
        f"{actions} clicks, {len(shown)} verdicts checked; server memory {start_mb:.0f} MB "
        f"before, {peak_mb:.0f} at most, {end_mb:.0f} after; threads {baseline} before, "
        f"{threads} after; CPU {share:.0%} of a core after"
    )
    assert end_mb <= 1.1 * start_mb, (start_mb, peak_mb, end_mb)
    assert threads <= baseline + POOLED_THREADS and share < IDLE_CPU, (threads, baseline, share)
