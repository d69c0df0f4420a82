"""The compiled kernel against the torch path: whole runs give the same bits, and its boundary
(declarations, checked tensors, build cache) holds."""

import math
import re
import stat

import numpy as np
import pytest
import torch

from l1viz.engine.config import (
    ACTIVATIONS,
    CRITERIA,
    OPTIMIZERS,
    TRANSFORMS,
    ConfigError,
    Init,
    TrainConfig,
)
from l1viz.engine.kernel import build, calls, header, square_root
from l1viz.engine.outcomes import VERDICTS
from l1viz.engine.trainer import Trainer, stack_inits

LAYOUTS = [
    (bias, transform) for bias in (False, True) for transform in ("where", "relu-pair", "learned")
]


def mixed_inits(count: int, seed: int = 0) -> torch.Tensor:
    """Inits that end every way at different steps: converging, dead from the start, dying, dead
    in practice, diverging under a big learning rate, still training at the end."""
    generator = torch.Generator().manual_seed(seed)
    inits = torch.rand(count, 4, generator=generator) * 4 - 2
    special = [
        [0.83, 0.7645, 0.0, 0.0],
        [0.5, -0.3, -0.2, 0.1],
        [0.5, 0.1, -1.0, -1.0],
        [3.0, 3.0, 0.5, 0.5],
        [1e4, 1.0, 0.0, 0.0],  # overflows at step 0
        [0.9, 0.5, 0.1, 0.1],  # can diverge at a large learning rate
    ]
    inits[: len(special)] = torch.tensor(special[:count])
    return inits


def mixed_rates(count: int, lr: float, optimizer: str) -> list[float]:
    """`lr` for every model but the sixth, which gets a rate that can make it diverge."""
    rates = [lr] * count
    rates[5] = 1e3 if optimizer == "adam" else 3.0
    return rates


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal values, NaN where NaN."""
    if a.dtype.is_floating_point:
        return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())
    return torch.equal(a, b)


def same_result(a, b) -> bool:
    def plain(result):
        values = vars(result).copy()
        for name in ("loss", "active"):
            values[name] = "nan" if math.isnan(values[name]) else values[name]
        return values

    return plain(a) == plain(b)


def train(inits, config, chunks, learning_rates=None) -> Trainer:
    trainer = Trainer(inits, config, learning_rates)
    for chunk in chunks:
        trainer.step(chunk)
    trainer.run()
    return trainer


def assert_same_runs(kernel: Trainer, reference: Trainer):
    assert kernel.steps_done == reference.steps_done
    for name, tensor in kernel.state.tensors().items():
        assert same(tensor, getattr(reference.state, name)), name
    assert kernel.history.steps == reference.history.steps
    for model in range(kernel.count):
        rows = kernel.history.table(model)
        expected = reference.history.table(model)
        for field in kernel.history.fields:
            assert same(torch.tensor(rows[field]), torch.tensor(expected[field])), field
    assert all(map(same_result, kernel.results(), reference.results()))


@pytest.mark.parametrize("bias,transform", LAYOUTS)
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("early_stop", [True, False])
def test_whole_runs_are_the_same_on_the_kernel_and_the_torch_path(
    bias, transform, optimizer, early_stop, monkeypatch
):
    lr = 0.05 if optimizer == "adam" else 0.02
    config = TrainConfig(
        bias=bias,
        transform=transform,
        optimizer=optimizer,
        lr=lr,
        steps=260,
        early_stop=early_stop,
        criterion="tolerance",
        tolerance=1e-2,
        history_rows=40,  # fills and drops rows twice
        dead_patience=30,
        batch_size=7,
        max_length=6,
    )
    inits = mixed_inits(37)  # two vector tiles and a partial one
    rates = mixed_rates(37, lr, optimizer)
    chunks = [1, 2, 50, 3, 100]  # and run() for the rest
    assert build.library() is not None
    kernel = train(inits, config, chunks, rates)
    monkeypatch.setattr(build, "library", lambda: None)
    reference = train(inits, config, chunks, rates)
    assert_same_runs(kernel, reference)
    results = kernel.results()
    assert len({r.outcome for r in results}) >= 3
    assert "diverged" in {r.outcome for r in results}
    if early_stop:
        assert len({r.steps for r in results}) >= 5, "models should stop at different steps"


@pytest.mark.parametrize("batch_size,max_length", [(1, 3), (7, 5), (16, 4), (17, 3), (45, 2)])
@pytest.mark.parametrize("bias,transform", [(False, "where"), (True, "learned")])
def test_few_models_evaluated_one_by_one_are_the_same_on_both_paths(
    batch_size, max_length, bias, transform, monkeypatch
):
    """Tiles with few running models evaluate them lanes-over-the-batch: every batch size, tails
    and powers of two, gives the torch path's bits."""
    config = TrainConfig(
        bias=bias,
        transform=transform,
        batch_size=batch_size,
        max_length=max_length,
        lr=0.02,
        steps=150,
        criterion="tolerance",
        tolerance=1e-2,
        history_rows=200,
        dead_patience=20,
    )
    inits = mixed_inits(3, seed=batch_size)
    kernel = train(inits, config, [5])
    monkeypatch.setattr(build, "library", lambda: None)
    reference = train(inits, config, [5])
    assert_same_runs(kernel, reference)


