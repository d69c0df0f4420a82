"""torch's square roots, as the kernel must reproduce them.

torch's CPU sqrt (float and double) calls MKL's vector functions, and MKL picks a CPU-specific
routine whose results are not always the IEEE ones (on an AMD EPYC, 1 ulp off for ~15 % of
floats). Adam divides by sqrt(exp_avg_sq) and the history's gradient norm is a double sqrt, so
the kernel calls the same routines torch does, through the addresses torch's own library exports,
after checking on a probe of values over every magnitude that they give torch's results. Where
torch's sqrt is the IEEE one the kernel uses the CPU's.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import cffi
import numpy as np
import torch

from l1viz.engine.kernel.header import ffi

# The mode torch passes (ATen's vml.h: VML_HA | VML_FTZDAZ_OFF | VML_ERRMODE_IGNORE).
VML_MODE = 0x2 | 0x140000 | 0x100
TORCH_LIBRARY = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
_mkl = cffi.FFI()
_mkl.cdef(
    """
    void VMSSQRT_(const int *n, const float *a, float *r, const long long *mode);
    void VMDSQRT_(const int *n, const double *a, double *r, const long long *mode);
    """
)


def _sqrt_probe(dtype: torch.dtype) -> torch.Tensor:
    """Values over every magnitude, with zeros, infinities, NaN, negatives and subnormals."""
    generator = torch.Generator().manual_seed(0)
    mantissa = torch.rand(1 << 16, generator=generator, dtype=torch.float64) + 1
    exponent = torch.randint(-140, 120, (1 << 16,), generator=generator).double()
    special = torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, -1.0, 1e-45, 1.0, 4.0])
    return torch.cat([mantissa * 2.0**exponent, special.double()]).to(dtype)


def _mkl_sqrt(library, name: str, values: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(values)
    kind = "float *" if values.dtype == torch.float32 else "double *"
    count, mode = _mkl.new("int *", len(values)), _mkl.new("long long *", VML_MODE)
    a, r = _mkl.cast(kind, values.data_ptr()), _mkl.cast(kind, out.data_ptr())
    getattr(library, name)(count, a, r, mode)
    return out


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(((a == b) | (a.isnan() & b.isnan())).all())


@lru_cache(maxsize=1)
def torch_square_roots():
    """(sqrt32, sqrt64) function pointers for kernel.h's rules: NULL where torch's sqrt is the
    IEEE one, else the MKL routine torch calls; None when neither reproduces torch's results."""
    pointers = []
    for dtype, name, kind in (
        (torch.float32, "VMSSQRT_", "l1viz_sqrt32"),
        (torch.float64, "VMDSQRT_", "l1viz_sqrt64"),
    ):
        values = _sqrt_probe(dtype)
        theirs = values.sqrt()
        with np.errstate(invalid="ignore"):
            ieee = torch.from_numpy(np.sqrt(values.numpy()))
        if _same(theirs, ieee):
            pointers.append(ffi.NULL)
            continue
        try:
            library = _mkl_library()
            if not _same(theirs, _mkl_sqrt(library, name, values)):
                return None
        except (OSError, AttributeError):
            return None
        address = int(_mkl.cast("uintptr_t", _mkl.addressof(library, name)))
        pointers.append(ffi.cast(kind, address))
    return tuple(pointers)


@lru_cache(maxsize=1)
def _mkl_library():
    return _mkl.dlopen(str(TORCH_LIBRARY))
