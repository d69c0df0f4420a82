"""Training throughput, side by side with the notebook's own loop.

    python -m bench.throughput [--repeats 3] [--activations-only]

Prints steps/s of a single run (as the CLI trains it: 500-step chunks) and model-steps/s of a
K = 4,096 sweep, on the compiled kernel and on the pure-torch path, against a re-implementation
of the notebook's per-sample loop (nn.RNNCell + autograd + torch.optim.Adam, batches built
sample by sample), and the cost of drawing the data. Each figure is the median of --repeats
timings, by the wall clock and per CPU-second of the process (all its threads): on this shared
machine the wall clock moves with the load (printed), and the kernel's pool threads run at a
lower priority (engine/kernel/threads.py), so under load the CPU figures say what the code does.

Then the kernel's single-run and sweep rates per activation, beside ReLU's.

Targets (issue 12): single run without history >= 100x the notebook loop, with history >= 50x;
K = 4,096 sweep >= 20,000,000 model-steps/s; data well under a microsecond per step. Issue 20:
every activation within 2x of ReLU's rates.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from functools import partial

import torch
from torch import nn, optim

from l1viz.engine.config import ACTIVATIONS, Init, TrainConfig
from l1viz.engine.data import BatchStream, notebook_batch
from l1viz.engine.kernel import build
from l1viz.engine.kernel.calls import Features
from l1viz.engine.trainer import Trainer

SWEEP_MODELS = 4096
CLI_CHUNK = 500  # what `l1viz train` steps between progress updates


def notebook_loop_steps_per_second(steps: int) -> float:
    """The notebook's training step, as written there, timed over `steps` steps."""
    torch.manual_seed(42)
    cell = nn.RNNCell(1, 1, bias=False, nonlinearity="relu")
    optimizer = optim.Adam(cell.parameters(), lr=1e-3)
    criterion = nn.MSELoss()
    start = time.perf_counter()
    for _ in range(steps):
        padded, targets = notebook_batch(32, 10)
        optimizer.zero_grad()
        hidden = torch.zeros(padded.size(0), 1)
        for t in range(padded.size(1)):
            step_input = padded[:, t, :]
            hidden = cell(torch.where(step_input < 0, torch.neg(step_input), step_input), hidden)
        loss = criterion(hidden.squeeze(1), targets)
        loss.backward()
        optimizer.step()
        if cell.weight_hh.item() == 1 and cell.weight_ih.item() == 1:
            break
    return steps / (time.perf_counter() - start)


def engine_steps_per_second(
    count: int, steps: int, history_rows: int, activation: str = "relu"
) -> tuple[float, float]:
    """Optimiser steps per second (wall, CPU) for `count` models trained together (no early
    stop)."""
    generator = torch.Generator().manual_seed(0)
    settings = dict(steps=10**7, early_stop=False, history_rows=history_rows, activation=activation)
    if count == 1:
        inits = Init(0.83, 0.7645)
        config = TrainConfig(bias=False, **settings)
    else:
        inits = torch.rand(count, 4, generator=generator) * 2 - 1
        config = TrainConfig(**settings)
    trainer = Trainer(inits, config)
    trainer.step(20)  # warm-up: first data block, kernel load
    chunk = min(CLI_CHUNK, steps)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(0, steps, chunk):
        trainer.step(chunk)
    made = trainer.steps_done - 20
    return made / (time.perf_counter() - wall), made / (time.process_time() - cpu)


def notebook_rates(steps: int) -> tuple[float, float]:
    cpu = time.process_time()
    wall = notebook_loop_steps_per_second(steps)
    return wall, steps / (time.process_time() - cpu)


def data_nanoseconds_per_step(blocks: int = 20) -> float:
    """Drawing the batches (32 x 10) and their features, per step, a block at a time."""
    stream = BatchStream(32, 10, seed=42, prepare=Features("where"))
    stream.block(0)
    size = stream.steps_per_block
    start = time.perf_counter()
    for block in range(1, blocks + 1):
        stream.block(block * size)
    return (time.perf_counter() - start) / (blocks * size) * 1e9


