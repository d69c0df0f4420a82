"""The compiled evaluation kernel (kernel.c), built on first use with the system C compiler.

It does what `Cell._evaluate_torch` does, bit for bit, in one pass per model instead of dozens of
tensor operations, which is what makes single runs and sweeps fast on CPU. Built into a cache
directory keyed by the source, flags and CPU; if there is no compiler or the build fails, the
engine warns once and uses the torch path. Set L1VIZ_NATIVE=0 to force the torch path.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("kernel.c")
FLAGS = ("-O2", "-march=native", "-ffp-contract=off", "-shared", "-fPIC")
# Below this much work per evaluation, one thread is faster than handing out chunks.
PARALLEL_MIN_VALUES = 1 << 16
# The kernel's own threads, one per core: independent of torch's thread count, which sweeps set
# to 1 for torch's small per-step operations (see batch_run.py).
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cache_dir() -> Path:
    return Path(os.environ.get("L1VIZ_CACHE_DIR", Path.home() / ".cache" / "l1viz"))


def _cpu_signature() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    except OSError:
        flags = ""
    return platform.machine() + flags


def _build(compiler: str) -> Path:
    source = SOURCE.read_bytes()
    key = hashlib.sha256(source + " ".join(FLAGS).encode() + _cpu_signature().encode())
    target = cache_dir() / f"kernel-{key.hexdigest()[:16]}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        built = Path(scratch) / target.name
        subprocess.run(
            [compiler, *FLAGS, str(SOURCE), "-o", str(built), "-lm"],
            check=True,
            capture_output=True,
            text=True,
        )
        os.replace(built, target)  # atomic: concurrent builders cannot leave half a file
    return target


@lru_cache(maxsize=1)
def kernel():
    """The loaded C function, or None when it cannot be built here."""
    if os.environ.get("L1VIZ_NATIVE", "1") == "0":
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        warnings.warn("l1viz: no C compiler found; using the slower torch path", stacklevel=2)
        return None
    try:
        library = ctypes.CDLL(str(_build(compiler)))
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        warnings.warn(f"l1viz: kernel build failed ({detail}); using the torch path", stacklevel=2)
        return None
    function = library.l1viz_evaluate
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_long] * 5 + [ctypes.c_void_p] * 10
    return function


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


def _pointer(tensor: torch.Tensor | None):
    return None if tensor is None else ctypes.c_void_p(tensor.data_ptr())


def evaluate(features, target, w_hh, w_ih, bias, slopes, rows: int):
    """loss (K,), active (K,), sums (rows, K). `features` is (|x|,) or (relu(x), relu(-x)).

    All inputs must be contiguous float32 CPU tensors; parameters are (K,) rows.
    """
    function = kernel()
    count = w_hh.shape[0]
    steps, batch = features[0].shape
    loss = torch.empty(count)
    active = torch.empty(count)
    sums = torch.empty(rows, count)
    feat_b = features[1] if len(features) > 1 else None
    slope_pos, slope_neg = slopes if slopes is not None else (None, None)
    fixed = [_pointer(t) for t in (features[0], feat_b, target, w_hh, w_ih, bias)]
    fixed += [_pointer(t) for t in (slope_pos, slope_neg, loss, active, sums)]

    def run(begin: int, end: int) -> int:
        return function(begin, end, count, steps, batch, *fixed)

    if WORKERS > 1 and count > 1 and count * steps * batch >= PARALLEL_MIN_VALUES:
        bounds = [count * i // WORKERS for i in range(WORKERS + 1)]
        codes = list(_pool().map(run, bounds[:-1], bounds[1:]))
    else:
        codes = [run(0, count)]
    if any(codes):
        raise MemoryError("l1viz kernel: out of memory for this batch")
    return loss, active, sums
