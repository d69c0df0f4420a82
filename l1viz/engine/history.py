"""Per-step records of a run, bounded in memory.

Every step is kept until `capacity` rows are filled; then every other row is dropped and from
there only every 2nd step is recorded, then every 4th, and so on. A run of any length holds at
most `capacity` rows, always including step 0, evenly spaced.

The trainer fills rows a chunk of steps at a time: `plan` says how far a chunk may run before
rows must be dropped, the training path writes the rows of the steps `plan` lists (the kernel
through `Slot`), and `extend` keeps those the run reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Slot:
    """Where a chunk writes: step s is recorded when s % stride == 0, into rows next, next + 1,
    ..., while fewer than `room` were written (kernel.h's l1viz_history)."""

    values: torch.Tensor | None  # (capacity, fields, K)
    next: int
    room: int
    stride: int

    def records(self, step: int, written: int) -> bool:
        return self.values is not None and step % self.stride == 0 and written < self.room

    def write(self, written: int, parts: list[torch.Tensor]):
        """The row after `written` others, from (rows, K) or (K,) tensors in `fields` order."""
        rows = [part.view(-1, part.shape[-1]) for part in parts]
        torch.cat(rows, out=self.values[self.next + written])


class History:
    def __init__(self, fields: tuple[str, ...], count: int, capacity: int, device):
        self.fields = fields
        self.capacity = capacity
        self.stride = 1
        self._steps: list[int] = []
        self._values = torch.empty(capacity, len(fields), count, device=device)

    def __len__(self) -> int:
        return len(self._steps)

    def plan(self, first: int, last: int) -> tuple[int, range]:
        """(upto, recorded): the chunk first..last may run to `upto` (first - 1: drop rows first,
        `make_room`) and records the steps in `recorded`."""
        if self.capacity == 0:
            return last, range(0)
        stride, room = self.stride, self.capacity - len(self._steps)
        wanted = range(-(-first // stride) * stride, last + 1, stride)
        if len(wanted) <= room:
            return last, wanted
        recorded = wanted[:room]
        # Full after `recorded`: the next multiple of 2 * stride needs room made first.
        after = recorded[-1] + 1 if room else first
        double = 2 * stride
        return min(last, -(-after // double) * double - 1), recorded

    def slot(self) -> Slot:
        room = self.capacity - len(self._steps)
        values = self._values if self.capacity else None
        return Slot(values, len(self._steps), room, self.stride)

    def extend(self, steps):
        self._steps.extend(steps)

    def make_room(self):
        kept = self._steps[::2]
        self._values[: len(kept)] = self._values[: len(self._steps) : 2].clone()
        self._steps = kept
        self.stride *= 2

    @property
    def steps(self) -> list[int]:
        return list(self._steps)

    def block(self, start: int = 0, model: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """One model's rows from `start` on: (steps, values of shape (fields, rows)), copies."""
        end = len(self._steps)
        start = min(max(start, 0), end)
        steps = np.asarray(self._steps[start:end], dtype=np.int64)
        values = self._values[start:end, :, model].cpu().numpy().T.copy()
        return steps, values

    def column(self, field: str, model: int = 0) -> list[float]:
        values = self._values[: len(self), self.fields.index(field), model]
        return values.cpu().tolist()

    def table(self, model: int = 0) -> dict[str, list]:
        """One model's records, field by field, with their steps."""
        block = self._values[: len(self), :, model].cpu().T.tolist()
        return {"step": self.steps, **dict(zip(self.fields, block))}


def evenly_spaced(count: int, limit: int) -> list[int]:
    """At most `limit` indices into `count` items, evenly spread, first and last included."""
    if count <= limit:
        return list(range(count))
    picked = {round(i * (count - 1) / (limit - 1)) for i in range(limit)}
    return sorted(picked)
