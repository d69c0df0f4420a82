"""Memory over a long single run: the resident set should stay flat while history is decimated.

python -m bench.long_run [--steps 1000000] [--report-every 100000]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.trainer import Trainer


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--report-every", type=int, default=100_000)
    args = parser.parse_args()
    # A slow learner that neither converges nor dies within the budget.
    config = TrainConfig(steps=args.steps, lr=1e-6, early_stop=False)
    trainer = Trainer(Init(0.3, 0.2, -0.5, 0.1), config)
    start = time.perf_counter()
    print(f"{'step':>10} {'RSS MB':>8} {'history rows':>13} {'stride':>7} {'steps/s':>9}")
    while not trainer.done:
        trainer.step(args.report_every)
        rate = trainer.steps_done / (time.perf_counter() - start)
        print(
            f"{trainer.steps_done:>10,} {resident_mb():>8.1f} {len(trainer.history):>13,} "
            f"{trainer.history.stride:>7} {rate:>9,.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
