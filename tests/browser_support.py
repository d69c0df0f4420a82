"""Running the dashboard for a real browser: `streamlit run app.py` on a free localhost port, and
Debian's chromium driven by Playwright. Shared by tests/test_browser.py and bench/browser.py."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# Without the networking flags chromium tries to reach the internet and stalls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHART = ".js-plotly-plot"
# The live player (app_pages/live_parts/player.js): its root holds the step shown and its state
# (paused, playing, ended) as data attributes; its badge, numbers and timeline by test id.
PLAYER = ".l1-player"
PLAYER_BADGE = f"{PLAYER} [data-testid=l1-badge]"
PLAYER_SENTENCE = f"{PLAYER} [data-testid=l1-sentence]"
PLAYER_CHART = f"{PLAYER} .l1-chart .js-plotly-plot"
TIMELINE = f"{PLAYER} [data-testid=l1-timeline]"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chromium_path() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not found:
        raise RuntimeError("needs Debian's chromium: apt-get install chromium (tests/run.sh does)")
    return found


def start_app(
    port: int, log: Path, options: tuple[str, ...] = (), tree: Path = REPO
) -> subprocess.Popen:
    """`options`: more `streamlit run` flags, e.g. ("--server.disconnectedSessionTTL", "2");
    `tree`: the checkout whose app.py runs (bench/browser.py runs a baseline's)."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *options,
    ]
    with open(log, "w") as out:
        return subprocess.Popen(command, cwd=tree, stdout=out, stderr=subprocess.STDOUT)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll /_stcore/health until it answers ok (or fail if the server died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy within {timeout:.0f} s")


@contextlib.contextmanager
def running_app(log: Path):
    """The app on a free port; yields its base URL and stops it afterwards."""
    with serving_app(log) as (url, _):
        yield url


@contextlib.contextmanager
def serving_app(log: Path, options: tuple[str, ...] = ()):
    """The app on a free port; yields (base URL, server process) and stops it afterwards."""
    port = free_port()
    process = start_app(port, log, options)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


# -- the server process, from /proc ------------------------------------------------------------
def thread_count(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_share(pid: int, seconds: float = 2.0) -> float:
    """The process's CPU use over the next `seconds`, as a share of one core."""
    start, began = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - start) / (time.monotonic() - began)


# -- the live player ----------------------------------------------------------------------------
def control(page, name: str):
    """A player button: play (Play / Pause), reset, back100, back1, fwd1, fwd100."""
    return page.locator(f"{PLAYER} button[data-control={name}]")


def shown_step(page) -> int:
    return int(page.locator(PLAYER).get_attribute("data-step"))


def player_state(page) -> str:
    return page.locator(PLAYER).get_attribute("data-state")


def metric_exact(page, name: str) -> str:
    """The exact value behind a number of the player's status row (step, loss, w_hh, ...)."""
    return page.locator(f"{PLAYER} .l1-metric[data-name={name}] .l1-metric-value").get_attribute(
        "data-exact"
    )


def set_speed(page, key: str) -> None:
    """One of the player's speeds by its key: auto, 10, 100, 1000, 10000, max."""
    page.locator(f"{PLAYER} select").select_option(key)


def scrub_to(page, row: int) -> None:
    """Drag the timeline to row `row` of the trained history, as a mouse drag would end."""
    page.locator(TIMELINE).evaluate(
        """(input, row) => {
            input.value = String(row);
            input.dispatchEvent(new Event('input', {bubbles: true}));
            input.dispatchEvent(new Event('change', {bubbles: true}));
        }""",
        row,
    )


EXCEPTION = "[data-testid=stException]"


@contextlib.contextmanager
def fresh_pages(browser, ready: str | None = None, console: bool = False):
    """Yields `opener(url, width=1500, height=1000)`, which opens a page in a fresh session (and
    waits for `ready` to be visible, if given). At the end none may show an exception or have
    raised an error (nor logged one to the console, with `console`)."""
    opened = []

    def opener(url: str, width: int = 1500, height: int = 1000, before=None):
        """`before(page)` runs before the page opens (to route its traffic, say)."""
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        if before:
            before(page)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        if console:
            page.on(
                "console",
                lambda message: (
                    page.errors.append(message.text) if message.type == "error" else None
                ),
            )
        page.goto(url)
        opened.append(page)
        if ready:
            expect(page.locator(ready).first).to_be_visible(timeout=90_000)
        return page

    yield opener
    for page in opened:
        shown = page.locator(EXCEPTION).all_inner_texts()
        errors = page.errors
        page.context.close()
        assert shown == [] and errors == []


class HeldReplies:
    """Stands between a page and the server's websocket: while `held`, what the server sends
    waits, as on a slow link, while what the page sends goes through. Install with `route`
    before the page opens."""

    def __init__(self):
        self.held, self.waiting, self.socket = False, [], None

    def route(self, page) -> None:
        page.route_web_socket(re.compile(r"/_stcore/stream"), self._connect)

    def _connect(self, socket) -> None:
        server = socket.connect_to_server()
        self.socket = socket
        server.on_message(self._from_server)
        socket.on_message(server.send)

    def _from_server(self, message) -> None:
        if self.held:
            self.waiting.append(message)
        else:
            self.socket.send(message)

    def release(self) -> None:
        self.held = False
        for message in self.waiting:
            self.socket.send(message)
        self.waiting.clear()
