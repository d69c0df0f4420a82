"""The live view as a user sees it, measured in a real browser (Debian's chromium via Playwright),
the player beside the page it replaced in one run.

    python -m bench.browser [--baseline be1d5a7] [--watch 6] [--repeats 3]

Starts `streamlit run app.py` for this tree and for the baseline commit (a git worktree of it,
run with this tree's Python), and for each at 1500x1000 and 900x1000, at each speed (100, 1,000,
10,000 steps/s and max), on a run that keeps going (the notebook's init on sequences up to
1,000 long), measures in the page, from a requestAnimationFrame sampler and a longtask observer:
  * frames/s: frames in which the step counter or the loss trace changed, while playing;
  * Play -> first motion, Pause -> last change (ms, from the click's own timestamp);
  * scrub -> charts updated (ms; the player only: the old page has no timeline);
  * blank-chart frames while playing, and the share of the main thread in long tasks (> 50 ms).
Then the first chart: from `streamlit run` (a fresh server) and in a new session (warm server).
Prints the load average: the targets hold at a load average under 1.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser_support import (
    PLAYER_CHART,
    chromium_path,
    free_port,
    launch_chromium,
    start_app,
    wait_healthy,
)

REPO = Path(__file__).resolve().parents[1]
BASELINE = "be1d5a7"  # v2: the live page drawn on the server, a fragment rerun per refresh
TIMEOUT_MS = 120_000
ENDLESS = "/?max_length=1000&batch_size=64&steps=10000000"
SPEEDS = {
    "100": "100 steps/s",
    "1000": "1,000 steps/s",
    "10000": "10,000 steps/s",
    "max": "max speed",
}
SIZES = ((1500, 1000), (900, 1000))


@dataclass(frozen=True)
class Page:
    """How one app's live view is read and driven."""

    name: str
    first_chart: str
    fingerprint: str  # JS expression: changes whenever the counter or the loss trace does
    blank: str  # JS expression: true when a live chart is not drawn
    play: str  # JS expression: the element a click on Play goes to
    pause: str

    def set_speed(self, page, speed: str) -> None:
        if self.name == "player":
            page.locator(".l1-player select").select_option(speed)
        else:
            page.get_by_text(SPEEDS[speed], exact=True).click()
            page.wait_for_timeout(1500)  # the segmented control reruns the page


PLAYER = Page(
    name="player",
    first_chart=PLAYER_CHART,
    fingerprint="""(() => { const p = document.querySelector('.l1-player');
        const clip = p.querySelector('.l1-chart[data-chart=loss] clipPath[id^=l1clip] rect');
        const path = p.querySelector('.l1-chart[data-chart=loss] .scatterlayer path');
        return p.dataset.step + '|' + (clip ? clip.getAttribute('width') : '') + '|'
            + (path ? path.getAttribute('d').length : 0); })()""",
    blank="""[...document.querySelectorAll('.l1-player .l1-chart')].some(c => {
        const svg = c.querySelector('.main-svg'); const box = svg && svg.getBoundingClientRect();
        return !box || box.height < 50 || !c.querySelector('.scatterlayer .trace'); })""",
    play="document.querySelector('.l1-player button[data-control=play]')",
    pause="document.querySelector('.l1-player button[data-control=play]')",
)
SERVER_DRAWN = Page(
    name="server-drawn",
    first_chart=".js-plotly-plot",
    fingerprint="""(() => {
        const step = document.querySelector('.st-key-live-status [data-testid=stMetricValue]');
        const charts = [...document.querySelectorAll(
            '.st-key-live-chart-loss:not([data-retained])')];
        const path = charts.length
            && charts[charts.length - 1].querySelector('.scatterlayer path');
        return (step ? step.innerText : '') + '|' + (path ? path.getAttribute('d').length : 0);
    })()""",
    blank="""['loss', 'params'].some(name => ![...document.querySelectorAll(
        `.st-key-live-chart-${name} .js-plotly-plot`)].some(plot => plot.querySelector('.main-svg')
        && plot.getBoundingClientRect().height > 50
        && getComputedStyle(plot).visibility === 'visible'))""",
    play="document.querySelector('.st-key-live-play button')",
    pause="document.querySelector('.st-key-live-pause button')",
)

PROBE = """(page) => {
  const probe = {changes: [], blank: [], frames: [], long: []};
  new PerformanceObserver(list => { for (const e of list.getEntries())
      probe.long.push([e.startTime, e.duration]); }).observe({entryTypes: ['longtask']});
  let last = null;
  (function sample(now) {
    let seen = null;
    try { seen = eval(page.fingerprint); } catch (error) { seen = 'error'; }
    if (seen !== last) { probe.changes.push(now); last = seen; }
    probe.frames.push(now);
    let blank = true;
    try { blank = eval(page.blank); } catch (error) {}
    if (blank) probe.blank.push(now);
    if (!window.__stopProbe) requestAnimationFrame(sample);
  })(performance.now());
  window.__probe = probe;
}"""
CLICK = "(selector) => { const t = performance.now(); eval(selector).click(); return t; }"


@dataclass
class Figures:
    fps: float
    first_motion_ms: float
    pause_ms: float
    scrub_ms: float | None
    blank_frames: int
    long_share: float


def within(times: list[float], start: float, end: float) -> list[float]:
    return [t for t in times if start <= t <= end]


def long_share(entries: list, start: float, end: float) -> float:
    busy = sum(max(0.0, min(s + d, end) - max(s, start)) for s, d in entries)
    return busy / (end - start)


