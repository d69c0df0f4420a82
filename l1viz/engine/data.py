"""Training data: sequences of N(0, 1) values with lengths uniform in 1..max_length, zero-padded
to the longest sequence of the batch, labelled with their L1 norm.

The stream of a run is a pure function of (seed, batch_size B, max_length L, step): the batch of
any step can be drawn on its own, whatever the number of models, the chunk sizes or the steps
drawn before it. Definition:

- draw i (i = 0, 1, ...) is SplitMix64's i-th output for the seed:
  mix64(seed + (i + 1) * 0x9E3779B97F4A7C15 mod 2**64).
- step s uses draws s*D .. s*D + D - 1, D = B + ceil(L*B / 2): first one per sequence b,
  length_b = 1 + ((draw >> 32) * L >> 32); then one per pair of values.
- a pair's draw r gives u1 = ((r >> 40) + 0.5) / 2**24 and u2 = (((r >> 8) mod 2**24) + 0.5) /
  2**24, and Box-Muller's two values sqrt(-2 ln u1) (cos, sin)(2 pi u2), computed in float32
  with the polynomials of `_log_unit` and `_cos_sin` (only +, -, *, /, sqrt: C and numpy agree
  bit for bit). Values fill the (L, B) block time-major (position t * B + b), and
  position (t, b) is zeroed where t >= length_b.
- target_b = |x_0b| + |x_1b| + ... + |x_(L-1)b|, summed left to right in float32.
- the cell reads the first T = max_b length_b rows.

The compiled kernel draws it (`kernel.calls.draw`, a fraction of a microsecond per step of 32 x 10);
`reference_draw` is the same in numpy, used without a compiler and to test the kernel.

`notebook_batch` is separate: it consumes torch's global RNG exactly as the original notebook did
(per sample: one `randint` for the length, then one `randn`), so the notebook run can be replayed
bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from l1viz.engine.kernel import build, calls

GOLDEN = 0x9E3779B97F4A7C15
LN2 = 0.6931471805599453
SQRT2 = 1.4142135623730951
HALF_PI = 1.5707963267948966
# Values drawn at once (a block of steps); blocks start at multiples of their step count.
BLOCK_VALUES = 1 << 18
MAX_BLOCK_STEPS = 1024


@dataclass(frozen=True)
class Batch:
    """x is time-major (T, B): the cell walks over the first axis. T = longest sequence.

    `features` are the model-independent input features the cell needs (see `Cell.prepare`);
    empty when the batch was built by hand.
    """

    x: torch.Tensor
    target: torch.Tensor
    features: tuple[torch.Tensor, ...] = ()


@dataclass(frozen=True)
class Block:
    """The batches of steps first .. first + len(longest) - 1, each padded to max_length rows:
    x (steps, L, B), target (steps, B), longest (steps,) int32, features like x."""

    first: int
    x: torch.Tensor
    target: torch.Tensor
    longest: torch.Tensor
    features: tuple[torch.Tensor, ...]

    @property
    def last(self) -> int:
        return self.first + len(self.longest) - 1

    def batch(self, step: int) -> Batch:
        i = step - self.first
        rows = int(self.longest[i])
        return Batch(self.x[i, :rows], self.target[i], tuple(f[i, :rows] for f in self.features))


def block_steps(batch_size: int, max_length: int) -> int:
    return max(1, min(MAX_BLOCK_STEPS, BLOCK_VALUES // (batch_size * max_length)))


def draw_steps(seed: int, batch_size: int, max_length: int, first: int, steps: int, out=None):
    """x (steps, L, B), target (steps, B), longest (steps,) int32 of steps first.. (CPU), into
    `out` (such three tensors) when given."""
    if build.library() is not None:
        return calls.draw(seed, batch_size, max_length, first, steps, out)
    drawn = reference_draw(seed, batch_size, max_length, first, steps)
    if out is None:
        return drawn
    for into, values in zip(out, drawn):
        into.copy_(values)
    return out


class BatchStream:
    """The run's batches, drawn a block of steps at a time (the same whatever the block size).

    Blocks are drawn into the same buffers: a block (and the batches taken from it) stays valid
    until the stream draws the next one.
    """

    def __init__(self, batch_size: int, max_length: int, seed: int, device="cpu", prepare=None):
        self.prepare = prepare
        self.batch_size = batch_size
        self.max_length = max_length
        self.seed = seed
        self.device = torch.device(device)
        self.steps_per_block = block_steps(batch_size, max_length)
        self._block: Block | None = None
        self._buffers = None
        self._next_step = 0

    def block(self, step: int) -> Block:
        """The block holding `step` (kept until a step outside it is asked for)."""
        block = self._block
        if block is None or not block.first <= step <= block.last:
            size = self.steps_per_block
            first = step // size * size
            if self._buffers is None:
                self._buffers = (
                    torch.empty(size, self.max_length, self.batch_size),
                    torch.empty(size, self.batch_size),
                    torch.empty(size, dtype=torch.int32),
                )
            x, target, longest = draw_steps(
                self.seed, self.batch_size, self.max_length, first, size, self._buffers
            )
            x, target = x.to(self.device), target.to(self.device)
            features = tuple(self.prepare(x)) if self.prepare else ()
            block = self._block = Block(first, x, target, longest, features)
        return block

    def batch(self, step: int) -> Batch:
        return self.block(step).batch(step)

    def next(self) -> Batch:
        """The batch after the last one `next` returned (step 0 first)."""
        step, self._next_step = self._next_step, self._next_step + 1
        return self.batch(step)


def batch_at(seed: int, batch_size: int, max_length: int, step: int) -> Batch:
    """The batch a run with these settings trained on at `step`, drawn on its own."""
    x, target, longest = draw_steps(seed, batch_size, max_length, step, 1)
    return Batch(x[0, : int(longest[0])], target[0])


# -- the numpy reference --------------------------------------------------------------------------
def _mix64(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _draws(seed: int, first: int, count: int) -> np.ndarray:
    index = np.arange(first, first + count, dtype=np.uint64)
    return _mix64(np.uint64(seed) + (index + np.uint64(1)) * np.uint64(GOLDEN))


def _f(value: float) -> np.float32:
    """A double constant rounded to float32 (what the kernel's C(x) does)."""
    return np.float32(value)


def _log_unit(u: np.ndarray) -> np.ndarray:
    """ln u for u in (0, 1), float32: u = m 2**e, m in [sqrt(2)/2, sqrt(2)), ln m = 2 atanh(s),
    s = (m - 1) / (m + 1), as a polynomial in s * s."""
    bits = u.view(np.uint32)
    e = (bits >> np.uint32(23)).astype(np.int32) - np.int32(127)
    m = ((bits & np.uint32(0x007FFFFF)) | np.uint32(0x3F800000)).view(np.float32)
    big = m > _f(SQRT2)
    m = np.where(big, m * _f(0.5), m)
    e = e + big.astype(np.int32)
    s = (m - _f(1.0)) / (m + _f(1.0))
    z = s * s
    poly = (((z * _f(1.0 / 9.0) + _f(1.0 / 7.0)) * z + _f(1.0 / 5.0)) * z + _f(1.0 / 3.0)) * z
    poly = poly + _f(1.0)
    return e.astype(np.float32) * _f(LN2) + (s * _f(2.0)) * poly


def _cos_sin(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos, sin)(2 pi u), float32: the nearest quarter turn q, then Taylor polynomials of the
    rest."""
    v = u * _f(4.0)
    quarter = np.floor(v + _f(0.5))
    phi = (v - quarter) * _f(HALF_PI)
    y = phi * phi
    sin_poly = ((y * _f(1.0 / 362880.0) - _f(1.0 / 5040.0)) * y + _f(1.0 / 120.0)) * y
    sin_poly = sin_poly - _f(1.0 / 6.0)
    sin_phi = phi + (phi * y) * sin_poly
    cos_phi = ((y * _f(1.0 / 40320.0) - _f(1.0 / 720.0)) * y + _f(1.0 / 24.0)) * y - _f(0.5)
    cos_phi = cos_phi * y + _f(1.0)
    q = quarter.astype(np.int32) & 3
    cos_t = np.select([q == 0, q == 1, q == 2], [cos_phi, -sin_phi, -cos_phi], sin_phi)
    sin_t = np.select([q == 0, q == 1, q == 2], [sin_phi, cos_phi, -sin_phi], -cos_phi)
    return cos_t, sin_t


def reference_draw(seed: int, batch_size: int, max_length: int, first: int, steps: int):
    """The stream in numpy, exactly as the module docstring defines it."""
    size, longest = batch_size, max_length
    pairs = (longest * size + 1) // 2
    per_step = size + pairs
    draws = _draws(seed, first * per_step, steps * per_step).reshape(steps, per_step)
    lengths = 1 + ((draws[:, :size] >> np.uint64(32)) * np.uint64(longest) >> np.uint64(32))
    lengths = lengths.astype(np.int64)
    r = draws[:, size:]
    u1 = ((r >> np.uint64(40)).astype(np.float32) + _f(0.5)) * _f(2.0**-24)
    u2 = (((r >> np.uint64(8)) & np.uint64(0xFFFFFF)).astype(np.float32) + _f(0.5)) * _f(2.0**-24)
    root = np.sqrt(_f(-2.0) * _log_unit(u1))
    cos_t, sin_t = _cos_sin(u2)
    values = np.stack([root * cos_t, root * sin_t], axis=-1)
    values = values.reshape(steps, 2 * pairs)[:, : longest * size].reshape(steps, longest, size)
    rows = np.arange(longest).reshape(1, longest, 1)
    x = np.where(rows < lengths[:, None, :], values, np.float32(0))
    target = np.zeros((steps, size), dtype=np.float32)
    for t in range(longest):
        target = target + np.abs(x[:, t])
    return (
        torch.from_numpy(x),
        torch.from_numpy(target),
        torch.from_numpy(lengths.max(1).astype(np.int32)),
    )


def notebook_batch(batch_size: int, max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The notebook's own sampling, on the global RNG: (B, T, 1) padded batch and (B,) targets."""
    sequences, targets = [], []
    for _ in range(batch_size):
        length = torch.randint(1, max_length + 1, (1,)).item()
        sequence = torch.randn(length, 1)
        sequences.append(sequence)
        targets.append(torch.sum(torch.abs(sequence)).reshape(1))
    return pad_sequence(sequences, batch_first=True), torch.cat(targets)
