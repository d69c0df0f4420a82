"""Per-step records of a run, bounded in memory.

Every step is kept until `capacity` rows are filled; then every other row is dropped and from
there only every 2nd step is recorded, then every 4th, and so on. A run of any length holds at
most `capacity` rows, always including step 0, evenly spaced.
"""

from __future__ import annotations

import torch


class History:
    def __init__(self, fields: tuple[str, ...], count: int, capacity: int, device):
        self.fields = fields
        self.capacity = capacity
        self.stride = 1
        self._steps: list[int] = []
        self._values = torch.empty(capacity, len(fields), count, device=device)

    def __len__(self) -> int:
        return len(self._steps)

    def wants(self, step: int) -> bool:
        """Whether `record` would keep this step (so callers can skip computing its row)."""
        if self.capacity == 0:
            return False
        stride = self.stride * 2 if len(self._steps) == self.capacity else self.stride
        return step % stride == 0

    def record(self, step: int, parts: list[torch.Tensor]):
        """`parts` are (rows, K) or (K,) tensors whose rows follow `fields`."""
        if not self.wants(step):
            return
        if len(self._steps) == self.capacity:
            self._decimate()
        torch.cat([part.view(-1, part.shape[-1]) for part in parts], out=self._values[len(self)])
        self._steps.append(step)

    def _decimate(self):
        kept = self._steps[::2]
        self._values[: len(kept)] = self._values[: len(self._steps) : 2].clone()
        self._steps = kept
        self.stride *= 2

    @property
    def steps(self) -> list[int]:
        return list(self._steps)

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
