"""Studies on a Dask cluster: strong scaling, the overhead per tile, the boundary study projected.

    python -m bench.cluster [--grid 256] [--steps 10000]

1. Strong scaling: the same grid x grid x steps map (w_hh x w_ih, the notebook's settings) in
   this process (the kernel's own threads, one per core) and on a running LocalCluster of 1 and
   of 2 single-threaded workers (one kernel thread each). The cluster's start-up and the workers'
   first tile (importing torch, loading the kernel) are timed apart. Printed: model-steps/s
   (the steps the runs really took) by the clock and per CPU-second (this process's threads,
   or the workers' processes), and the efficiency per core against in-process (target >= 80 %).
   The kernel's threads in this process run at nice 10 and a worker's at 0, so under load the
   per-CPU-second figures compare like with like.
2. The overhead per tile: many tiles of 16 models x 1 step on one worker, against the same tiles
   trained in this process.
3. The boundary study of issue 22 (6 levels of a 256 x 256 map, 16 seeds, 50,000 steps) on 1, 8
   and 64 machines of this kind (2 workers each), from the 2-worker speed per CPU-second and the
   overhead per tile: an upper bound, every run taking its whole budget.
4. GPU workers: the map on a cuda worker where CUDA is present; "no CUDA here" otherwise.

The machine is shared: the load average is printed; run it when the machine is quiet.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import time

import torch

from l1viz.engine.kernel import threads
from l1viz.study.cluster.client import Cluster, _check_workers
from l1viz.study.cluster.dask_runner import DaskRunner
from l1viz.study.cluster.place import Place
from l1viz.study.cluster.tiles import (
    TileWork,
    cell_steps_per_model,
    cut_tiles,
    tile_models,
    train_tile,
)
from l1viz.study.cluster.versions import local_versions
from l1viz.study.map import SweepSettings, measure_sweep
from l1viz.study.map.zoom_levels import BoundarySettings
from l1viz.study.runner import InProcess, ModelBatch

MACHINES = (1, 8, 64)
WORKERS_PER_MACHINE = 2  # single-threaded workers on a machine like this one (2 cores)


def local_cluster(workers: int, device: str = "cpu") -> Cluster:
    """A LocalCluster of single-threaded workers, each kernel on one thread."""
    from distributed import Client, LocalCluster

    local = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: another cluster may hold 8787
        env={"L1VIZ_THREADS": "1"},
        resources={"GPU": 1} if device == "cuda" else None,
        silence_logs=logging.ERROR,
    )
    cluster = Cluster(Place(workers=workers, device=device), Client(local), local)
    _check_workers(cluster)
    return cluster


def model_steps(result) -> int:
    return sum(value for row in result.steps for value in row)


def timed_map(settings: SweepSettings, runner, cluster: Cluster | None = None):
    """Wall seconds, CPU seconds (this process, or the workers' processes) and model-steps."""
    cpu = _cpu_seconds(cluster)
    start = time.perf_counter()
    result = measure_sweep(settings, runner=runner)
    wall = time.perf_counter() - start
    return wall, _cpu_seconds(cluster) - cpu, model_steps(result)


def _cpu_seconds(cluster: Cluster | None) -> float:
    if cluster is None:
        return time.process_time()
    return sum(cluster.client.run(time.process_time).values())


def warm(cluster: Cluster) -> float:
    """Every worker trains a tiny tile (imports, the kernel's load); seconds taken."""
    start = time.perf_counter()
    tiny = SweepSettings(grid=4, steps=10)
    measure_sweep(tiny, runner=DaskRunner(cluster, tile_size=1))
    return time.perf_counter() - start


def strong_scaling(settings: SweepSettings) -> dict:
    cores = threads.WORKERS
    budget = settings.grid**2 * settings.steps
    wall, cpu, steps = timed_map(settings, InProcess())
    print(
        f"in-process, {cores} kernel threads: {wall:.1f} s, {steps / wall / 1e6:.1f} M "
        f"model-steps/s, {steps / cpu / 1e6:.1f} M per CPU-second ({steps:.3g} model-steps of "
        f"the {budget:.3g} budgeted)"
    )
    per_core, per_cpu = steps / wall / cores, steps / cpu
    figures = {}
    for workers in (1, 2):
        start = time.perf_counter()
        cluster = local_cluster(workers)
        started = time.perf_counter() - start
        warmed = warm(cluster)
        wall, cpu, steps = timed_map(settings, DaskRunner(cluster), cluster)
        config = settings.train_config(settings.corners()[0])
        tiles = math.ceil(settings.grid**2 / tile_models(config))
        named = f"{workers} single-threaded worker" + "s" * (workers > 1)
        print(
            f"LocalCluster of {named}: start-up {started:.1f} s, first tile on every worker "
            f"{warmed:.1f} s; map {wall:.1f} s in {tiles} tiles: {steps / wall / 1e6:.1f} M "
            f"model-steps/s ({steps / wall / workers / per_core:.0%} of in-process per core), "
            f"{steps / cpu / 1e6:.1f} M per CPU-second ({steps / cpu / per_cpu:.0%})"
        )
        figures[workers] = steps / cpu
        cluster.close()
    return figures


def tile_overhead(count: int = 200) -> float:
    settings = SweepSettings(grid=4, steps=1)
    config = settings.train_config(settings.corners()[0])
    batch = ModelBatch(torch.full((16 * count, 4), 0.5), config)
    tiles = cut_tiles([batch], 16)
    start = time.perf_counter()
    for tile in tiles:
        train_tile(TileWork.of(tile, batch, "cpu", local_versions()))
    alone = (time.perf_counter() - start) / count
    cluster = local_cluster(1)
    warm(cluster)
    start = time.perf_counter()
    DaskRunner(cluster, tile_size=16).run([batch], lambda *ended: None)
    on_cluster = (time.perf_counter() - start) / count
    cluster.close()
    overhead = on_cluster - alone
    print(
        f"per tile: {on_cluster * 1e3:.1f} ms on one worker, {alone * 1e3:.1f} ms trained here: "
        f"{overhead * 1e3:.1f} ms of overhead per tile"
    )
    return overhead


def client_cost() -> float:
    """Seconds per model of the study's own bookkeeping (its batches, each model's result, the
    map's grids): a 256 x 256 map of one step, where training is nothing."""
    settings = SweepSettings(grid=256, steps=1)
    start = time.perf_counter()
    measure_sweep(settings)
    cost = (time.perf_counter() - start) / 256**2
    print(f"the study's own work per model (a 256 x 256 map of 1 step): {cost * 1e6:.0f} us")
    return cost


def projection(per_worker: float, overhead: float, per_model: float) -> None:
    """`per_worker`: model-steps per CPU-second of a worker at the notebook's settings: what a
    worker with a core to itself trains per second. `per_model`: the client's own work, serial."""
    study = BoundarySettings(SweepSettings(grid=256, seeds=16, steps=50_000), levels=6)
    budget = study.budget()
    config = study.start.train_config(study.start.corners()[0])
    tiles = study.levels * math.ceil(256 * 256 * 16 / tile_models(config))
    print(
        f"boundary study: {budget:.3g} model-steps at most, {tiles:,} tiles of "
        f"{tile_models(config):,} models ({cell_steps_per_model(config):.3g} cell evaluations "
        "each)"
    )
    client = study.levels * 256 * 256 * 16 * per_model
    print(f"  the client's own work, whatever the machines: {client / 60:.1f} min")
    for machines in MACHINES:
        workers = machines * WORKERS_PER_MACHINE
        seconds = budget / (per_worker * workers) + tiles * overhead / workers + client
        print(f"  on {machines:>2} machine(s), {workers:>3} workers: up to {seconds / 3600:.2f} h")


def gpu(settings: SweepSettings) -> None:
    if not torch.cuda.is_available():
        print("GPU workers: no CUDA here")
        return
    cluster = local_cluster(1, device="cuda")
    wall, _, steps = timed_map(settings, DaskRunner(cluster))
    print(f"GPU worker: {wall:.1f} s, {steps / wall / 1e6:.1f} M model-steps/s")
    cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    print(f"load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    settings = SweepSettings(grid=args.grid, steps=args.steps)
    measure_sweep(SweepSettings(grid=4, steps=10))  # the kernel's load, not timed
    figures = strong_scaling(settings)
    overhead = tile_overhead()
    projection(figures[2], overhead, client_cost())
    gpu(settings)
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
