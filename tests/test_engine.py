"""The engine: exact arithmetic, batched == alone, verdicts, the dead-ReLU rule."""

import math

import pytest
import torch
from torch import nn

from l1viz.engine.cell import Cell
from l1viz.engine.config import Init, TrainConfig
from l1viz.engine.data import BatchStream
from l1viz.engine.kernel import build
from l1viz.engine.optim import adam_update, sgd_update
from l1viz.engine.outcomes import (
    dead_at_init,
    firing_chance,
    firing_threshold_limit,
    in_dead_region,
)
from l1viz.engine.pytorch_init import default_init
from l1viz.engine.state import ModelState
from l1viz.engine.trainer import Trainer

LAYOUTS = [
    (bias, transform) for bias in (False, True) for transform in ("where", "relu-pair", "learned")
]


def random_params(cell: Cell, count: int, seed: int = 0, scale: float = 1.5) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(len(cell.names), count, generator=generator) * 2 - 1) * scale


@pytest.mark.parametrize("bias,transform", LAYOUTS)
@pytest.mark.parametrize("batch_size,max_length", [(32, 10), (7, 13), (1, 1)])
def test_kernel_and_torch_path_agree_bit_for_bit(bias, transform, batch_size, max_length):
    cell = Cell(bias, transform)
    params = random_params(cell, 37)  # not a multiple of the kernel's vector width
    stream = BatchStream(batch_size, max_length, seed=3, prepare=cell.prepare)
    for _ in range(3):
        batch = stream.next()
        kernel = cell.loss_and_grads(params, batch)
        reference = cell.loss_and_grads(params, batch, force_torch=True)
        for got, want in zip(kernel, reference):
            assert torch.equal(got, want)


class AutogradCell(nn.Module):
    """The same model written with autograd in float64, as an independent reference."""

    def __init__(self, cell: Cell, params: torch.Tensor):
        super().__init__()
        self.cell = cell
        self.values = nn.Parameter(params[:, 0].double().clone())

    def forward(self, x):
        v = dict(zip(self.cell.names, self.values))
        if self.cell.learned:
            hidden = torch.stack([v[f"in_{j}"] for j in range(4)])
            out = torch.stack([v[f"out_{j}"] for j in range(4)])
            features = (torch.relu(x[..., None] * hidden) * out).sum(-1)
        else:
            features = x.abs()
        bias = v["b_hh"] + v["b_ih"] if self.cell.bias else 0.0
        h = torch.zeros(x.shape[1], dtype=torch.float64)
        for t in range(x.shape[0]):
            h = torch.relu(v["w_hh"] * h + v["w_ih"] * features[t] + bias)
        return h


@pytest.mark.parametrize("bias,transform", LAYOUTS)
def test_loss_and_gradients_match_autograd(bias, transform, engine_path):
    cell = Cell(bias, transform)
    stream = BatchStream(16, 10, seed=1, prepare=cell.prepare)
    checked = 0
    for seed in range(16):
        params = random_params(cell, 1, seed, scale=1.0)
        if seed % 2:
            params[1] = params[1].abs()  # half the draws outside the dead region
        batch = stream.next()
        loss, active, grads = cell.loss_and_grads(params, batch)
        reference = AutogradCell(cell, params)
        prediction = reference(batch.x.double())
        ref_loss = ((prediction - batch.target.double()) ** 2).mean()
        ref_loss.backward()
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5, abs=1e-6)
        ref_grads = reference.values.grad.float()
        assert torch.allclose(grads[:, 0], ref_grads, rtol=1e-4, atol=1e-5)
        checked += bool((grads != 0).any())
    assert checked >= 8, "the live inits should have non-zero gradients"


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_optimizers_are_torch_optim_bit_for_bit_at_each_models_rate(optimizer):
    """Every column at its own learning rate equals torch.optim on that column alone."""
    generator = torch.Generator().manual_seed(0)
    params = torch.rand(4, 50, generator=generator)
    rates = 10.0 ** torch.empty(50, dtype=torch.float64).uniform_(-5, 0, generator=generator)
    state = ModelState.start(params.clone(), rates)
    theirs = [params[:, k].clone().requires_grad_(True) for k in range(50)]
    make = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    references = [make([p], lr=rate) for p, rate in zip(theirs, rates.tolist())]
    update = adam_update if optimizer == "adam" else sgd_update
    keep = torch.ones(50, dtype=torch.bool)
    for count in range(1, 201):
        scale = 10 ** torch.randint(-8, 3, (1,), generator=generator).item()
        state.grads.copy_(torch.randn(4, 50, generator=generator) * scale)
        update(state, count, keep)
        for k, (mine, reference) in enumerate(zip(theirs, references)):
            mine.grad = state.grads[:, k].clone()
            reference.step()
    assert torch.equal(state.params, torch.stack([p.detach() for p in theirs], 1))