@pytest.mark.parametrize("criterion", ["loss", "exact"])
def test_each_criterion_decides_the_same_on_both_paths(criterion, monkeypatch):
    config = TrainConfig(lr=0.03, steps=1200, criterion=criterion, tolerance=1e-3, bias=False)
    inits = mixed_inits(20)
    kernel = train(inits, config, [])
    monkeypatch.setattr(build, "library", lambda: None)
    reference = train(inits, config, [])
    assert_same_runs(kernel, reference)
    assert sum(r.outcome == "converged" for r in kernel.results()) >= 3


def test_chunk_sizes_do_not_change_a_run():
    config = TrainConfig(steps=700, lr=0.01, history_rows=100)
    inits = mixed_inits(20, seed=3)
    whole = train(inits, config, [])
    stepwise = train(inits, config, [1] * 300 + [7] * 40)
    assert_same_runs(whole, stepwise)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_each_model_at_its_own_learning_rate_is_a_lone_run_at_that_rate(optimizer, engine_path):
    config = TrainConfig(optimizer=optimizer, steps=300, history_rows=50)
    inits = mixed_inits(9, seed=5)
    rates = [10.0 ** (-4 + k / 2) for k in range(9)]
    together = Trainer(inits, config, learning_rates=rates)
    together.run()
    results = together.results()
    for k, rate in enumerate(rates):
        alone = Trainer(inits[k : k + 1], TrainConfig(**{**config.as_dict(), "lr": rate}))
        alone.run()
        assert same_result(alone.results()[0], results[k])
        assert torch.equal(alone.params[:, 0], together.params[:, k])


def test_learning_rates_are_checked():
    inits, config = torch.rand(3, 4), TrainConfig(steps=10)
    wrong = ([0.1, 0.2], [0.1, 0.0, 0.1], [0.1, math.nan, 0.1], [0.1, 2e3, 0.1], [0.1, "x", 0.1])
    for rates in wrong:
        with pytest.raises(ConfigError, match="learning_rates"):
            Trainer(inits, config, learning_rates=rates)
    trainer = Trainer(
        inits, config, learning_rates=torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    )
    assert trainer.state.learning_rate.tolist() == [0.1, 0.2, 0.3]


def test_inits_tensors_must_be_k_by_4_finite_and_bounded():
    with pytest.raises(ConfigError, match=r"\(K, 4\)"):
        stack_inits(torch.zeros(6, 2), bias=True)  # was silently read as (3, 4)
    with pytest.raises(ConfigError, match=r"\(K, 4\)"):
        stack_inits(torch.zeros(4), bias=True)
    with pytest.raises(ConfigError, match="within"):
        stack_inits(torch.tensor([[0.5, 2e6, 0.0, 0.0]]), bias=True)
    with pytest.raises(ConfigError, match="finite"):
        stack_inits(torch.tensor([[0.5, math.inf, 0.0, 0.0]]), bias=True)
    table = stack_inits(torch.tensor([[0.5, 1e6, -1e6, 1.0]], dtype=torch.float64), bias=False)
    assert table.tolist() == [[0.5, 1e6, 0.0, 0.0]]


# -- the boundary ---------------------------------------------------------------------------------
def test_the_header_is_the_one_declaration_both_sides_use():
    library = build.library()
    source = header.SOURCE.read_text()
    assert '#include "kernel.h"' in source  # the compiler checks the definitions against it
    for name in ("l1viz_train", "l1viz_evaluate", "l1viz_draw", "l1viz_lanes"):
        assert f"{name}(" in header.HEADER.read_text()
        getattr(library, name)  # cffi resolves each declared function in the built library
    with pytest.raises(TypeError):  # cffi enforces the declared parameter list
        library.l1viz_evaluate(0, 1, 1, 1, 1, *[header.ffi.NULL] * 11)


