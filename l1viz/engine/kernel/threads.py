"""The kernel's own threads, one per core: batched calls split their models between them at
whole vector tiles (kernel.c's LANES), so each model's arithmetic is what it would be alone."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from l1viz.engine.kernel import build

# Below this many cell steps (models x steps x batch x length) per call, one thread is faster
# than handing out work.
PARALLEL_MIN_VALUES = 1 << 16
# Independent of torch's thread count, which sweeps set to 1 for torch's small per-step
# operations (see study/batch.py). L1VIZ_THREADS overrides it: a local Dask cluster's worker
# processes share the cores between them.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_ASKED = os.environ.get("L1VIZ_THREADS", "")
WORKERS = max(1, int(_ASKED)) if _ASKED.isdigit() else CORES


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(
        max_workers=WORKERS, thread_name_prefix="l1viz", initializer=_background_priority
    )


def _background_priority() -> None:
    """Only batched runs (tables, maps) use these threads: on Linux, where threads are scheduled
    one by one, they give way to a live run training on a session's own thread."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except OSError:
            pass


def lanes() -> int:
    """Models per vector tile."""
    return build.library().l1viz_lanes()


def split(count: int, work: int) -> list[tuple[int, int]]:
    """[k0, k1) ranges for the threads, at multiples of the vector width (tiles stay whole)."""
    if WORKERS == 1 or count <= 1 or work < PARALLEL_MIN_VALUES:
        return [(0, count)]
    width = lanes()
    tiles = -(-count // width)
    parts = min(WORKERS, tiles)
    bounds = [min(count, width * (tiles * i // parts)) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def run_parallel(ranges, run) -> list:
    """run(k0, k1) for each range, on the pool when there is more than one."""
    if len(ranges) == 1:
        return [run(*ranges[0])]
    return list(_pool().map(lambda bounds: run(*bounds), ranges))