def measure(browser, url: str, app: Page, size: tuple[int, int], speed: str, watch: float):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(url + ENDLESS)
        expect(page.locator(app.first_chart).first).to_be_visible(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        app.set_speed(page, speed)
        page.evaluate(PROBE, {"fingerprint": app.fingerprint, "blank": app.blank})
        page.wait_for_timeout(500)
        played = page.evaluate(CLICK, app.play)
        page.wait_for_timeout(watch * 1000)
        paused = page.evaluate(CLICK, app.pause)
        page.wait_for_timeout(2000)
        scrub = scrub_ms(page) if app.name == "player" else None
        page.evaluate("window.__stopProbe = true")
        probe = page.evaluate("window.__probe")
    finally:
        page.close()
    window = (played + 1000, paused)  # past the first second (a first redraw, say)
    changes = within(probe["changes"], *window)
    after_play = [t for t in probe["changes"] if t > played]
    after_pause = [t for t in probe["changes"] if paused < t <= paused + 2000]
    return Figures(
        fps=len(changes) / ((window[1] - window[0]) / 1000),
        first_motion_ms=(after_play[0] - played) if after_play else float("nan"),
        pause_ms=(after_pause[-1] - paused) if after_pause else 0.0,
        scrub_ms=scrub,
        blank_frames=len(within(probe["blank"], played + 200, paused)),
        long_share=long_share(probe["long"], *window),
    )


SCRUB = """async (row) => {
  const input = document.querySelector('.l1-player [data-testid=l1-timeline]');
  // Paused, the loss trace is drawn up to the playhead: its path changes with the step shown.
  const clip = () => {
    const path = document.querySelector('.l1-chart[data-chart=loss] .scatterlayer path');
    return path ? path.getAttribute('d').length : 0;
  };
  const before = [document.querySelector('.l1-player').dataset.step, clip()];
  const start = performance.now();
  input.value = String(row);
  input.dispatchEvent(new Event('input', {bubbles: true}));
  while (true) {
    await new Promise(requestAnimationFrame);
    const now = [document.querySelector('.l1-player').dataset.step, clip()];
    if (now[0] !== before[0] && now[1] !== before[1]) return performance.now() - start;
    if (performance.now() - start > 2000) return NaN;
  }
}"""


def scrub_ms(page) -> float:
    """Median over a few drags of the timeline: input event -> counter and loss chart moved."""
    rows = page.evaluate("Number(document.querySelector('.l1-player input[type=range]').max)")
    picks = [int(rows * share) for share in (0.2, 0.8, 0.5, 0.1, 0.9)]
    return statistics.median(page.evaluate(SCRUB, row) for row in picks)


# -- the servers -----------------------------------------------------------------------------
@contextlib.contextmanager
def serving(tree: Path, log: Path):
    port = free_port()
    process = start_app(port, log, tree=tree)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def baseline_tree(ref: str):
    """A git worktree of the baseline commit (the app it holds runs with this tree's Python:
    its own directory comes first on the path, so it imports its own l1viz)."""
    scratch = Path(tempfile.mkdtemp(prefix="l1viz-baseline-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(scratch), ref],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    try:
        yield scratch
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(scratch)], cwd=REPO, capture_output=True
        )


def first_chart(browser, tree: Path, app: Page, log: Path) -> tuple[float, float]:
    """(from `streamlit run` to the first chart, the same in a new session on that server)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    start = time.perf_counter()
    with serving(tree, log) as (url, _):
        page.goto(url)
        expect(page.locator(app.first_chart).first).to_be_visible(timeout=TIMEOUT_MS)
        cold = time.perf_counter() - start
        page.close()
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        start = time.perf_counter()
        page.goto(url)
        expect(page.locator(app.first_chart).first).to_be_visible(timeout=TIMEOUT_MS)
        warm = time.perf_counter() - start
        page.close()
    return cold, warm


def machine() -> str:
    version = subprocess.run([chromium_path(), "--version"], capture_output=True, text=True)
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {version.stdout.strip()}"
    )


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def row(label: str, figures: list[Figures]) -> str:
    def median(name: str) -> str:
        values = [getattr(f, name) for f in figures if getattr(f, name) is not None]
        return f"{statistics.median(values):8.1f}" if values else "       —"

    share = 100 * statistics.median(f.long_share for f in figures)
    return (
        f"{label:32} {median('fps')} {median('first_motion_ms')} {median('pause_ms')} "
        f"{median('scrub_ms')} {median('blank_frames')} {share:7.0f}%"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="the commit to compare with")
    parser.add_argument("--watch", type=float, default=6.0, help="seconds of playing measured")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"{datetime.date.today()}  {machine()}  load average {load()}")
    columns = ("frames/s", "motion", "pause", "scrub", "blank", "long")
    header = f"{'page, size, speed':32} " + " ".join(f"{name:>8}" for name in columns)
    print("(frames/s of change while playing; ms from Play to motion, Pause to the last change,")
    print(" a drag of the timeline to the charts; blank-chart frames; main thread in long tasks)")
    print(header)
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        log = Path(scratch) / "streamlit.log"
        with baseline_tree(args.baseline) as old:
            apps = [(PLAYER, REPO), (SERVER_DRAWN, old)]
            for size in SIZES:
                for speed in SPEEDS:
                    for app, tree in apps:
                        with serving(tree, log) as (url, _):
                            figures = [
                                measure(browser, url, app, size, speed, args.watch)
                                for _ in range(args.repeats)
                            ]
                        label = f"{app.name} {size[0]}x{size[1]} {SPEEDS[speed]}"
                        print(row(label, figures), flush=True)
            for app, tree in apps:
                cold, warm = first_chart(browser, tree, app, log)
                print(
                    f"first chart, {app.name}: {cold:.2f} s after `streamlit run`, "
                    f"{warm:.2f} s in a new session"
                )
        browser.close()
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