def mixed_inits(count: int, seed: int = 0) -> torch.Tensor:
    """Inits of every kind: converging, dead from the start, dying, diverging under a big lr."""
    generator = torch.Generator().manual_seed(seed)
    inits = torch.rand(count, 4, generator=generator) * 4 - 2
    inits[0] = torch.tensor([0.83, 0.7645, 0.0, 0.0])
    inits[1] = torch.tensor([0.5, -0.3, -0.2, 0.1])
    return inits


@pytest.mark.parametrize("bias,transform", LAYOUTS)
def test_batched_training_equals_separate_runs(bias, transform, engine_path):
    config = TrainConfig(bias=bias, transform=transform, steps=300, lr=0.05, history_rows=512)
    inits = mixed_inits(21)
    together = Trainer(inits, config)
    together.run()
    outcomes = together.results()
    assert len({r.outcome for r in outcomes}) >= 2, "the mix should end in different ways"
    for k in range(len(inits)):
        alone = Trainer(inits[k : k + 1], config)
        alone.run()
        assert alone.results()[0] == outcomes[k]
        assert torch.equal(alone.params[:, 0], together.params[:, k])
        solo, batched = alone.history.table(), together.history.table(k)
        common = sorted(set(solo["step"]) & set(batched["step"]))
        assert common == solo["step"]
        for field in alone.history.fields:
            at_solo = dict(zip(solo["step"], solo[field]))
            at_batched = dict(zip(batched["step"], batched[field]))
            assert _same_floats([at_solo[s] for s in common], [at_batched[s] for s in common])


def _same_floats(a, b):
    return len(a) == len(b) and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b)
    )


def test_notebook_initialisation_converges():
    config = TrainConfig(bias=False, steps=20_000)
    result = Trainer(default_init(42, bias=False), config).run()[0]
    assert result.initial["w_hh"] == pytest.approx(0.8300, abs=5e-5)
    assert result.initial["w_ih"] == pytest.approx(0.7645, abs=5e-5)
    assert result.outcome == "converged"
    assert result.steps == result.converged_at
    assert abs(result.params["w_hh"] - 1) <= 1e-3 and abs(result.params["w_ih"] - 1) <= 1e-3


def test_dead_init_is_dead_from_step_zero_and_never_moves(engine_path):
    init = Init(w_hh=0.7, w_ih=-0.2)
    config = TrainConfig(bias=False, steps=1_000, history_rows=1_000)
    trainer = Trainer(init, config)
    result = trainer.run()[0]
    assert result.dead_at_init and result.outcome == "dead"
    assert result.died_at == 0 and result.steps == config.dead_patience - 1
    assert trainer.history.column("active") == [0.0] * config.dead_patience
    assert trainer.history.column("grad_norm") == [0.0] * config.dead_patience
    assert result.params == result.initial


def test_firing_threshold_limit_is_one_expected_input_per_budget():
    config = TrainConfig(batch_size=32, max_length=10, steps=50_000)
    limit = firing_threshold_limit(config)
    inputs = 32 * 5.5 * 50_000
    assert firing_chance(limit) == pytest.approx(1 / inputs, rel=1e-9)
    assert limit == pytest.approx(5.3034, abs=1e-4)


