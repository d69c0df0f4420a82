"""The runner (study/runner.py) that trains a study's batches as tiles on a Dask cluster.

Every tile is one task (tiles.py); results are reported as tiles finish, in whatever order. A
worker lost mid-study loses its tasks to the scheduler, which runs them again elsewhere (up to
Dask's `allowed-failures` times): the result is the same, only later. Any other failure of a tile
stops the study with a `ClusterError` naming it, and the tiles still queued are cancelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from distributed import as_completed
from distributed.scheduler import KilledWorker

from l1viz.study.batch import Progress
from l1viz.study.cluster.client import GPU, Cluster
from l1viz.study.cluster.place import ClusterError
from l1viz.study.cluster.tiles import Tile, TileWork, cell_steps_per_model, cut_tiles, train_tile
from l1viz.study.cluster.versions import VersionMismatch, local_versions
from l1viz.study.runner import Ended, ModelBatch

# Told after each tile: tiles finished, tiles in all.
TileCount = Callable[[int, int], None]


class DaskRunner:
    def __init__(
        self, cluster: Cluster, tile_size: int | None = None, on_tile: TileCount | None = None
    ):
        self.cluster, self.tile_size, self.on_tile = cluster, tile_size, on_tile

    @property
    def where(self) -> str:
        return f"on {self.cluster.place}"

    @property
    def dashboard(self) -> str | None:
        return self.cluster.dashboard

    @property
    def cores(self) -> int:
        return self.cluster.cores()

    def run(
        self, batches: Sequence[ModelBatch], on_ended: Ended, on_progress: Progress | None = None
    ) -> None:
        tiles = cut_tiles(batches, self.tile_size)
        if not tiles:
            return
        futures = self._submit(batches, tiles)
        cost = {
            tile: len(tile.models) * cell_steps_per_model(batches[tile.batch].config)
            for tile in tiles
        }
        total, done = sum(cost.values()) or 1.0, 0.0
        finished = as_completed(futures, loop=self.cluster.client.loop)
        try:
            for count, future in enumerate(finished, start=1):
                tile = futures[future]
                outcome = _outcome(future, tile, str(self.cluster.place))
                on_ended(tile.batch, list(tile.models), outcome.results())
                done += cost[tile]
                if on_progress:
                    on_progress(done / total)
                if self.on_tile:
                    self.on_tile(count, len(tiles))
        finally:
            self.cluster.client.cancel(list(futures))

    def _submit(self, batches: Sequence[ModelBatch], tiles: list[Tile]) -> dict:
        """One task per tile, named after the study so Dask's dashboard groups them."""
        device = self.cluster.place.device
        versions, study = local_versions(), uuid.uuid4().hex[:8]
        resources = {GPU: 1} if device == "cuda" else None
        return {
            self.cluster.client.submit(
                train_tile,
                TileWork.of(tile, batches[tile.batch], device, versions),
                key=f"l1viz-tile-{study}-{number}",
                resources=resources,
                pure=False,
            ): tile
            for number, tile in enumerate(tiles)
        }


def _outcome(future, tile, where: str):
    try:
        return future.result()
    except VersionMismatch as error:
        raise ClusterError(str(error)) from None
    except KilledWorker:
        raise ClusterError(
            f"models {tile.start}..{tile.stop - 1} of batch {tile.batch} killed every worker of "
            f"{where} that ran them"
        ) from None
