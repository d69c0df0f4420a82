"""The runner for a place: in this process without touching Dask, or on a Dask cluster opened
for as long as the `with` block lasts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from l1viz.study.cluster.place import ClusterError, Place
from l1viz.study.runner import InProcess, Runner

INSTALL_HINT = "pip install -e .[cluster]"


@contextmanager
def runner_at(place: Place, tile_size: int | None = None, on_tile=None) -> Iterator[Runner]:
    """`on_tile(finished, total)` hears of each tile on a cluster (in-process has none)."""
    if place.in_process:
        yield InProcess(place.device)
        return
    try:
        from l1viz.study.cluster.client import open_cluster
        from l1viz.study.cluster.dask_runner import DaskRunner
    except ImportError as error:
        raise ClusterError(f"Dask is needed to run on {place} ({error}): {INSTALL_HINT}") from None
    with open_cluster(place) as cluster:
        yield DaskRunner(cluster, tile_size, on_tile)
