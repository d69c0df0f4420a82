"""Python's calls into the kernel, each bit for bit what the torch code computes: one evaluation
of a batch (`evaluate`, for `Cell.loss_and_grads`), the training data (`draw`, data.py's stream)
and its input features (`Features`, `Cell.prepare`).

Every tensor handed to C is checked first (dtype, CPU, contiguous, shape): C trusts its pointers.
"""

from __future__ import annotations

import torch

from l1viz.engine.kernel import build
from l1viz.engine.kernel.header import code, ffi
from l1viz.engine.kernel.threads import run_parallel, split

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


# -- one evaluation -----------------------------------------------------------------------------
def evaluate(features, target, w_hh, w_ih, bias, slopes, activation: str, alpha, rows: int):
    """loss (K,), active (K,), sums (rows, K). `features` is (|x|,) or (relu(x), relu(-x)), each
    (T, B); parameters are (K,) rows, `alpha` the sloped activation's (else None)."""
    library = build.library()
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
        code("activation", activation),
        pointer(alpha, "alpha", shape=row),
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
    failed = build.library().l1viz_draw(
        seed,
        batch,
        max_length,
        first_step,
        steps,
        pointer(x, "x", shape=(steps, max_length, batch)),
        pointer(target, "target", shape=(steps, batch)),
        pointer(longest, "longest", torch.int32, (steps,)),
    )
    if failed:
        raise MemoryError("l1viz kernel: out of memory drawing batches")
    return out


class Features:
    """Cell.prepare's features, bit for bit (l1viz_features), into buffers kept between calls."""

    def __init__(self, transform: str):
        self.code = code("transform", transform)
        self.count = 2 if transform == "learned" else 1
        self._parts: tuple[torch.Tensor, ...] = ()

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if not self._parts or self._parts[0].shape != x.shape:
            self._parts = tuple(torch.empty_like(x) for _ in range(self.count))
        parts = self._parts
        build.library().l1viz_features(
            pointer(x, "x"),
            x.numel(),
            self.code,
            pointer(parts[0], "a", shape=x.shape),
            pointer(parts[1], "b", shape=x.shape) if self.count > 1 else ffi.NULL,
        )
        return parts
