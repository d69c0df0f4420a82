"""Where a study subcommand trains (`--workers`, `--scheduler`, `--device`, else L1VIZ_SCHEDULER
or L1VIZ_WORKERS, else this process) and the progress bar that goes with it: the phase bar
in-process, a bar over tiles on a cluster. A cluster that cannot run the study is a
`ClusterError` (exit status 1); Dask is imported only when a cluster is asked for.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tqdm import tqdm

from l1viz.cli.arguments import whole_number
from l1viz.cli.progress import progress_bar
from l1viz.engine.config import ConfigError
from l1viz.study.cluster.place import (
    DEVICES,
    MAX_LOCAL_WORKERS,
    SCHEDULER_VARIABLE,
    WORKERS_VARIABLE,
    Place,
    place_from,
)
from l1viz.study.runner import InProcess, Runner


def add_place_arguments(parser) -> None:
    where = parser.add_argument_group("where it runs (default: this process)")
    where.add_argument(
        "--workers",
        type=whole_number,
        metavar="N",
        help=f"a local Dask cluster of N worker processes (1..{MAX_LOCAL_WORKERS}; "
        f"${WORKERS_VARIABLE})",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help=f"a running Dask cluster (`dask scheduler`, `dask worker`; ${SCHEDULER_VARIABLE})",
    )
    where.add_argument(
        "--device",
        choices=DEVICES,
        default="cpu",
        help="cuda: tiles on the torch path, on workers with a GPU (`--resources GPU=1`)",
    )


@dataclass
class Study:
    """The runner to hand the study, and what the study's updates should drive."""

    runner: Runner
    progress: object  # progress(share, label): the phase bar; a no-op on a cluster


@contextmanager
def study_place(args) -> Iterator[Study]:
    place = place_from(args.workers, args.scheduler, args.device, os.environ)
    show = not args.json
    if place.in_process:
        _check_local_device(place)
        bar, on_progress = progress_bar(show)
        with bar:
            yield Study(InProcess(place.device), on_progress)
        return
    from l1viz.study.cluster.where import runner_at

    bars: list[tqdm] = []  # the tile bar, started once the cluster is up

    def on_tile(done: int, total: int) -> None:
        bars[0].total, bars[0].n = total, done
        bars[0].refresh()

    with runner_at(place, on_tile=on_tile) as runner:
        dashboard = getattr(runner, "dashboard", None)
        seen = f"; Dask's dashboard: {dashboard}" if dashboard else ""
        print(f"l1viz: training {runner.where}{seen}", file=sys.stderr)  # --json too
        with tqdm(total=0, unit="tile", disable=not show, file=sys.stderr, desc="Tiles") as bar:
            bars.append(bar)
            yield Study(runner, lambda share, label: None)


def _check_local_device(place: Place) -> None:
    if place.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("device", "no CUDA here: train on cpu, or on a cluster's GPU workers")
