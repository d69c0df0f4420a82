"""The compiled kernel (kernel.c), built on first use with the system C compiler, called through
cffi on the declarations of kernel.h (the one place the C signatures are written).

It trains whole chunks of steps for many models (native_path.py), evaluates one batch
(`evaluate`, for `Cell.loss_and_grads`), draws the training data (`draw`) and its features
(`Features`), each bit for bit what the torch path computes. Built into a cache directory keyed by
the sources, the flags, the compiler and the CPU; if there is no compiler or the build fails, the
engine warns once and uses the torch path. Set L1VIZ_NATIVE=0 to force the torch path.

Every tensor handed to C is checked first (dtype, CPU, contiguous, shape): C trusts its pointers.
"""

from __future__ import annotations

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

import cffi
import torch

from l1viz.engine.config import TRANSFORMS

SOURCE = Path(__file__).with_name("kernel.c")
HEADER = Path(__file__).with_name("kernel.h")
FLAGS = (
    "-O2",
    "-funroll-loops",
    "-march=native",
    "-ffp-contract=off",
    "-fno-math-errno",
    "-shared",
    "-fPIC",
)
# Below this many cell steps (models x steps x batch x length) per call, one thread is faster
# than handing out work.
PARALLEL_MIN_VALUES = 1 << 16
# The kernel's own threads, one per core: independent of torch's thread count, which sweeps set
# to 1 for torch's small per-step operations (see study/batch.py).
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

ffi = cffi.FFI()
ffi.cdef(HEADER.read_text())


def cache_dir() -> Path:
    return Path(os.environ.get("L1VIZ_CACHE_DIR", Path.home() / ".cache" / "l1viz"))


def _cpu_signature() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    except OSError:
        flags = ""
    return platform.machine() + flags


def compiler_identity(compiler: str) -> str:
    """The compiler's resolved path and its `--version` output: a different compiler (or an
    upgrade of the same one) builds a different library."""
    path = shutil.which(compiler) or compiler
    try:
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, check=False, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        version = ""
    return f"{os.path.realpath(path)}\n{version}"


def build_key(compiler: str) -> str:
    parts = [SOURCE.read_bytes(), HEADER.read_bytes(), " ".join(FLAGS).encode()]
    parts += [_cpu_signature().encode(), compiler_identity(compiler).encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _build(compiler: str) -> Path:
    target = cache_dir() / f"kernel-{build_key(compiler)}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        built = Path(scratch) / target.name
        subprocess.run(
            [compiler, *FLAGS, f"-I{HEADER.parent}", str(SOURCE), "-o", str(built), "-lm"],
            check=True,
            capture_output=True,
            text=True,
        )
        os.replace(built, target)  # atomic: concurrent builders cannot leave half a file
    return target


def find_compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")


@lru_cache(maxsize=1)
def kernel():
    """The loaded library (cffi), or None when it cannot be built here."""
    if os.environ.get("L1VIZ_NATIVE", "1") == "0":
        return None
    compiler = find_compiler()
    if compiler is None:
        warnings.warn("l1viz: no C compiler found; using the slower torch path", stacklevel=2)
        return None
    try:
        return ffi.dlopen(str(_build(compiler)))
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        warnings.warn(f"l1viz: kernel build failed ({detail}); using the torch path", stacklevel=2)
        return None


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


# -- the checked boundary -----------------------------------------------------------------------
_C_TYPES = {torch.float32: "float *", torch.float64: "double *", torch.int32: "int *"}


def pointer(tensor: torch.Tensor | None, name: str, dtype=torch.float32, shape=None):
    """A C pointer to `tensor`'s data after checking what C will assume about it."""
    if tensor is None:
        return ffi.NULL
    if tensor.dtype != dtype:
        raise TypeError(f"l1viz kernel: {name} must be {dtype}, got {tensor.dtype}")
    if tensor.device.type != "cpu":
        raise ValueError(f"l1viz kernel: {name} must be on the CPU, got {tensor.device}")
    if not tensor.is_contiguous():
        raise ValueError(f"l1viz kernel: {name} must be contiguous")
    if shape is not None and tuple(tensor.shape) != tuple(shape):
        raise ValueError(f"l1viz kernel: {name} must have shape {tuple(shape)}, got {tensor.shape}")
    return ffi.cast(_C_TYPES[dtype], tensor.data_ptr())


def lanes() -> int:
    return kernel().l1viz_lanes()


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
    if len(ranges) == 1:
        return [run(*ranges[0])]
    return list(_pool().map(lambda bounds: run(*bounds), ranges))


# -- one evaluation -----------------------------------------------------------------------------
def evaluate(features, target, w_hh, w_ih, bias, slopes, rows: int):
    """loss (K,), active (K,), sums (rows, K). `features` is (|x|,) or (relu(x), relu(-x)), each
    (T, B); parameters are (K,) rows."""
    library = kernel()
    count = w_hh.shape[0]
    steps, batch = features[0].shape
    loss, active, sums = torch.empty(count), torch.empty(count), torch.empty(rows, count)
    slope_pos, slope_neg = slopes if slopes is not None else (None, None)
    row = (count,)
    args = [
        pointer(features[0], "feature_a", shape=(steps, batch)),
        pointer(features[1] if len(features) > 1 else None, "feature_b", shape=(steps, batch)),
        pointer(target, "target", shape=(batch,)),
        pointer(w_hh, "w_hh", shape=row),
        pointer(w_ih, "w_ih", shape=row),
        pointer(bias, "bias", shape=row),
        pointer(slope_pos, "slope_pos", shape=row),
        pointer(slope_neg, "slope_neg", shape=row),
        pointer(loss, "loss"),
        pointer(active, "active"),
        pointer(sums, "sums"),
    ]

    def run(begin: int, end: int) -> int:
        return library.l1viz_evaluate(begin, end, count, steps, batch, *args)

    codes = run_parallel(split(count, count * steps * batch), run)
    if any(codes):
        raise MemoryError("l1viz kernel: out of memory for this batch")
    return loss, active, sums


# -- data ---------------------------------------------------------------------------------------
def draw(seed: int, batch: int, max_length: int, first_step: int, steps: int, out=None):
    """x (steps, L, B), target (steps, B), longest (steps,) int32: data.py's stream, into `out`
    (such three tensors) when given: fresh 1 MB tensors cost page faults on every block."""
    if out is None:
        out = (
            torch.empty(steps, max_length, batch),
            torch.empty(steps, batch),
            torch.empty(steps, dtype=torch.int32),
        )
    x, target, longest = out
    code = kernel().l1viz_draw(
        seed,
        batch,
        max_length,
        first_step,
        steps,
        pointer(x, "x", shape=(steps, max_length, batch)),
        pointer(target, "target", shape=(steps, batch)),
        pointer(longest, "longest", torch.int32, (steps,)),
    )
    if code:
        raise MemoryError("l1viz kernel: out of memory drawing batches")
    return out


class Features:
    """Cell.prepare's features, bit for bit (l1viz_features), into buffers kept between calls."""

    def __init__(self, transform: str):
        self.code = TRANSFORMS.index(transform)
        self.count = 2 if transform == "learned" else 1
        self._parts: tuple[torch.Tensor, ...] = ()

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if not self._parts or self._parts[0].shape != x.shape:
            self._parts = tuple(torch.empty_like(x) for _ in range(self.count))
        parts = self._parts
        kernel().l1viz_features(
            pointer(x, "x"),
            x.numel(),
            self.code,
            pointer(parts[0], "a", shape=x.shape),
            pointer(parts[1], "b", shape=x.shape) if self.count > 1 else ffi.NULL,
        )
        return parts
