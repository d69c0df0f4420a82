"""Studies on real Dask clusters on 127.0.0.1: a LocalCluster of worker processes and a `dask
scheduler` with a `dask worker`. The results are the in-process bits whatever the tile size or
the worker; a worker killed mid-study has its tiles run again; unreachable schedulers, empty
clusters and workers with other versions are refused with a message naming them."""

import os
import signal
import socket
import threading
import urllib.request

import pytest

from l1viz.engine.kernel import threads
from l1viz.study.cluster import client as client_module
from l1viz.study.cluster import dask_runner
from l1viz.study.cluster.client import open_cluster
from l1viz.study.cluster.dask_runner import DaskRunner
from l1viz.study.cluster.place import ClusterError, Place
from l1viz.study.cluster.versions import Versions, local_versions
from l1viz.study.runner import InProcess
from tests.cluster_support import (
    bits,
    dask_scheduler,
    dask_worker,
    free_port,
    reported,
    study_batches,
)


@pytest.fixture(scope="module")
def in_process_bits():
    return bits(reported(InProcess(), study_batches()))


@pytest.fixture(scope="module")
def local_cluster():
    with open_cluster(Place(workers=2)) as cluster:
        yield cluster


def other_torch() -> Versions:
    return Versions(local_versions().l1viz, "0.0.1")


@pytest.mark.parametrize("tile_size", [48, None])
def test_a_local_cluster_gives_the_in_process_bits(local_cluster, in_process_bits, tile_size):
    local_cluster.client.wait_for_workers(2, timeout=60)
    runner = DaskRunner(local_cluster, tile_size=tile_size)
    assert bits(reported(runner, study_batches())) == in_process_bits


def test_a_local_cluster_links_dask_s_dashboard(local_cluster):
    with urllib.request.urlopen(local_cluster.dashboard, timeout=30) as page:
        assert page.status == 200 and local_cluster.dashboard.endswith("/status")


def test_local_workers_share_the_cores_between_their_kernels(local_cluster):
    cores = len(os.sched_getaffinity(0))
    kernel_threads = local_cluster.client.run(lambda: threads.WORKERS)
    assert set(kernel_threads.values()) == {max(1, cores // 2)}


def test_progress_counts_every_tile_once(local_cluster):
    seen, shares = [], []
    runner = DaskRunner(local_cluster, tile_size=100, on_tile=lambda d, n: seen.append((d, n)))
    runner.run(study_batches(), lambda *ended: None, shares.append)
    assert seen == [(done, 6) for done in range(1, 7)]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)


def test_a_worker_killed_mid_study_has_its_tiles_run_again(local_cluster, in_process_bits):
    client = local_cluster.client
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)
    killed = []

    def on_tile(done: int, total: int) -> None:
        """Once the first tile is in, kill a worker the scheduler says is training one."""
        if killed:
            return
        busy = [worker for worker, keys in client.processing().items() if keys]
        assert busy, "no tile left in flight to lose"
        killed.append(pids[busy[0]])
        os.kill(pids[busy[0]], signal.SIGKILL)

    runner = DaskRunner(local_cluster, tile_size=16, on_tile=on_tile)
    assert bits(reported(runner, study_batches())) == in_process_bits
    client.wait_for_workers(2, timeout=60)
    assert killed and killed[0] not in client.run(os.getpid).values()


def test_workers_with_another_torch_are_refused_naming_both_versions(local_cluster, monkeypatch):
    monkeypatch.setattr(client_module, "local_versions", other_torch)
    with pytest.raises(ClusterError) as raised:
        client_module._check_workers(local_cluster)
    message = str(raised.value)
    assert "the worker at tcp://127.0.0.1:" in message
    assert f"torch {local_versions().torch}" in message and "torch 0.0.1" in message


def test_a_worker_that_joined_later_refuses_tiles_of_another_version(local_cluster, monkeypatch):
    monkeypatch.setattr(dask_runner, "local_versions", other_torch)
    with pytest.raises(ClusterError, match="torch 0.0.1"):
        DaskRunner(local_cluster).run(study_batches(models=32, steps=10), lambda *ended: None)


def test_an_unreachable_scheduler_is_named():
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterError, match=f"cannot reach the Dask scheduler at {address}"):
        open_cluster(Place(scheduler=address))


def test_a_port_that_never_answers_is_given_up_within_10_seconds():
    """A listening socket that accepts and says nothing: Dask's own client would wait forever."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        outcome = []

        def connect():
            try:
                open_cluster(Place(scheduler=address))
            except ClusterError as error:
                outcome.append(str(error))

        attempt = threading.Thread(target=connect, daemon=True)
        attempt.start()
        attempt.join(timeout=10)
        assert outcome == [f"the Dask scheduler at {address} did not answer within 5 s"]


def test_a_dask_scheduler_and_worker_give_the_in_process_bits(tmp_path, in_process_bits):
    with dask_scheduler(tmp_path / "scheduler.log") as address:
        with pytest.raises(ClusterError, match=f"no worker joined the Dask cluster at {address}"):
            open_cluster(Place(scheduler=address))
        with dask_worker(address, tmp_path / "worker.log"):
            with open_cluster(Place(scheduler=address)) as cluster:
                assert cluster.workers() == 1
                assert cluster.dashboard is None  # the scheduler was started --no-dashboard
                runner = DaskRunner(cluster, tile_size=64)
                assert runner.where == f"on the Dask cluster at {address}"
                assert bits(reported(runner, study_batches())) == in_process_bits


def test_cuda_needs_a_gpu_worker(local_cluster):
    cluster = client_module.Cluster(Place(workers=2, device="cuda"), local_cluster.client)
    with pytest.raises(ClusterError, match="no CUDA here"):
        client_module._check_gpus(cluster)
