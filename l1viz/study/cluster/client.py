"""A Dask client for a place (place.py): a LocalCluster started here, or a running cluster by its
scheduler's address, checked before any study is sent to it.

Checks, each a `ClusterError` with a message naming what failed: the scheduler answers within
CONNECT_SECONDS, at least one worker is there, every worker runs this client's l1viz and torch
(versions.py; a worker that joins later is checked by each tile it gets), and with `cuda` some
worker has a GPU.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import urllib.request
import warnings
from dataclasses import dataclass
from functools import cached_property

from distributed import Client, LocalCluster

from l1viz.study.cluster import versions
from l1viz.study.cluster.place import ClusterError, Place
from l1viz.study.cluster.versions import VersionMismatch, Versions, local_versions

CONNECT_SECONDS = 5
# The resource a GPU worker declares (`dask worker --resources GPU=1`); a cuda tile needs one.
GPU = "GPU"
NO_CUDA = "no CUDA here"


@dataclass
class Cluster:
    place: Place
    client: Client
    local: LocalCluster | None = None

    @cached_property
    def dashboard(self) -> str | None:
        """Dask's own dashboard, if it answers: the scheduler names one even when it serves none
        (no bokeh, `--no-dashboard`)."""
        if self.local is not None and not _has_bokeh():
            return None
        link = self.client.dashboard_link
        try:
            with urllib.request.urlopen(link, timeout=CONNECT_SECONDS):
                return link
        except (OSError, ValueError):
            return None

    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def cores(self) -> int:
        """Kernel threads training at once: each worker's task threads times its kernel's."""
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        kernels = self.client.run(_kernel_threads)
        return sum(info["nthreads"] * kernels.get(address, 1) for address, info in workers.items())

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            self.local.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _kernel_threads() -> int:
    from l1viz.engine.kernel.threads import WORKERS

    return WORKERS


def open_cluster(place: Place) -> Cluster:
    """Connect to (or start) the place's cluster and check it; `ClusterError` if it will not do."""
    if place.scheduler:
        cluster = Cluster(place, _connect(place.scheduler))
    else:
        local = _local_cluster(place)
        cluster = Cluster(place, Client(local, set_as_default=False), local)
    try:
        _check_workers(cluster)
    except BaseException:
        cluster.close()
        raise
    return cluster


def _connect(address: str) -> Client:
    """A refused port fails at once through a plain socket (Dask would retry until its timeout),
    and a port that accepts but never answers fails after CONNECT_SECONDS (Dask's own client
    would wait for its handshake forever)."""
    host, port = address.split("://", 1)[1].rsplit(":", 1)
    try:
        socket.create_connection((host.strip("[]"), int(port)), CONNECT_SECONDS).close()
        _answers_within(address, CONNECT_SECONDS)
        return Client(address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)
    except TimeoutError:
        raise ClusterError(
            f"the Dask scheduler at {address} did not answer within {CONNECT_SECONDS} s"
        ) from None
    except Exception as error:  # refused, unknown host, or something else answered
        reason = str(error).split("\n")[0] or type(error).__name__
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {reason}") from None


def _answers_within(address: str, seconds: float) -> None:
    """Open and close an asynchronous client, given up (TimeoutError) after `seconds`; an
    abandoned client only warns, when collected, that it was never closed."""

    async def answers() -> None:
        client = await asyncio.wait_for(Client(address, asynchronous=True), seconds)
        await client.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            asyncio.run(answers())
        finally:
            gc.collect()


def _local_cluster(place: Place) -> LocalCluster:
    """Single-threaded worker processes, the kernel's threads shared out between them."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, (cores or 1) // place.workers)
    return LocalCluster(
        n_workers=place.workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0" if _has_bokeh() else None,
        resources={GPU: 1} if place.device == "cuda" else None,
        env={"L1VIZ_THREADS": str(threads)},
        silence_logs=logging.ERROR,  # not the warnings of workers slow to stop under load
    )


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def _check_workers(cluster: Cluster) -> None:
    client, where = cluster.client, str(cluster.place)
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise ClusterError(f"no worker joined {where} within {CONNECT_SECONDS} s") from None
    mine = local_versions()
    try:
        theirs: dict[str, Versions] = client.run(versions.local_versions)
    except Exception as error:
        raise ClusterError(f"a worker of {where} cannot run l1viz: {error}") from None
    for address, found in sorted(theirs.items()):
        if found != mine:
            raise ClusterError(str(VersionMismatch(found, mine, f"the worker at {address}")))
    if cluster.place.device == "cuda":
        _check_gpus(cluster)


def _check_gpus(cluster: Cluster) -> None:
    import torch

    workers = cluster.client.scheduler_info(n_workers=-1)["workers"]
    with_gpu = [address for address, info in workers.items() if info.get("resources", {}).get(GPU)]
    cuda = cluster.client.run(torch.cuda.is_available, workers=with_gpu) if with_gpu else {}
    if not any(cuda.values()):
        raise ClusterError(
            f"{NO_CUDA}: no worker of {cluster.place} has a GPU "
            f"(start GPU workers with `dask worker --resources {GPU}=1`)"
        )
