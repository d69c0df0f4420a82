"""Shared by the cluster tests: a small study's batches, what a runner reports of them, and
the bits of results to compare."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

try:
    import distributed  # noqa: F401
except ImportError as missing:  # say how, rather than a bare collection error
    raise ImportError(
        "the cluster tests need Dask: pip install -e '.[cluster]' (tests/run.sh installs it)"
    ) from missing

from l1viz.engine.config import TrainConfig
from l1viz.study.cluster.tiles import TileOutcome
from l1viz.study.runner import ModelBatch

BIT_FIELDS = ("outcome", "steps", "events", "dead_at_init", "initial", "final", "loss", "active")


def study_batches(models: int = 400, steps: int = 3000) -> list[ModelBatch]:
    """Two data streams; inits and learning rates spread so that runs converge, die, diverge
    and stall, at many different steps."""
    rng = torch.Generator().manual_seed(5)
    inits = (torch.rand(models, 4, generator=rng) * 3 - 1.5).float()
    rates = 10 ** (torch.rand(models, generator=rng, dtype=torch.float64) * 3 - 3.5)
    config = TrainConfig(steps=steps, bias=True)
    other = TrainConfig(steps=steps // 2, bias=False, seed=7, max_length=100)
    steep = inits[: models // 3] * torch.tensor([2.0, 1.0, 1.0, 1.0])  # w_hh up to 3 overflows
    return [ModelBatch(inits, config, rates), ModelBatch(steep, other)]


def reported(runner, batches) -> dict[tuple[int, int], object]:
    """(batch, model) -> RunResult, checking that each model is reported exactly once."""
    found = {}

    def on_ended(batch, models, results):
        assert len(models) == len(results)
        for model, result in zip(models, results):
            assert (batch, model) not in found, "a model was reported twice"
            found[(batch, model)] = result

    runner.run(batches, on_ended)
    assert set(found) == {(b, k) for b, batch in enumerate(batches) for k in range(batch.count)}
    return found


def bits(results: dict) -> dict[str, bytes]:
    """Every number of every result as bytes, in (batch, model) order."""
    keys = sorted(results)
    outcome = TileOutcome.of(None, [results[key] for key in keys])
    return {name: np.ascontiguousarray(getattr(outcome, name)).tobytes() for name in BIT_FIELDS}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dask_command(*args: str) -> list[str]:
    """The `dask` command of this environment (scheduler, worker)."""
    return [str(Path(sys.executable).with_name("dask")), *args]


@contextlib.contextmanager
def dask_scheduler(log: Path):
    """`dask scheduler` on a free port of 127.0.0.1; yields its address once it listens."""
    port = free_port()
    command = dask_command("scheduler", "--host", "127.0.0.1", "--port", str(port))
    with _process(command + ["--no-dashboard"], log):
        wait_listening("127.0.0.1", port)
        yield f"tcp://127.0.0.1:{port}"


@contextlib.contextmanager
def dask_worker(address: str, log: Path, *options: str):
    """One single-threaded `dask worker` process joined to `address`."""
    command = dask_command("worker", address, "--nthreads", "1", "--nworkers", "1")
    with _process(command + ["--no-dashboard", *options], log) as process:
        yield process


@contextlib.contextmanager
def _process(command: list[str], log: Path):
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_listening(host: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), 1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout:.0f} s")