def median_of(repeats: int, measure):
    """The median of each component of `measure()`'s result over `repeats` runs."""
    runs = [measure() for _ in range(repeats)]
    if isinstance(runs[0], tuple):
        return tuple(statistics.median(values) for values in zip(*runs))
    return statistics.median(runs)


def with_torch_path(measure):
    def run():
        saved = build.library
        build.library = lambda: None
        try:
            return measure()
        finally:
            build.library = saved

    return run


def activation_rates(repeats: int) -> None:
    """The kernel's single run (no history) and K = 4,096 sweep per activation, beside ReLU's."""
    load_before = os.getloadavg()[0]
    rates = {}
    for activation in ACTIVATIONS:
        single = median_of(repeats, partial(engine_steps_per_second, 1, 200_000, 0, activation))
        sweep = median_of(
            repeats, partial(engine_steps_per_second, SWEEP_MODELS, 1000, 0, activation)
        )
        rates[activation] = single, sweep
    print(f"# kernel per activation, load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}")
    print(
        f"{'':12} {'single steps/s':>15} {'per CPU-s':>12} {'vs ReLU':>8}"
        f" {'sweep model-steps/s':>20} {'per CPU-s':>14} {'vs ReLU':>8}  target"
    )
    relu_single, relu_sweep = rates["relu"]
    for activation, (single, sweep) in rates.items():
        print(
            f"{activation:12} {single[0]:15,.0f} {single[1]:12,.0f}"
            f" {single[1] / relu_single[1]:7.2f}x {sweep[0] * SWEEP_MODELS:20,.0f}"
            f" {sweep[1] * SWEEP_MODELS:14,.0f} {sweep[1] / relu_sweep[1]:7.2f}x  >= 0.5x"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--activations-only", action="store_true", help="only the per-activation table"
    )
    args = parser.parse_args()
    if build.library() is None:
        print("warning: the C kernel is unavailable; 'kernel' rows use the torch path")
    if args.activations_only:
        activation_rates(args.repeats)
        return
    load_before = os.getloadavg()[0]

    notebook = median_of(args.repeats, lambda: notebook_rates(400))
    rows = [
        ("notebook loop (1 model)", notebook, 1, None),
        (
            "single run, kernel, no history (CLI)",
            median_of(args.repeats, lambda: engine_steps_per_second(1, 500_000, 0)),
            1,
            "100x",
        ),
        (
            "single run, kernel, with history",
            median_of(args.repeats, lambda: engine_steps_per_second(1, 500_000, 20_000)),
            1,
            "50x",
        ),
        (
            "single run, torch path",
            median_of(
                args.repeats, with_torch_path(lambda: engine_steps_per_second(1, 1500, 20_000))
            ),
            1,
            None,
        ),
        (
            f"sweep K={SWEEP_MODELS}, kernel",
            median_of(args.repeats, lambda: engine_steps_per_second(SWEEP_MODELS, 2000, 0)),
            SWEEP_MODELS,
            "20 M/s",
        ),
        (
            f"sweep K={SWEEP_MODELS}, torch path",
            median_of(
                args.repeats, with_torch_path(lambda: engine_steps_per_second(SWEEP_MODELS, 60, 0))
            ),
            SWEEP_MODELS,
            None,
        ),
    ]
    data = median_of(args.repeats, data_nanoseconds_per_step)
    print(
        f"# {datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cores  torch {torch.__version__}  {torch.get_num_threads()} threads  "
        f"load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'':38} {'steps/s':>10} {'model-steps/s':>14} {'vs notebook':>12}"
        f" {'per CPU-second':>15} {'vs notebook':>12}  target"
    )
    for name, (wall, cpu), models, target in rows:
        print(
            f"{name:38} {wall:10,.0f} {wall * models:14,.0f} {wall * models / notebook[0]:11,.0f}x"
            f" {cpu * models:15,.0f} {cpu * models / notebook[1]:11,.0f}x  {target or ''}"
        )
    print(f"data (32 x 10 batch and its |x|): {data:,.0f} ns per step   (target well under 1 us)")
    print()
    activation_rates(args.repeats)


if __name__ == "__main__":
    main()
