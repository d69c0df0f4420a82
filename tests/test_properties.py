"""Extremes: any finite start, any sane hyperparameters — a verdict, never an exception."""

import math

import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from l1viz.engine.cell import Cell
from l1viz.engine.config import MAX_SEED, Init, TrainConfig
from l1viz.engine.long_sequence import long_sequence_check
from l1viz.engine.outcomes import TRAINING, Ending
from l1viz.engine.trainer import Trainer

values = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False)
learning_rates = st.floats(min_value=1e-6, max_value=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    init=st.builds(Init, values, values, values, values),
    lr=learning_rates,
    optimizer=st.sampled_from(["adam", "sgd"]),
    batch_size=st.integers(1, 512),
    max_length=st.integers(1, 1000),
    bias=st.booleans(),
    transform=st.sampled_from(["where", "relu-pair", "learned"]),
    seed=st.integers(0, MAX_SEED),
)
def test_any_start_ends_in_a_defined_verdict(
    init, lr, optimizer, batch_size, max_length, bias, transform, seed
):
    steps = max(1, min(60, 40_000 // (batch_size * max_length)))
    config = TrainConfig(
        lr=lr,
        optimizer=optimizer,
        batch_size=batch_size,
        max_length=max_length,
        bias=bias,
        transform=transform,
        seed=seed,
        steps=steps,
        dead_patience=10,
        history_rows=steps + 1,
    )
    trainer = Trainer(init, config)
    result = trainer.run()[0]
    assert result.outcome != TRAINING and result.ending in set(Ending)
    event(result.outcome)
    assert 0 <= result.steps <= steps

    history = trainer.history.table()
    assert history["step"] == list(range(result.steps + 1))
    state = [f for f in trainer.history.fields if f not in ("active", "grad_norm")]
    broken = [
        s
        for s, *row in zip(history["step"], *(history[f] for f in state))
        if not all(math.isfinite(v) for v in row)
    ]
    if broken:  # divergence = a non-finite loss or parameter, flagged where it first appears
        assert result.outcome == "diverged" and result.diverged_at == broken[0]
        assert broken == [result.steps]  # and the run stops there
    else:
        assert result.outcome != "diverged"
    for step, norm in zip(history["step"], history["grad_norm"]):
        # a gradient can overflow only on the way to a non-finite parameter at the next step
        assert math.isfinite(norm) or result.diverged_at in (step, step + 1)


@settings(max_examples=25, deadline=None)
@given(w_hh=values, w_ih=values, bias=values)
def test_long_sequences_never_crash(w_hh, w_ih, bias):
    cell = Cell(True, "where")
    params = torch.tensor([[w_hh], [w_ih], [bias], [0.0]])
    check = long_sequence_check(cell, params, length=10_000, seed=1)
    assert check.actual > 0
    if check.finite:
        assert check.predicted >= 0 and math.isfinite(check.relative_error)
    else:
        assert check.relative_error == math.inf


def test_length_100000_check_overflows_cleanly():
    cell = Cell(False, "where")
    growing = long_sequence_check(cell, torch.tensor([[1.01], [1.0]]), length=100_000)
    assert not growing.finite and growing.relative_error == math.inf
    exact = long_sequence_check(cell, torch.tensor([[1.0], [1.0]]), length=100_000)
    assert exact.relative_error < 1e-4
