"""The update that killed a run: the last recorded step outside the dead region and the first
inside it, with the parameters that decide the rule (w_ih and b_hh + b_ih) at both."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from l1viz.engine.outcomes import Ending, RunResult


@dataclass(frozen=True)
class FatalUpdate:
    before_step: int
    after_step: int
    before: dict[str, float]  # w_hh, w_ih and, with bias, b (= b_hh + b_ih)
    after: dict[str, float]

    @property
    def sentence(self) -> str:
        if self.after_step == self.before_step + 1:
            when = f"The update from step {self.before_step:,} to {self.after_step:,}"
        else:
            when = f"An update between recorded steps {self.before_step:,} and {self.after_step:,}"
        changes = ", ".join(
            f"{_NAMES[name]} {self.before[name]:.4g} → {self.after[name]:.4g}"
            for name in self.before
            if name != "w_hh"
        )
        return f"{when} pushed the cell into the dead region: {changes}."


_NAMES = {"w_hh": "w_hh", "w_ih": "w_ih", "b": "b_hh + b_ih"}


def fatal_update(result: RunResult, history: dict[str, list]) -> FatalUpdate | None:
    """For a run that died during training, the recorded rows either side of the step it entered
    the dead region (`history`: the trainer's table, one column per field); else None."""
    if result.ending != Ending.DIED or result.died_at is None:
        return None
    steps = history["step"]
    after = bisect_left(steps, result.died_at)
    if after == 0 or after == len(steps):
        return None
    return FatalUpdate(
        before_step=int(steps[after - 1]),
        after_step=int(steps[after]),
        before=_values(history, after - 1),
        after=_values(history, after),
    )


def _values(history: dict[str, list], row: int) -> dict[str, float]:
    values = {"w_hh": float(history["w_hh"][row]), "w_ih": float(history["w_ih"][row])}
    if "b_hh" in history:
        values["b"] = float(history["b_hh"][row]) + float(history["b_ih"][row])
    return values