def test_an_init_that_never_fires_is_dead_in_practice(engine_path):
    """w_ih > 0 > b_hh + b_ih: outside the dead region, but it fires only for |x| > 20."""
    config = TrainConfig(seed=3, steps=50_000)
    silent, firing = Init(0.5, 0.05, -0.5, -0.5), Init(0.5, 0.5, -0.5, -1.0)  # |x| > 20, > 3
    first, second = Trainer([silent, firing], config).run()
    assert (first.outcome, first.silent_from, first.steps) == ("dead_in_practice", 0, 99)
    assert not first.dead_at_init and first.params == first.initial
    assert first.decided_at == 0 and first.ending == "dead_in_practice"
    assert second.outcome == "converged" and second.silent_from is None


def test_a_smaller_budget_moves_the_reach_of_dead_in_practice(engine_path):
    """|x| > 5 comes about 5 times in 50,000 steps but not once, on average, in 1,000."""
    init = Init(0.5, 0.2, -0.5, -0.5)
    long, short = TrainConfig(steps=50_000), TrainConfig(steps=1000)
    assert firing_threshold_limit(short) < 5 < firing_threshold_limit(long)
    assert Trainer(init, short).run()[0].outcome == "dead_in_practice"
    assert Trainer(init, long).run()[0].outcome != "dead_in_practice"


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_analytic_dead_rule_agrees_with_measurement(optimizer, engine_path):
    """Over many random inits: in the dead region the cell never fires and never gets a
    gradient; outside it, some input fires it and training never calls it dead at step 0."""
    generator = torch.Generator().manual_seed(7)
    inits = torch.rand(400, 4, generator=generator) * 4 - 2
    config = TrainConfig(optimizer=optimizer, lr=0.01, steps=150, history_rows=200)
    trainer = Trainer(inits, config)
    trainer.run()
    analytic = [dead_at_init(w_ih, b_hh, b_ih) for _, w_ih, b_hh, b_ih in inits.tolist()]
    assert [result.dead_at_init for result in trainer.results()] == analytic
    assert 50 < sum(analytic) < 350, "the sample should cover both sides of the boundary"
    active = torch.tensor([trainer.history.column("active", k) for k in range(len(inits))])
    grads = torch.tensor([trainer.history.column("grad_norm", k) for k in range(len(inits))])
    for k, (result, dead) in enumerate(zip(trainer.results(), analytic)):
        if dead:
            assert result.outcome == "dead" and result.died_at == 0
            assert (active[k] == 0).all() and (grads[k] == 0).all()
            assert result.params == result.initial
        else:
            assert result.died_at != 0
            assert _fires_on_some_input(trainer.cell, trainer.initial_params[:, k : k + 1])


def _fires_on_some_input(cell: Cell, params: torch.Tensor) -> bool:
    """Feed a probe |x| past the firing threshold -b / w_ih (or x = 0 when b > 0)."""
    w_ih = params[1].item()
    bias = cell.bias_sum(params).item()
    size = 0.0 if bias > 0 else 1.0 - bias / w_ih
    x = torch.tensor([[size], [-size]]).T.contiguous().view(1, 2)
    states = cell.hidden_states(params, x)
    return bool((states[1] > 0).any())


def test_dead_region_rule_on_effective_parameters():
    effective = torch.tensor(
        [
            [1.0, 1.0, 1.0, 1.0, 1.0],
            [-0.1, 0.0, 0.1, -0.1, -0.2],
            [-0.1, 0.0, 0.1, -0.1, 0.3],
            [-0.1, 0.0, -0.5, 0.2, -0.1],
        ]
    )
    assert in_dead_region(effective).tolist() == [True, True, False, False, False]


def test_verdicts_converged_dead_diverged_stalled():
    cases = {
        "converged": (Init(0.83, 0.7645), TrainConfig(bias=False, steps=20_000)),
        "dead": (Init(0.5, -0.5, -0.1, 0.05), TrainConfig(steps=500)),
        "diverged": (Init(0.9, 0.5, 0.1, 0.1), TrainConfig(lr=3.0, optimizer="sgd", steps=100)),
        "stalled": (Init(0.83, 0.7645), TrainConfig(bias=False, steps=50)),
    }
    for expected, (init, config) in cases.items():
        result = Trainer(init, config).run()[0]
        assert result.outcome == expected
        if expected == "diverged":
            assert result.diverged_at is not None and result.steps == result.diverged_at
        if expected == "stalled":
            assert result.steps == 50 and result.converged_at is None


