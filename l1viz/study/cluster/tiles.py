"""A study's batches cut into tiles of models, each trained on its own as one task, its results
returned as numpy arrays. No Dask here: a worker only needs this module and the engine.

A tile is models start..stop of one batch, trained by a trainer of their own on the batch's data
stream. Each model trains exactly as if alone (trainer.py), so a tile's results are those models'
results in the whole batch, bit for bit, whatever the tile size, the worker or the order tiles
finish in. The arrays carry every float at the width the engine computed it and turn back into
the same `RunResult`s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from l1viz.engine.config import TrainConfig
from l1viz.engine.outcomes import Outcome, RunResult
from l1viz.study.batch import torch_on_one_thread
from l1viz.study.cluster.versions import Versions, check_versions
from l1viz.study.runner import ModelBatch

# The kernel's speed on one core, in cell evaluations (models x steps x batch x mean length)
# per second: 30 M model-steps/s at the notebook's batch of 32 and lengths up to 10 (bench/).
CELL_STEPS_PER_CORE_SECOND = 30e6 * 32 * 5.5
# A tile holds about a second of one core's work if none of its models ends early: a task's
# overhead stays a small share of it, and a map still has tiles enough for every worker. The
# notebook's settings give 3,008 models at 10,000 steps.
TILE_CELL_STEPS = CELL_STEPS_PER_CORE_SECOND
# Tiles are whole multiples of the widest vector tile of the kernel (kernel.c's LANES).
TILE_ROUNDING = 16
EVENT_FIELDS = ("converged_at", "died_at", "diverged_at", "silent_from")


def cell_steps_per_model(config: TrainConfig) -> float:
    """Cell evaluations one model costs over the whole budget."""
    return config.steps * config.batch_size * (config.max_length + 1) / 2


def tile_models(config: TrainConfig) -> int:
    """Models per tile for a batch trained with `config` (see TILE_CELL_STEPS)."""
    wanted = TILE_CELL_STEPS / max(cell_steps_per_model(config), 1.0)
    return max(TILE_ROUNDING, math.ceil(wanted / TILE_ROUNDING) * TILE_ROUNDING)


@dataclass(frozen=True)
class Tile:
    batch: int  # index of the batch in the study's list
    start: int
    stop: int

    @property
    def models(self) -> range:
        return range(self.start, self.stop)


def cut_tiles(batches: Sequence[ModelBatch], size: int | None = None) -> list[Tile]:
    """Every batch cut into tiles of `size` models (by default `tile_models` of its config)."""
    tiles = []
    for index, batch in enumerate(batches):
        step = size or tile_models(batch.config)
        tiles += [
            Tile(index, start, min(start + step, batch.count))
            for start in range(0, batch.count, step)
        ]
    return tiles


@dataclass(frozen=True)
class TileWork:
    """What a worker needs to train one tile: plain arrays and settings, small to send."""

    tile: Tile
    inits: np.ndarray  # (K, 4) float32
    config: TrainConfig
    learning_rates: np.ndarray | None  # (K,) float64
    alphas: np.ndarray | None  # (K,) float32
    device: str
    versions: Versions  # the client's: a worker with others refuses the tile

    @classmethod
    def of(cls, tile: Tile, batch: ModelBatch, device: str, versions: Versions) -> TileWork:
        span = slice(tile.start, tile.stop)
        rates, alphas = batch.learning_rates, batch.alphas
        return cls(
            tile,
            batch.inits[span].numpy().copy(),
            batch.config,
            None if rates is None else rates[span].numpy().copy(),
            None if alphas is None else alphas[span].numpy().copy(),
            device,
            versions,
        )

    def batch(self) -> ModelBatch:
        rates = None if self.learning_rates is None else torch.from_numpy(self.learning_rates)
        alphas = None if self.alphas is None else torch.from_numpy(self.alphas)
        return ModelBatch(torch.from_numpy(self.inits), self.config, rates, alphas)


def train_tile(work: TileWork) -> TileOutcome:
    """Train one tile to its end (the task a worker runs)."""
    check_versions(work.versions)
    with torch_on_one_thread():
        trainer = work.batch().trainer(device=work.device)
        return TileOutcome.of(work.tile, trainer.run())


@dataclass(frozen=True, eq=False)
class TileOutcome:
    """The results of a tile's models as arrays; event steps are -1 where the event never held."""

    tile: Tile
    outcome: np.ndarray  # (K,) int8 index into Outcome
    steps: np.ndarray  # (K,) int64
    events: np.ndarray  # (len(EVENT_FIELDS), K) int64
    dead_at_init: np.ndarray  # (K,) bool
    initial_names: tuple[str, ...]
    initial: np.ndarray  # (names, K) float64, each the engine's value exactly
    final_names: tuple[str, ...]
    final: np.ndarray
    loss: np.ndarray  # (K,) float64
    active: np.ndarray

    @classmethod
    def of(cls, tile: Tile, results: list[RunResult]) -> TileOutcome:
        outcomes = list(Outcome)

        def steps_of(values) -> np.ndarray:
            return np.array([-1 if value is None else value for value in values], dtype=np.int64)

        first = results[0]
        return cls(
            tile=tile,
            outcome=np.array([outcomes.index(r.outcome) for r in results], dtype=np.int8),
            steps=steps_of(r.steps for r in results),
            events=np.stack([steps_of(getattr(r, name) for r in results) for name in EVENT_FIELDS]),
            dead_at_init=np.array([r.dead_at_init for r in results], dtype=bool),
            initial_names=tuple(first.initial),
            initial=np.array([list(r.initial.values()) for r in results], dtype=np.float64).T,
            final_names=tuple(first.params),
            final=np.array([list(r.params.values()) for r in results], dtype=np.float64).T,
            loss=np.array([r.loss for r in results], dtype=np.float64),
            active=np.array([r.active for r in results], dtype=np.float64),
        )

    def results(self) -> list[RunResult]:
        outcomes = list(Outcome)
        events = [[None if s < 0 else s for s in row] for row in self.events.tolist()]
        initial, final = self.initial.T.tolist(), self.final.T.tolist()
        return [
            RunResult(
                outcome=outcomes[code],
                steps=steps,
                **{name: row[k] for name, row in zip(EVENT_FIELDS, events)},
                dead_at_init=dead,
                initial=dict(zip(self.initial_names, initial[k])),
                params=dict(zip(self.final_names, final[k])),
                loss=loss,
                active=active,
            )
            for k, (code, steps, dead, loss, active) in enumerate(
                zip(
                    self.outcome.tolist(),
                    self.steps.tolist(),
                    self.dead_at_init.tolist(),
                    self.loss.tolist(),
                    self.active.tolist(),
                )
            )
        ]
