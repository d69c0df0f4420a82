"""Trains K initialisations of the cell at once, in chunks a UI can drive: `step(n)`, then read.

Each model is trained exactly as if it were alone: it sees the same batches (the stream depends on
the seed and settings only), its arithmetic never mixes with another model's, and a model that has
reached its verdict is frozen, as a lone run would have stopped there.

Step numbering: "step s" is the state after s optimiser updates. At each step the trainer
evaluates a fresh batch (loss, gradient, fraction of positive pre-activations), records it, and
checks the rules; the run's last evaluation is at step `steps` (the budget) or at its verdict.

On CPU with a C compiler the kernel trains whole chunks of steps (kernel/chunks.py); otherwise
the torch path does the same step by step (torch_path.py). Both update the same state tensors
(state.py) and give the same bits; the trainer only cuts the chunks (at the data's blocks and
where the history must drop rows) and reads the results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from l1viz.engine.cell import Cell
from l1viz.engine.config import (
    BIAS_NAMES,
    MAX_ABS_INIT,
    MAX_LR,
    ConfigError,
    Init,
    TrainConfig,
    checked_slope,
)
from l1viz.engine.data import BatchStream
from l1viz.engine.history import History
from l1viz.engine.kernel.calls import Features
from l1viz.engine.kernel.chunks import KernelTraining, chunks_available
from l1viz.engine.outcomes import (
    CONVERGED,
    DEAD,
    DEAD_IN_PRACTICE,
    DIVERGED,
    STALLED,
    TRAINING,
    VERDICTS,
    RunResult,
    in_dead_region,
)
from l1viz.engine.pytorch_init import learned_layer_init
from l1viz.engine.state import ModelState
from l1viz.engine.torch_path import TorchTraining
from l1viz.engine.verdicts import Rules

STAT_FIELDS = ("loss", "active", "grad_norm")
# The RunResult field that holds each rule's event step (the rows of state.first, VERDICTS order).
EVENTS = {
    DIVERGED: "diverged_at",
    DEAD: "died_at",
    DEAD_IN_PRACTICE: "silent_from",
    CONVERGED: "converged_at",
}
# History never holds more than this many numbers, whatever K and the requested rows.
HISTORY_VALUE_LIMIT = 50_000_000


def stack_inits(inits, bias: bool) -> torch.Tensor:
    """(K, 4) tensor of w_hh, w_ih, b_hh, b_ih from Init objects or such a tensor."""
    if isinstance(inits, Init):
        inits = [inits]
    if isinstance(inits, torch.Tensor):
        if inits.dim() != 2 or inits.shape[1] != 4:
            raise ConfigError("init", f"a tensor of inits must be (K, 4), got {tuple(inits.shape)}")
        table = inits.detach().to("cpu", torch.float32, copy=True)
        if not torch.isfinite(table).all():
            raise ConfigError("init", "initial values must be finite")
        if (table.abs() > MAX_ABS_INIT).any():
            raise ConfigError("init", f"initial values must be within ±{MAX_ABS_INIT:g}")
    else:
        table = torch.tensor([[i.w_hh, i.w_ih, i.b_hh, i.b_ih] for i in inits], dtype=torch.float32)
    if len(table) == 0:
        raise ConfigError("init", "at least one initialisation is needed")
    if not bias:
        table[:, 2:] = 0.0
    return table


def model_learning_rates(learning_rates, lr: float, count: int) -> torch.Tensor:
    """(K,) float64: `config.lr` for every model, or the given per-model rates (checked as lr)."""
    if learning_rates is None:
        return torch.full((count,), lr, dtype=torch.float64)
    if isinstance(learning_rates, torch.Tensor):
        rates = learning_rates.detach().to("cpu", torch.float64).flatten()
    else:  # Python floats keep their double value (as config.lr does)
        try:
            rates = torch.tensor([float(rate) for rate in learning_rates], dtype=torch.float64)
        except (TypeError, ValueError) as error:
            raise ConfigError("learning_rates", "must be a sequence of numbers") from error
    if len(rates) != count:
        raise ConfigError("learning_rates", f"need one per model ({count}), got {len(rates)}")
    for rate in rates.tolist():
        if not (math.isfinite(rate) and 0 < rate <= MAX_LR):
            raise ConfigError("learning_rates", f"each must be in (0, {MAX_LR:g}], got {rate}")
    return rates


def model_alphas(alphas, config: TrainConfig, count: int) -> torch.Tensor | None:
    """(K,) float32: each model's alpha for a sloped activation (`config.slope`, or the given
    per-model values, checked as slope), None for the others."""
    if config.slope is None:
        if alphas is not None:
            raise ConfigError("alphas", f"{config.activation} has no slope")
        return None
    if alphas is None:
        return torch.full((count,), config.slope)
    values = alphas.tolist() if isinstance(alphas, torch.Tensor) else list(alphas)
    if len(values) != count:
        raise ConfigError("alphas", f"need one per model ({count}), got {len(values)}")
    for value in values:
        try:
            checked_slope(config.activation, value)
        except ConfigError as error:
            raise ConfigError("alphas", f"each {str(error).removeprefix('slope: ')}") from error
    return torch.tensor([float(value) for value in values], dtype=torch.float32)


class Trainer:
    def __init__(
        self,
        inits: Init | Sequence[Init] | torch.Tensor,
        config: TrainConfig,
        learning_rates: Sequence[float] | torch.Tensor | None = None,
        alphas: Sequence[float] | torch.Tensor | None = None,
    ):
        """`learning_rates` and `alphas` (a sloped activation's) may differ per model."""
        self.config = config
        self.cell = Cell(config.bias, config.transform, config.activation)
        self.device = torch.device(config.device)
        self.inits = stack_inits(inits, config.bias)
        self.count = len(self.inits)
        rates = model_learning_rates(learning_rates, config.lr, self.count)
        rows = self._parameter_rows(model_alphas(alphas, config, self.count))
        self.state = ModelState.start(rows.to(self.device), rates)
        self.initial_params = self.state.params.clone()
        self.rules = Rules.of(config)
        chunks = self.device.type == "cpu" and chunks_available()
        prepare = Features(config.transform) if chunks else None
        self.data = BatchStream(
            config.batch_size,
            config.max_length,
            config.seed,
            self.device,
            prepare or self.cell.prepare,
        )
        fields = self.cell.names + STAT_FIELDS
        capacity = min(config.history_rows, HISTORY_VALUE_LIMIT // (len(fields) * self.count))
        self.history = History(fields, self.count, capacity if capacity >= 2 else 0, self.device)
        if chunks:
            self._path = KernelTraining(
                self.cell, self.rules, self.state, config.batch_size, config.max_length
            )
        else:
            self._path = TorchTraining(self.cell, self.rules, self.state)
        self.steps_done = 0
        self._any_running = True
        self._train(0, 0)

    def _parameter_rows(self, alphas: torch.Tensor | None) -> torch.Tensor:
        columns = [0, 1, 2, 3] if self.config.bias else [0, 1]
        rows = self.inits[:, columns].T.contiguous()
        if self.config.transform == "learned":
            weights = learned_layer_init(self.config.seed, self.config.bias)
            layer = torch.tensor(weights).view(-1, 1).expand(-1, self.count)
            rows = torch.cat([rows, layer])
        if alphas is not None:
            rows = torch.cat([rows, alphas.view(1, -1)])
        return rows

    @property
    def params(self) -> torch.Tensor:
        """(rows, K) current parameters, rows named by `cell.names`."""
        return self.state.params

    @property
    def last(self) -> dict[str, torch.Tensor]:
        """Each model's loss and active share at its last evaluation."""
        return {"loss": self.state.loss, "active": self.state.active}

    # -- driving ----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.steps_done >= self.config.steps or not self._any_running

    @torch.inference_mode()
    def step(self, count: int = 1) -> int:
        """Advance up to `count` optimiser updates; returns how many were made."""
        start = self.steps_done
        last = min(self.config.steps, start + count)
        while not self.done and self.steps_done < last:
            self._train(self.steps_done + 1, last)
        return self.steps_done - start

    def run(self) -> list[RunResult]:
        """Train to the end of the budget (or every verdict) and return the results."""
        while not self.done:
            self.step(self.config.steps)
        return self.results()

    def _train(self, first: int, last: int):
        """Steps first..last, or a prefix of them: up to the end of the data block, or to where
        the history must drop rows first."""
        block = self.data.block(first)
        upto, recorded = self.history.plan(first, min(last, block.last))
        if upto < first:
            self.history.make_room()
            upto, recorded = self.history.plan(first, min(last, block.last))
        reached = self._path.train(first, upto, block, self.history.slot())
        self.steps_done = reached  # before upto only when every model has stopped
        self.history.extend(s for s in recorded if s <= self.steps_done)
        self._any_running = reached >= upto and bool(self.state.running.any())

    # -- reading ----------------------------------------------------------------------------
    def outcome_codes(self) -> list[str]:
        """Each model's verdict so far: converged, dead, dead_in_practice, diverged, stalled
        (budget spent) or training."""
        ended = self.steps_done >= self.config.steps
        pending = STALLED if ended else TRAINING
        return [VERDICTS[v] if v >= 0 else pending for v in self.state.verdict.tolist()]

    def named_params(self, model: int = 0, initial: bool = False) -> dict[str, float]:
        """w_hh, w_ih, b_hh, b_ih (0 without bias) and, for `learned`, the layer and its slopes."""
        source = self.initial_params if initial else self.params
        return self.named_columns(source[:, model : model + 1])[0]

    def named_columns(self, params: torch.Tensor) -> list[dict[str, float]]:
        """`named_params` of every column of (rows, K) parameters (the trainer's own or a recorded
        row's), read in one pass."""
        names = self.cell.names + BIAS_NAMES * (not self.cell.bias)
        rows = list(params) + [torch.zeros_like(params[0])] * 2 * (not self.cell.bias)
        if self.cell.learned:
            names += ("slope_pos", "slope_neg")
            rows += list(self.cell.slopes(params))
        return [dict(zip(names, column)) for column in torch.stack(rows, 1).tolist()]

    def results(self, models: Sequence[int] | slice | None = None) -> list[RunResult]:
        """How each model's run ended (or stands); `models` picks some (indices or a slice), in
        that order: a sweep reading the models that just ended reads only those."""
        chosen = range(self.count)[models] if isinstance(models, slice) else models
        index = torch.arange(self.count) if chosen is None else torch.tensor(list(chosen))
        index = index.to(torch.long)

        def picked(tensor: torch.Tensor) -> torch.Tensor:
            return tensor[..., index.to(tensor.device)]

        state = self.state
        outcomes = self.outcome_codes()
        events = {EVENTS[kind]: picked(row).tolist() for kind, row in zip(VERDICTS, state.first)}
        dead = picked(in_dead_region(self.cell.effective(self.initial_params))).tolist()
        stopped = picked(state.stopped_at).tolist()
        losses, active = picked(state.loss).tolist(), picked(state.active).tolist()
        revived_at, revived_from = (
            picked(state.revived_at).tolist(),
            picked(state.revived_from).tolist(),
        )
        initial = self.named_columns(picked(self.initial_params))
        final = self.named_columns(picked(self.params))
        return [
            RunResult(
                outcome=outcomes[k],
                steps=self.steps_done if stopped[i] < 0 else stopped[i],
                converged_at=_step_or_none(events["converged_at"][i]),
                died_at=_step_or_none(events["died_at"][i]),
                diverged_at=_step_or_none(events["diverged_at"][i]),
                silent_from=_step_or_none(events["silent_from"][i]),
                dead_at_init=dead[i],
                initial=initial[i],
                params=final[i],
                loss=losses[i],
                active=active[i],
                revived_at=_step_or_none(revived_at[i]),
                revived_from=_step_or_none(revived_from[i]),
            )
            for i, k in enumerate(index.tolist())
        ]


def _step_or_none(step: int) -> int | None:
    return None if step < 0 else step
