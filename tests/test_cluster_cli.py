"""The study subcommands where the user chose: in this process without loading Dask, on a local
cluster (`--workers`), on a running `dask scheduler` with a `dask worker` (`--scheduler`,
L1VIZ_SCHEDULER), printing what they print in-process; bad or unreachable places are one line,
exit status 2 for bad input and 1 for a cluster that cannot run the study."""

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest
import torch

from l1viz.cli import main
from tests.cluster_support import dask_scheduler, dask_worker, free_port

MAP = ["--x", "w_hh", "--y", "lr", "--y-range", "1e-3", "1", "--fixed", "w_ih=0.5", "--grid", "12"]
SWEEP = ["sweep", *MAP, "--steps", "600", "--seeds", "2", "--json"]
TABLE = ["table", "--samples", "8", "--steps", "400", "--json"]
SCHEMES = ["schemes", "--samples", "16", "--steps", "300", "--max-length", "10", "40", "--json"]
BOUNDARY = ["boundary", *MAP, "--steps", "400", "--seeds", "2", "--json"]


def run_cli(*args, cwd=None, **environ):
    """`python -m l1viz ...` with the place variables unset unless given."""
    env = {k: v for k, v in os.environ.items() if k not in ("L1VIZ_SCHEDULER", "L1VIZ_WORKERS")}
    return subprocess.run(
        [sys.executable, "-m", "l1viz", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**env, **environ},
    )


def in_process_json(*args) -> dict:
    """What `python -m l1viz ...` prints in this process: the reference, without a start-up."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(list(args)) == 0
    return json.loads(out.getvalue().strip().splitlines()[-1])


def printed_json(process) -> dict:
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def without_seconds(study: dict) -> dict:
    """A boundary study's JSON without the time each level took."""
    return {**study, "levels": [{**lv, "seconds": None} for lv in study["levels"]]}


def test_in_process_by_default_without_loading_dask():
    code = (
        "import sys; from l1viz.cli import main; "
        f"code = main({['sweep', '--grid', '4', '--steps', '20', '--json']!r}); "
        "print(code, sorted({'dask', 'distributed'} & set(sys.modules)))"
    )
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert process.stdout.strip().splitlines()[-1] == "0 []", process.stderr


def test_sweep_and_schemes_on_a_local_cluster_print_the_in_process_results():
    for command in (SWEEP, SCHEMES):
        on_cluster = run_cli(*command, "--workers", "2")
        assert "on a local Dask cluster of 2 worker processes" in on_cluster.stderr
        assert printed_json(on_cluster) == in_process_json(*command), command[0]


def test_a_dask_scheduler_and_worker_run_sweep_table_and_boundary(tmp_path):
    with dask_scheduler(tmp_path / "scheduler.log") as address:
        with dask_worker(address, tmp_path / "worker.log"):
            by_flag = run_cli(*SWEEP, "--scheduler", address)
            assert f"training on the Dask cluster at {address}" in by_flag.stderr
            assert printed_json(by_flag) == in_process_json(*SWEEP)
            by_variable = run_cli(*TABLE, L1VIZ_SCHEDULER=address)
            assert printed_json(by_variable) == in_process_json(*TABLE)
            boundary = [*BOUNDARY, "--levels", "2"]
            remote = run_cli(*boundary, "--save", "remote", cwd=tmp_path, L1VIZ_SCHEDULER=address)
            local = in_process_json(*boundary, "--save", str(tmp_path / "local"))
            assert without_seconds(printed_json(remote)) == without_seconds(local)


def test_the_cli_shows_a_bar_over_tiles():
    process = run_cli(*SCHEMES[:-1], "--workers", "1")
    assert process.returncode == 0, process.stderr
    assert "Tiles: 100%" in process.stderr and "| 20/20 [" in process.stderr


def test_an_unreachable_scheduler_fails_with_one_line_naming_it():
    address = f"tcp://127.0.0.1:{free_port()}"
    for process in (
        run_cli(*SWEEP, "--scheduler", address),
        run_cli(*TABLE, L1VIZ_SCHEDULER=address),
    ):
        assert process.returncode == 1 and process.stdout == ""
        assert process.stderr.strip().splitlines()[-1] == (
            f"l1viz: error: cannot reach the Dask scheduler at {address}: "
            "[Errno 111] Connection refused"
        )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scheduler", "nowhere"], "argument --scheduler: expected tcp://host:port"),
        (["--workers", "0"], "argument --workers: must be between 1 and 64, got 0"),
        (["--workers", "2", "--scheduler", "tcp://a:1"], "give --workers or --scheduler"),
    ],
)
def test_bad_places_exit_2_naming_the_flag(args, message):
    process = run_cli(*SCHEMES, *args)
    assert process.returncode == 2 and message in process.stderr


def test_cuda_without_a_gpu_says_so():
    process = run_cli(*SCHEMES, "--samples", "2", "--steps", "5", "--device", "cuda")
    if torch.cuda.is_available():
        assert process.returncode == 0, process.stderr
    else:
        assert process.returncode == 2 and "argument --device: no CUDA here" in process.stderr


def test_boundary_resumes_from_the_levels_it_saved(tmp_path):
    first = run_cli(*BOUNDARY, "--levels", "2", "--save", "study", cwd=tmp_path)
    more = run_cli(*BOUNDARY, "--levels", "3", "--save", "study", cwd=tmp_path)
    fresh = run_cli(*BOUNDARY, "--levels", "3", "--save", "fresh", cwd=tmp_path)
    assert "up to 2.3e+05 model-steps" in first.stderr
    assert "resuming: levels 0..1 already measured" in more.stderr
    resumed, whole = printed_json(more), printed_json(fresh)
    assert resumed["levels"][:2] == printed_json(first)["levels"]
    assert without_seconds(resumed) == without_seconds(whole)
    assert len(whole["levels"]) == 3 and whole["dimension"]["count"] == 3
    assert sorted(p.name for p in (tmp_path / "study").iterdir()) == [
        "level-0.npy",
        "level-1.npy",
        "level-2.npy",
        "study.json",
    ]
    other = run_cli(*BOUNDARY, "--zoom", "8", "--save", "study", cwd=tmp_path)
    assert other.returncode == 2 and "argument --save:" in other.stderr
