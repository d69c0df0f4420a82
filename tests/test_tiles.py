"""Tiles of models (no Dask): however a study is cut and in whatever order its tiles are
trained, each model ends with the bits it has when its whole batch trains in this process."""

import random
from collections import Counter

import pytest

from l1viz.engine.config import ConfigError, TrainConfig
from l1viz.engine.outcomes import Outcome
from l1viz.study.cluster.place import ClusterError, Place, place_from, scheduler_address
from l1viz.study.cluster.tiles import (
    TILE_ROUNDING,
    TileOutcome,
    TileWork,
    cut_tiles,
    tile_models,
    train_tile,
)
from l1viz.study.cluster.versions import VersionMismatch, Versions, local_versions
from l1viz.study.runner import InProcess
from tests.cluster_support import bits, reported, study_batches


@pytest.fixture(scope="module")
def in_process():
    return reported(InProcess(), study_batches())


def test_the_study_ends_every_way_at_many_steps(in_process):
    outcomes = Counter(result.outcome for result in in_process.values())
    assert {Outcome.CONVERGED, Outcome.DEAD, Outcome.DIVERGED, Outcome.STALLED} <= set(outcomes)
    assert len({result.steps for result in in_process.values()}) > 50


@pytest.mark.parametrize("size", [1, 16, 37, 5000])
def test_tiles_of_any_size_in_any_order_give_the_in_process_bits(in_process, size):
    batches = study_batches()
    tiles = cut_tiles(batches, size)
    random.Random(size).shuffle(tiles)
    found = {}
    for tile in tiles if size > 1 else tiles[:40]:
        outcome = train_tile(TileWork.of(tile, batches[tile.batch], "cpu", local_versions()))
        found.update({(tile.batch, k): r for k, r in zip(tile.models, outcome.results())})
    expected = in_process if size > 1 else {key: in_process[key] for key in found}
    assert bits(found) == bits(expected)


def test_tiles_cover_every_model_once_at_multiples_of_the_vector_width():
    batches = study_batches()
    tiles = cut_tiles(batches)
    covered = Counter((tile.batch, k) for tile in tiles for k in tile.models)
    assert set(covered.values()) == {1}
    assert len(covered) == sum(batch.count for batch in batches)
    notebook = tile_models(TrainConfig(steps=10_000))
    assert notebook % TILE_ROUNDING == 0 and 2_000 <= notebook <= 5_000
    assert tile_models(TrainConfig(steps=50_000, max_length=1000)) == TILE_ROUNDING


def test_a_tile_outcome_turns_back_into_the_same_results(in_process):
    results = list(in_process.values())
    again = TileOutcome.of(None, results).results()
    assert [r.outcome for r in again] == [r.outcome for r in results]
    assert bits(dict(enumerate(again))) == bits(dict(enumerate(results)))


def test_a_worker_with_other_versions_refuses_a_tile_naming_both():
    batches = study_batches(models=16, steps=10)
    client = Versions(local_versions().l1viz, "0.0.1")
    work = TileWork.of(cut_tiles(batches)[0], batches[0], "cpu", client)
    with pytest.raises(VersionMismatch) as raised:
        train_tile(work)
    message = str(raised.value)
    assert f"torch {local_versions().torch}" in message and "torch 0.0.1" in message


def test_places_are_read_from_flags_then_the_environment():
    assert place_from().in_process and str(place_from()) == "this process"
    environ = {"L1VIZ_SCHEDULER": " 127.0.0.1:8786 "}
    assert place_from(settings=environ).scheduler == "tcp://127.0.0.1:8786"
    assert place_from(workers=2, settings=environ) == Place(workers=2)
    assert place_from(settings={"L1VIZ_WORKERS": "3"}).workers == 3
    assert str(Place(workers=1)) == "a local Dask cluster of 1 worker process"


@pytest.mark.parametrize(
    "given",
    [
        {"scheduler": "tcp://host"},
        {"scheduler": "http://host:8786"},
        {"scheduler": "tcp://host:99999"},
        {"workers": 0},
        {"workers": 2, "scheduler": "tcp://a:1"},
    ],
)
def test_bad_places_are_refused_naming_the_setting(given):
    with pytest.raises(ConfigError) as raised:
        Place(**given)
    assert raised.value.field in ("scheduler", "workers")


def test_a_bad_worker_count_in_the_environment_is_named():
    with pytest.raises(ConfigError, match="L1VIZ_WORKERS: must be a whole number"):
        place_from(settings={"L1VIZ_WORKERS": "two"})
    with pytest.raises(ConfigError, match="L1VIZ_SCHEDULER: expected tcp://host:port"):
        place_from(settings={"L1VIZ_SCHEDULER": "tcp://nowhere"})


def test_scheduler_addresses_keep_their_scheme():
    assert scheduler_address("tls://[::1]:8786") == "tls://[::1]:8786"
    assert issubclass(ClusterError, RuntimeError)
