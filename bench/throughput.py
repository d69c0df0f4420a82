"""Training throughput, side by side with the notebook's own loop.

    python -m bench.throughput [--repeats 3]

Prints steps/s of a single run and model-steps/s of a K = 4,096 sweep, for the engine's compiled
kernel and its pure-torch path, against a re-implementation of the notebook's per-sample loop
(nn.RNNCell + autograd + torch.optim.Adam, batches built sample by sample). Each figure is the
median of --repeats timings; this machine's timings vary by ±20 % from run to run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

import torch
from torch import nn, optim

from l1viz.engine import native
from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.data import notebook_batch
from l1viz.engine.trainer import Trainer

SWEEP_MODELS = 4096


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


def engine_steps_per_second(count: int, steps: int, history_rows: int) -> float:
    """Optimiser steps per second for `count` models trained together (no early stop)."""
    generator = torch.Generator().manual_seed(0)
    if count == 1:
        inits = Init(0.83, 0.7645)
        config = TrainConfig(bias=False, steps=10**7, early_stop=False, history_rows=history_rows)
    else:
        inits = torch.rand(count, 4, generator=generator) * 2 - 1
        config = TrainConfig(steps=10**7, early_stop=False, history_rows=history_rows)
    trainer = Trainer(inits, config)
    trainer.step(20)  # warm-up: first data chunk, kernel load
    start = time.perf_counter()
    trainer.step(steps)
    return steps / (time.perf_counter() - start)


def median_of(repeats: int, measure) -> float:
    return statistics.median(measure() for _ in range(repeats))


def with_torch_path(measure):
    def run():
        saved = native.kernel
        native.kernel = lambda: None
        try:
            return measure()
        finally:
            native.kernel = saved

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if native.kernel() is None:
        print("warning: the C kernel is unavailable; 'kernel' rows use the torch path")

    notebook = median_of(args.repeats, lambda: notebook_loop_steps_per_second(400))
    rows = [
        ("notebook loop (1 model)", notebook, 1),
        (
            "single run, kernel, with history",
            median_of(args.repeats, lambda: engine_steps_per_second(1, 6000, 20_000)),
            1,
        ),
        (
            "single run, kernel, no history",
            median_of(args.repeats, lambda: engine_steps_per_second(1, 6000, 0)),
            1,
        ),
        (
            "single run, torch path",
            median_of(
                args.repeats, with_torch_path(lambda: engine_steps_per_second(1, 1500, 20_000))
            ),
            1,
        ),
        (
            f"sweep K={SWEEP_MODELS}, kernel",
            median_of(args.repeats, lambda: engine_steps_per_second(SWEEP_MODELS, 300, 0)),
            SWEEP_MODELS,
        ),
        (
            f"sweep K={SWEEP_MODELS}, torch path",
            median_of(
                args.repeats, with_torch_path(lambda: engine_steps_per_second(SWEEP_MODELS, 60, 0))
            ),
            SWEEP_MODELS,
        ),
    ]
    print(
        f"# {datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cores  torch {torch.__version__}  {torch.get_num_threads()} threads"
    )
    print(f"{'':36} {'steps/s':>10} {'model-steps/s':>14} {'vs notebook':>12}")
    for name, steps_per_second, models in rows:
        model_steps = steps_per_second * models
        print(
            f"{name:36} {steps_per_second:10,.0f} {model_steps:14,.0f} "
            f"{model_steps / notebook:11,.0f}x"
        )


if __name__ == "__main__":
    main()