def test_every_code_python_hands_to_c_is_named_in_the_header():
    """kernel.h's enums name each of config's choices and the verdicts, in the order outcomes.py
    reads them; nothing in kernel.c compares against a bare number for them."""
    assert set(header.codes("optimizer")) == set(OPTIMIZERS)
    assert set(header.codes("criterion")) == set(CRITERIA)
    assert {name.replace("_", "-") for name in header.codes("transform")} == set(TRANSFORMS)
    assert set(header.codes("activation")) == set(ACTIVATIONS)
    assert list(header.codes("verdict")) == [verdict.value for verdict in VERDICTS]
    assert list(header.codes("verdict").values()) == list(range(len(VERDICTS)))
    source = header.SOURCE.read_text()
    for field in ("optimizer", "criterion", "transform", "kind", "act", "activation"):
        assert not re.search(rf"\b{field} == \d", source), field


def evaluate_args(count=3, steps=4, batch=5):
    features = (torch.rand(steps, batch),)
    params = [torch.rand(count) for _ in range(3)]
    return features, torch.rand(batch), *params


@pytest.mark.parametrize(
    "break_it,error",
    [
        (lambda args: (args[0], args[1].double(), *args[2:]), TypeError),
        (lambda args: ((torch.rand(5, 4).T,), *args[1:]), ValueError),  # not contiguous
        (lambda args: (args[0], args[1], torch.rand(6)[::2], *args[3:]), ValueError),
        (lambda args: (args[0], args[1], args[2], torch.rand(4), args[4]), ValueError),  # shape
        (lambda args: (args[0], torch.rand(5, device="meta"), *args[2:]), ValueError),  # device
    ],
)
def test_every_tensor_is_checked_before_the_kernel_sees_it(break_it, error):
    features, target, w_hh, w_ih, bias = evaluate_args()
    loss, _, _ = calls.evaluate(features, target, w_hh, w_ih, bias, None, "relu", None, 3)
    assert loss.shape == (3,)
    args = break_it((features, target, w_hh, w_ih, bias))
    with pytest.raises(error):
        calls.evaluate(*args, None, "relu", None, 3)


def test_the_build_cache_key_names_the_compiler(tmp_path):
    fake = tmp_path / "cc"
    fake.write_text("#!/bin/sh\necho 'fake cc 1.0'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    first = build.build_key(str(fake))
    assert first != build.build_key(build.find_compiler())
    fake.write_text("#!/bin/sh\necho 'fake cc 1.1'\n")  # same path, upgraded
    assert build.build_key(str(fake)) != first


def test_a_model_finishing_alone_stops_the_run_at_its_verdict():
    config = TrainConfig(bias=False, steps=20_000, history_rows=100)
    trainer = Trainer(Init(0.83, 0.7645), config)
    made = trainer.step(20_000)
    result = trainer.results()[0]
    assert trainer.done and made == trainer.steps_done == result.converged_at
    assert trainer.step(10) == 0


def test_results_of_some_models_are_those_of_all_models():
    config = TrainConfig(transform="learned", steps=200, lr=0.05)
    trainer = Trainer(mixed_inits(20), config)
    trainer.step(120)  # some models have ended, others still train
    everything = trainer.results()
    picked = trainer.results([7, 2, 19]) + trainer.results(slice(3, 9))
    expected = [everything[7], everything[2], everything[19]] + everything[3:9]
    assert len(picked) == len(expected) and all(map(same_result, picked, expected))
    assert {r.outcome for r in everything} > {"training"}


@pytest.mark.parametrize("dtype,row", [(torch.float32, 0), (torch.float64, 1)])
def test_the_kernel_takes_torch_s_own_square_roots(dtype, row):
    """torch's CPU sqrt is MKL's, not always the IEEE one: the kernel's must be torch's."""
    generator = torch.Generator().manual_seed(3)
    values = (torch.rand(100_003, generator=generator, dtype=torch.float64) * 1e3).to(dtype)
    function = square_root.torch_square_roots()[row]
    if function == header.ffi.NULL:  # torch's sqrt is the CPU's IEEE one here
        roots = torch.from_numpy(np.sqrt(values.numpy()))
    else:
        roots = torch.empty_like(values)
        kind = "float *" if dtype == torch.float32 else "double *"
        function(
            header.ffi.new("int *", len(values)),
            header.ffi.cast(kind, values.data_ptr()),
            header.ffi.cast(kind, roots.data_ptr()),
            header.ffi.new("long long *", square_root.VML_MODE),
        )
    assert torch.equal(roots, values.sqrt())