def test_dying_during_training_reports_the_step_it_entered():
    """SGD pushes w_ih below 0 while the bias is negative: alive at first, dead mid-run."""
    config = TrainConfig(optimizer="sgd", lr=0.01, steps=3_000, history_rows=4_000)
    trainer = Trainer(Init(0.7907, 1.2000, -1.3559, -0.8709), config)
    result = trainer.run()[0]
    assert result.outcome == "dead" and not result.dead_at_init
    assert result.died_at > 0
    assert result.steps == result.died_at + config.dead_patience - 1
    history = trainer.history.table()
    at = history["step"].index(result.died_at)
    assert history["active"][at - 1] > 0 or history["w_ih"][at - 1] > 0
    for row in range(at, len(history["step"])):
        assert history["active"][row] == 0 and history["w_ih"][row] <= 0
    assert dead_at_init(result.params["w_ih"], result.params["b_hh"], result.params["b_ih"])


def test_no_early_stop_trains_the_whole_budget():
    config = TrainConfig(bias=False, steps=12_000, early_stop=False)
    result = Trainer(Init(0.83, 0.7645), config).run()[0]
    assert result.outcome == "converged" and result.steps == 12_000
    assert result.converged_at < 12_000


def test_exact_and_loss_criteria():
    exact = TrainConfig(bias=False, steps=20_000, criterion="exact")
    result = Trainer(Init(0.83, 0.7645), exact).run()[0]
    assert result.outcome == "converged"
    assert result.params["w_hh"] == 1.0 and result.params["w_ih"] == 1.0
    loss = TrainConfig(bias=False, steps=20_000, criterion="loss", tolerance=1e-4)
    result = Trainer(Init(0.83, 0.7645), loss).run()[0]
    assert result.outcome == "converged" and result.loss <= 1e-4


def test_where_and_relu_pair_compute_the_same_function():
    inits = mixed_inits(8)
    runs = [Trainer(inits, TrainConfig(transform=t, steps=200)) for t in ("where", "relu-pair")]
    for run in runs:
        run.run()
    assert torch.equal(runs[0].params, runs[1].params)


def test_learned_transform_learns_the_absolute_value():
    config = TrainConfig(transform="learned", bias=False, steps=30_000, lr=0.01, seed=1)
    trainer = Trainer(Init(0.8, 0.8), config)
    result = trainer.run()[0]
    assert result.outcome == "converged", result
    w_ih = result.params["w_ih"]
    assert w_ih * result.params["slope_pos"] == pytest.approx(1, abs=1e-3)
    assert w_ih * result.params["slope_neg"] == pytest.approx(1, abs=1e-3)


def test_history_keeps_every_step_then_decimates():
    config = TrainConfig(bias=False, steps=1_000, history_rows=100, early_stop=False)
    trainer = Trainer(Init(0.83, 0.7645), config)
    trainer.run()
    steps = trainer.history.steps
    assert len(steps) <= 100 and steps[0] == 0
    stride = steps[1] - steps[0]
    assert stride == 16 and steps == list(range(0, 1_001, stride))[: len(steps)]
    assert steps[-1] >= 1_000 - stride


def test_same_seed_same_run_different_seed_different_data():
    def final(seed):
        trainer = Trainer(Init(0.5, 0.5, 0.1, -0.1), TrainConfig(seed=seed, steps=100))
        trainer.run()
        return trainer.params

    assert torch.equal(final(3), final(3))
    assert not torch.equal(final(3), final(4))


def test_notebook_batches_consume_the_rng_like_the_notebook():
    from l1viz.engine.data import notebook_batch

    torch.manual_seed(42)
    padded, targets = notebook_batch(4, 10)
    torch.manual_seed(42)
    for row in range(4):
        length = torch.randint(1, 11, (1,)).item()
        sequence = torch.randn(length, 1)
        assert torch.equal(padded[row, :length], sequence)
        assert targets[row] == torch.sum(torch.abs(sequence))


def test_kernel_is_built_from_scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("L1VIZ_CACHE_DIR", str(tmp_path))
    build.library.cache_clear()
    try:
        assert build.library() is not None
        assert len(list(tmp_path.glob("kernel-*.so"))) == 1
    finally:
        build.library.cache_clear()
