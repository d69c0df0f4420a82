"""The observation table's and the outcome maps' speed, the map side by side with the notebook loop.

    python -m bench.table [--samples 256]

1. The whole table under the defaults (17 cases x 256 initialisations, the notebook's exact rule,
   a 50,000-step budget): wall time of each phase and in total. Target: <= 10 s.
2. The same table under the tolerance rule with a 20,000-step budget (the earlier default, and
   a re-check under the notebook's rule). Target: <= 5 s.
3. A 128 x 128 outcome map of 10,000 steps (`measure_sweep`, everything included: building the
   grid, training, reading the results). Target: <= 20 s.
4. A 64 x 64 map of 5,000 steps: model-steps/s against the notebook's own training loop
   (bench.throughput) timed right before it.

The machine's load average is printed with the figures: on a shared machine they move with it
(and the kernel's pool threads run at a lower priority, engine/kernel/threads.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import torch

from bench.throughput import notebook_loop_steps_per_second
from l1viz.engine.kernel import build
from l1viz.study.map import SweepSettings, measure_sweep
from l1viz.study.table import TableResult, TableSettings, measure_table

NOTEBOOK_STEPS = 400


def time_table(settings: TableSettings) -> tuple[list[tuple[str, float]], float]:
    """Seconds per phase of `measure_table` (a phase ends at its last update) and in total (with
    the measuring and explaining after training)."""
    last_update = {}

    def on_update(table: TableResult):
        if table.phase:
            last_update[table.phase] = time.perf_counter()

    start = time.perf_counter()
    measure_table(settings, on_update=on_update)
    total = time.perf_counter() - start
    phases, previous = [], start
    for phase, at in last_update.items():
        phases.append((phase, at - previous))
        previous = at
    return phases, total


def time_map(grid: int, steps: int) -> tuple[float, int]:
    """Seconds for a map and the trainer's steps (all cells together)."""
    start = time.perf_counter()
    result = measure_sweep(SweepSettings(grid=grid, steps=steps))
    seconds = time.perf_counter() - start
    return seconds, max(max(row) for row in result.steps)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=256)
    args = parser.parse_args()
    if build.library() is None:
        print("warning: the C kernel is unavailable; the engine uses the torch path")
    print(
        f"# {datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cores  torch {torch.__version__}  {torch.get_num_threads()} threads  "
        f"{load()}"
    )

    tables = [
        (TableSettings(samples=args.samples), 10),
        (TableSettings(samples=args.samples, steps=20_000, criterion="tolerance"), 5),
    ]
    for settings, target in tables:
        phases, total = time_table(settings)
        print(
            f"\nwhole table: 17 cases x {settings.samples} initialisations x "
            f"{settings.steps:,} steps, {settings.criterion} rule ({load()})"
        )
        for phase, seconds in phases:
            print(f"  {phase:<64} {seconds:7.1f} s")
        print(f"  {'total':<64} {total:7.1f} s   (target <= {target} s)")

    seconds, ran = time_map(128, 10_000)
    print(
        f"\n128 x 128 outcome map, {ran:,} steps: {seconds:.1f} s, "
        f"{128 * 128 * ran / seconds:,.0f} model-steps/s   (target <= 20 s; {load()})"
    )

    notebook = notebook_loop_steps_per_second(NOTEBOOK_STEPS)
    seconds, ran = time_map(64, 5000)
    rate = 64 * 64 * ran / seconds
    print(f"\n64 x 64 outcome map, {ran:,} steps in {seconds:.1f} s ({load()})")
    print(f"  {'notebook loop (1 model)':<32} {notebook:14,.0f} model-steps/s")
    print(f"  {'outcome map':<32} {rate:14,.0f} model-steps/s")
    print(f"  {'ratio':<32} {rate / notebook:14,.0f}x")


if __name__ == "__main__":
    main()
