"""Building kernel.c: compiled on first use with the system C compiler into a cache directory
keyed by the sources, the flags, the compiler and the CPU, then loaded through cffi on kernel.h's
declarations. Without a compiler, or when the build fails, the engine warns once and uses the
torch path; L1VIZ_NATIVE=0 forces the torch path.

`library()` is the one place every caller asks for the loaded kernel (tests replace it to switch
the kernel off).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

from l1viz.engine.kernel.header import HEADER, SOURCE, ffi

FLAGS = (
    "-O2",
    "-funroll-loops",
    "-march=native",
    "-ffp-contract=off",
    "-fno-math-errno",
    "-shared",
    "-fPIC",
)


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
def library():
    """The loaded kernel (cffi), or None when it cannot be built here."""
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
