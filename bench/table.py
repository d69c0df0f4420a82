"""The observation table's and the outcome map's speed, the map side by side with the notebook loop.

    python -m bench.table [--samples 256] [--steps 20000] [--grid 64] [--sweep-steps 5000]

1. The whole table (17 cases x 256 initialisations x 20,000 steps, then the re-check under the
   notebook's stop rule): wall time of each phase and in total. Target: <= 60 s.
2. A 64 x 64 outcome map (`measure_sweep`, everything included: building the grid, training,
   reading the results): model-steps/s, against the notebook's own training loop re-implemented
   (nn.RNNCell, autograd, torch.optim.Adam, batches built sample by sample) timed right before it.
   Targets: >= 3,000,000 model-steps/s and >= 4,000x the notebook loop.

The machine's load average is printed with the figures: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import torch

from bench.throughput import notebook_loop_steps_per_second
from l1viz.engine import native
from l1viz.study.sweep import SweepSettings, measure_sweep
from l1viz.study.table import TableSettings, measure_table

NOTEBOOK_STEPS = 400


def time_table(samples: int, steps: int) -> tuple[list[tuple[str, float]], float]:
    """Seconds per phase of `measure_table` (told apart by the progress label; a phase ends at its
    last report) and in total (with the measuring and explaining after training)."""
    last_report = {}

    def on_progress(share: float, label: str):
        last_report[label] = time.perf_counter()

    start = time.perf_counter()
    measure_table(TableSettings(samples=samples, steps=steps), on_progress=on_progress)
    total = time.perf_counter() - start
    phases, previous = [], start
    for label, at in last_report.items():
        phases.append((label, at - previous))
        previous = at
    return phases, total


def sweep_model_steps_per_second(grid: int, steps: int) -> tuple[float, float, int]:
    start = time.perf_counter()
    sweep = measure_sweep(SweepSettings(grid=grid, steps=steps))
    seconds = time.perf_counter() - start
    ran = max(max(row) for row in sweep["steps"])  # the trainer's steps (all cells together)
    return grid * grid * ran / seconds, seconds, ran


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--grid", type=int, default=64)
    parser.add_argument("--sweep-steps", type=int, default=5000)
    args = parser.parse_args()
    if native.kernel() is None:
        print("warning: the C kernel is unavailable; the engine uses the torch path")
    print(
        f"# {datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cores  torch {torch.__version__}  {torch.get_num_threads()} threads  "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    phases, total = time_table(args.samples, args.steps)
    print(f"\nwhole table: 17 cases x {args.samples} initialisations x {args.steps:,} steps")
    for label, seconds in phases:
        print(f"  {label:<64} {seconds:7.1f} s")
    print(f"  {'total':<64} {total:7.1f} s   (target <= 60 s)")

    notebook = notebook_loop_steps_per_second(NOTEBOOK_STEPS)
    rate, seconds, ran = sweep_model_steps_per_second(args.grid, args.sweep_steps)
    print(
        f"\n{args.grid} x {args.grid} outcome map, {ran:,} steps in {seconds:.1f} s, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  {'notebook loop (1 model)':<32} {notebook:14,.0f} model-steps/s")
    print(f"  {'outcome map':<32} {rate:14,.0f} model-steps/s   (target >= 3,000,000)")
    print(f"  {'ratio':<32} {rate / notebook:14,.0f}x               (target >= 4,000x)")


if __name__ == "__main__":
    main()
