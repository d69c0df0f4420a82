"""Memory over a long browser session: one page playing a run that does not end, for minutes.

    python -m bench.long_session [--minutes 10] [--every 30] [--speed 10000]

Starts `streamlit run app.py`, opens the live view in Debian's chromium with a setup that keeps
training (the notebook's init on sequences up to 1,000 long, a 10,000,000-step budget), plays it
at --speed steps/s (the server trains ahead, the history thins past 200,000 rows and the
player's copy with it), and every --every seconds samples:
  * server RSS: VmRSS of the streamlit process and its children (/proc/PID/status);
  * chromium PSS: all of chromium's processes (/proc/PID/smaps_rollup; PSS, as they share pages);
  * JS heap: the tab's performance.memory.usedJSHeapSize, as it is and right after a forced GC;
  * DOM nodes in the tab;
  * the step counter on the page, and training steps/s since the last sample;
  * points per trace: the loss trace of the loss chart, and the longest trace on the page's charts.
Prints the samples as a table and a summary line.
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from bench.browser import ENDLESS as ENDLESS_RUN
from bench.browser import machine
from tests.browser_support import (
    CHROMIUM_ARGS,
    PLAYER,
    PLAYER_BADGE,
    PLAYER_CHART,
    chromium_path,
    control,
    serving_app,
    set_speed,
    shown_step,
)

TIMEOUT_MS = 120_000
# A trace's x as the page holds it: an array, or plotly's {dtype, bdata} (base64) encoding.
POINTS = """const points = trace => {
    const x = trace && trace.x;
    if (!x) return 0;
    if (typeof x.length === 'number') return x.length;
    if (x.bdata) return atob(x.bdata).length / parseInt(x.dtype.slice(1));
    return 0;
};"""
LOSS_POINTS = (
    "() => { "
    + POINTS
    + """
    const div = document.querySelector('.l1-chart[data-chart=loss] .js-plotly-plot');
    return div && div.data ? points(div.data[0]) : 0;
}"""
)
ROWS_HELD = "() => Number(document.querySelector('.l1-player input[type=range]').max) + 1"
MOST_POINTS = (
    "() => { "
    + POINTS
    + """
    return Math.max(0, ...Array.from(document.querySelectorAll('.js-plotly-plot'))
        .flatMap(div => (div.data || []).map(points)));
}"""
)
HEAP = "() => performance.memory.usedJSHeapSize"
DOM_NODES = "() => document.getElementsByTagName('*').length"
MB = 1024 * 1024


# -- processes -----------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += children(current)
    return pids


def proc_kb(pid: int, file: str, field: str) -> int:
    """A `field: N kB` line of /proc/PID/`file` (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def name_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def server_rss_mb(pid: int) -> float:
    return sum(proc_kb(p, "status", "VmRSS") for p in tree(pid)) / 1024


def chromium_pss_mb(server_pid: int) -> float:
    """Chromium's processes: descendants of this benchmark (via Playwright's driver)."""
    ours = set(tree(server_pid))
    pids = [p for p in tree(os.getpid()) if p not in ours and "chrom" in name_of(p)]
    return sum(proc_kb(p, "smaps_rollup", "Pss") for p in pids) / 1024


# -- the page ------------------------------------------------------------------------------------
def sample(page, cdp, server_pid: int, start: float) -> dict:
    heap = page.evaluate(HEAP) / MB
    cdp.send("HeapProfiler.collectGarbage")
    return {
        "t": time.perf_counter() - start,
        "steps": shown_step(page),
        "rows": int(page.evaluate(ROWS_HELD)),
        "rss": server_rss_mb(server_pid),
        "chromium": chromium_pss_mb(server_pid),
        "heap": heap,
        "heap_gc": page.evaluate(HEAP) / MB,
        "nodes": page.evaluate(DOM_NODES),
        "loss_points": int(page.evaluate(LOSS_POINTS)),
        "most_points": int(page.evaluate(MOST_POINTS)),
        "badge": page.locator(PLAYER_BADGE).inner_text(),
    }


HEADER = (
    f"{'t (s)':>6} {'steps':>10} {'steps/s':>8} {'server RSS':>11} {'chromium PSS':>13} "
    f"{'JS heap':>8} {'after GC':>9} {'DOM nodes':>10} {'rows held':>10} {'loss pts':>9} "
    f"{'max pts':>8}  status"
)


def row(current: dict, previous: dict | None) -> str:
    rate = "-"
    if previous:
        rate = f"{(current['steps'] - previous['steps']) / (current['t'] - previous['t']):.0f}"
    memory = (
        f"{current['rss']:8.1f} MB {current['chromium']:10.1f} MB "
        f"{current['heap']:5.1f} MB {current['heap_gc']:6.1f} MB"
    )
    return (
        f"{current['t']:6.0f} {current['steps']:10,} {rate:>8} {memory} {current['nodes']:10,} "
        f"{current['rows']:10,} {current['loss_points']:9,} {current['most_points']:8,}  "
        f"{current['badge']}"
    )


def summary(samples: list[dict]) -> str:
    def span(key: str) -> str:
        values = [s[key] for s in samples]
        return f"{values[0]:.1f}/{values[-1]:.1f}/{max(values):.1f} MB"

    elapsed = samples[-1]["t"] - samples[0]["t"]
    steps = samples[-1]["steps"]
    rate = (steps - samples[0]["steps"]) / elapsed if elapsed else float("nan")
    return (
        f"summary (first/last/max): server RSS {span('rss')}, chromium PSS {span('chromium')}, "
        f"JS heap {span('heap')}, after GC {span('heap_gc')}; "
        f"rows held by the browser at most {max(s['rows'] for s in samples):,}, "
        f"max points per trace {max(s['most_points'] for s in samples):,} "
        f"(loss trace {max(s['loss_points'] for s in samples):,}); "
        f"steps reached {steps:,} in {samples[-1]['t']:.0f} s ({rate:.0f} steps/s); "
        f"final status: {samples[-1]['badge']}"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--speed", default="10000", help="the player's speed: 100 ... max")
    args = parser.parse_args(argv)
    print(f"{datetime.date.today()}  {machine()}")
    print(
        f"setup: {ENDLESS_RUN} at {args.speed} steps/s, {args.minutes:g} min, "
        f"a sample every {args.every:g} s"
    )
    with (
        tempfile.TemporaryDirectory() as scratch,
        sync_playwright() as playwright,
        serving_app(Path(scratch) / "streamlit.log") as (url, process),
    ):
        # Precise memory info: otherwise chromium rounds usedJSHeapSize to coarse buckets.
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS + ["--enable-precise-memory-info"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            cdp = page.context.new_cdp_session(page)
            page.goto(url + ENDLESS_RUN)
            expect(page.locator(PLAYER_CHART).first).to_be_visible(timeout=TIMEOUT_MS)
            set_speed(page, args.speed)
            control(page, "play").click()
            expect(page.locator(PLAYER)).to_have_attribute(
                "data-state", "playing", timeout=TIMEOUT_MS
            )
            start = time.perf_counter()
            print(HEADER)
            samples = []
            for index in range(int(args.minutes * 60 / args.every) + 1):
                page.wait_for_timeout(
                    max(0.0, start + index * args.every - time.perf_counter()) * 1000
                )
                samples.append(sample(page, cdp, process.pid, start))
                print(row(samples[-1], samples[-2] if len(samples) > 1 else None), flush=True)
                if process.poll() is not None:
                    print(f"the server exited with status {process.returncode}")
                    break
            print(summary(samples))
            exceptions = page.locator("[data-testid=stException]").count()
            print(
                f"exceptions on the page: {exceptions}; browser errors: {len(errors)}"
                + (f" (first: {errors[0]})" if errors else "")
            )
            control(page, "play").click()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
