"""The activations: the exponentials they are built from against torch's, each phi and phi'
against torch.nn.functional, the cell's loss and gradients against autograd through
torch.nn.functional (all to float32 rounding), and the kernel against the torch path bit for bit
for every activation, optimiser and transform; then the rules that replace the dead ones."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from l1viz.engine import activations
from l1viz.engine.cell import Cell
from l1viz.engine.config import ACTIVATIONS, SLOPE_DEFAULTS, ConfigError, Init, TrainConfig
from l1viz.engine.data import BatchStream
from l1viz.engine.kernel import build
from l1viz.engine.trainer import Trainer
from tests.test_kernel import assert_same_runs, mixed_inits, mixed_rates, same_result, train

TRANSFORMS = ("where", "relu-pair", "learned")
FUNCTIONAL = {
    "relu": lambda z, alpha: F.relu(z),
    "leaky_relu": lambda z, alpha: F.leaky_relu(z, alpha.item()),  # alpha fixed: no gradient
    "elu": lambda z, alpha: F.elu(z),
    "softplus": lambda z, alpha: F.softplus(z),
    "tanh": lambda z, alpha: F.tanh(z),
    "prelu": lambda z, alpha: F.prelu(z, alpha.view(1)),
}


def ulps(found: torch.Tensor, exact: torch.Tensor) -> float:
    """Largest distance of float32 values from float64 ones, in float32 units in the last place."""
    exact32 = exact.float().abs()
    unit = (torch.nextafter(exact32, torch.tensor(math.inf)) - exact32).double()
    return ((found.double() - exact).abs() / unit.clamp(min=1e-45)).max().item()


def test_the_exponentials_are_torchs_to_float32_rounding():
    a = torch.linspace(-86.9, 0, 400_001)
    assert ulps(activations.expm1_neg(a), torch.expm1(a.double())) <= 1
    assert ulps(activations.exp_neg(a), torch.exp(a.double())) <= 2
    y = torch.linspace(0, 1, 100_001)
    assert ulps(activations.log1p_unit(y), torch.log1p(y.double())) <= 3
    assert activations.expm1_neg(torch.tensor([-200.0, -0.0])).tolist() == [-1.0, 0.0]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_and_its_derivative_are_torch_functionals(activation):
    z = torch.cat([torch.linspace(-30, 30, 60_001), torch.tensor([0.0, -0.0, 1e-30, -1e-30])])
    alpha = torch.tensor(0.3)
    h, saved = activations.phi_and_slope(activation, z, alpha)
    exact_z = z.double().requires_grad_(True)
    exact = FUNCTIONAL[activation](exact_z, alpha.double())
    exact.sum().backward()
    assert torch.allclose(h.double(), exact.detach(), rtol=4e-7, atol=1e-30)
    slope = activations.derivative(activation, torch.ones_like(z), z, h, saved, alpha)
    # atol: autograd's own tanh' is 1 - y^2 in float64, which loses what lies below 1e-16
    assert torch.allclose(slope.double(), exact_z.grad, rtol=4e-7, atol=1e-15)


class AutogradCell(nn.Module):
    """The cell written with autograd through torch.nn.functional's activation, in float64."""

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
        phi = FUNCTIONAL[self.cell.activation]
        h = torch.zeros(x.shape[1], dtype=torch.float64)
        for t in range(x.shape[0]):
            h = phi(v["w_hh"] * h + v["w_ih"] * features[t] + bias, v.get("alpha"))
        return h


def random_params(cell: Cell, count: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    params = (torch.rand(len(cell.names), count, generator=generator) * 2 - 1) * scale
    if cell.sloped:
        params[-1] = torch.rand(count, generator=generator) * 0.5 + 0.01
    return params


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "bias,transform", [(False, "where"), (True, "relu-pair"), (True, "learned")]
)
def test_loss_and_gradients_match_autograd_through_functional(
    activation, bias, transform, engine_path
):
    cell = Cell(bias, transform, activation)
    stream = BatchStream(16, 10, seed=1, prepare=cell.prepare)
    for seed in range(8):
        params = random_params(cell, 1, seed)
        batch = stream.next()
        loss, _, grads = cell.loss_and_grads(params, batch)
        reference = AutogradCell(cell, params)
        ref_loss = ((reference(batch.x.double()) - batch.target.double()) ** 2).mean()
        ref_loss.backward()
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5, abs=1e-6)
        expected = reference.values.grad
        assert torch.allclose(grads[:, 0].double(), expected, rtol=1e-4, atol=1e-5), seed
        if activation == "leaky_relu":
            assert grads[-1, 0] == 0  # a fixed alpha is never changed by the optimiser


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("bias,transform", [(b, t) for b in (False, True) for t in TRANSFORMS])
def test_one_evaluation_is_the_same_bits_on_the_kernel_and_the_torch_path(
    activation, bias, transform
):
    cell = Cell(bias, transform, activation)
    params = random_params(cell, 37, seed=0, scale=1.5)  # not a multiple of the vector width
    stream = BatchStream(7, 13, seed=3, prepare=cell.prepare)
    for _ in range(2):
        batch = stream.next()
        kernel = cell.loss_and_grads(params, batch)
        reference = cell.loss_and_grads(params, batch, force_torch=True)
        for got, want in zip(kernel, reference):
            assert torch.equal(got, want)


def run_config(activation: str, optimizer: str, transform: str, **changes) -> TrainConfig:
    settings = dict(
        bias=TRANSFORMS.index(transform) % 2 == (optimizer == "sgd"),  # both, across the runs
        transform=transform,
        optimizer=optimizer,
        lr=0.05 if optimizer == "adam" else 0.02,
        steps=200,
        criterion="tolerance",
        tolerance=1e-2,
        history_rows=40,
        dead_patience=30,
        batch_size=7,
        max_length=6,
        activation=activation,
    )
    return TrainConfig(**{**settings, **changes})


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("transform", TRANSFORMS)
def test_whole_runs_are_the_same_on_the_kernel_and_the_torch_path(
    activation, optimizer, transform, monkeypatch
):
    config = run_config(activation, optimizer, transform)
    inits, rates = mixed_inits(37), mixed_rates(37, config.lr, optimizer)
    chunks = [1, 2, 50, 3]
    kernel = train(inits, config, chunks, rates)
    monkeypatch.setattr(build, "library", lambda: None)
    reference = train(inits, config, chunks, rates)
    assert_same_runs(kernel, reference)
    assert "diverged" in {r.outcome for r in kernel.results()} or activation == "tanh"


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_few_models_evaluated_one_by_one_are_the_same_on_both_paths(activation, monkeypatch):
    """The kernel's lanes-over-the-batch evaluation, with a partial last vector (B = 17)."""
    config = run_config(activation, "adam", "learned", batch_size=17, max_length=4, steps=120)
    inits = mixed_inits(3, seed=2)
    kernel = train(inits, config, [5])
    monkeypatch.setattr(build, "library", lambda: None)
    reference = train(inits, config, [5])
    assert_same_runs(kernel, reference)


# -- settings ----------------------------------------------------------------------------------
def test_the_slope_belongs_to_the_sloped_activations_and_lies_in_zero_one():
    assert TrainConfig().activation == "relu" and TrainConfig().slope is None
    assert TrainConfig(activation="leaky_relu").slope == 0.01
    assert TrainConfig(activation="prelu").slope == 0.25 == SLOPE_DEFAULTS["prelu"]
    assert TrainConfig(activation="leaky_relu", slope=0.2).slope == 0.2
    for wrong in (0.0, 1.0, -0.1, math.nan, math.inf, "0.1", True):
        with pytest.raises(ConfigError, match="slope"):
            TrainConfig(activation="leaky_relu", slope=wrong)
    with pytest.raises(ConfigError, match="only leaky_relu and prelu have a slope"):
        TrainConfig(activation="elu", slope=0.1)
    with pytest.raises(ConfigError, match="activation"):
        TrainConfig(activation="gelu")


def test_each_model_at_its_own_alpha_is_a_lone_run_at_that_alpha(engine_path):
    config = TrainConfig(activation="leaky_relu", bias=False, steps=300, lr=0.01)
    inits = torch.tensor([[0.83, -0.2, 0.0, 0.0]] * 4)
    alphas = [0.001, 0.01, 0.1, 0.5]
    together = Trainer(inits, config, alphas=alphas)
    together.run()
    for k, alpha in enumerate(alphas):
        alone = Trainer(inits[k : k + 1], TrainConfig(**{**config.as_dict(), "slope": alpha}))
        alone.run()
        assert same_result(alone.results()[0], together.results()[k])
        assert together.results()[k].params["alpha"] == pytest.approx(alpha)
    with pytest.raises(ConfigError, match="alphas"):
        Trainer(inits, config, alphas=[0.1, 0.2, 1.5, 0.1])
    with pytest.raises(ConfigError, match="alphas"):
        Trainer(inits, TrainConfig(), alphas=[0.1] * 4)


# -- rules -------------------------------------------------------------------------------------
DEAD_FROM_THE_START = Init(0.83, -0.2)  # no bias: w_ih < 0, no input fires a ReLU cell


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "relu"])
def test_only_relu_is_ever_dead_a_silent_cell_of_another_activation_learns(activation):
    config = TrainConfig(activation=activation, bias=False, steps=2000)
    trainer = Trainer(DEAD_FROM_THE_START, config)
    (result,) = trainer.run()
    assert result.dead_at_init and result.outcome not in ("dead", "dead_in_practice")
    assert result.params["w_ih"] > 0  # learned its way out of the region
    # softplus is never 0: h_1 > 0 lifts z_2 = w_hh h_1 + w_ih |x_2| above 0 for small |x_2|
    silent_at_first = trainer.history.column("active")[0] == 0
    assert silent_at_first == (activation != "softplus")
    if silent_at_first:
        assert result.revived_from == 0 and result.revived_at >= config.dead_patience
    relu = Trainer(DEAD_FROM_THE_START, TrainConfig(bias=False, steps=2000)).run()[0]
    assert relu.outcome == "dead" and relu.died_at == 0 and relu.revived_at is None


def test_a_leaky_cell_revives_and_converges_exactly_where_relu_is_dead():
    config = TrainConfig(activation="leaky_relu", slope=0.01, bias=False)
    result = Trainer(DEAD_FROM_THE_START, config).run()[0]
    assert result.outcome == "converged" and result.params["w_hh"] == result.params["w_ih"] == 1
    assert 0 < result.revived_at < result.converged_at


def test_a_leaky_cell_that_cannot_leave_the_silence_in_its_budget_is_stalled():
    """SGD steps are proportional to the gradient, itself proportional to alpha below zero."""
    config = TrainConfig(activation="leaky_relu", slope=1e-4, bias=False, optimizer="sgd")
    config = TrainConfig(**{**config.as_dict(), "lr": 1e-3, "steps": 3000})
    result = Trainer(DEAD_FROM_THE_START, config).run()[0]
    assert result.outcome == "stalled" and result.revived_at is None
    assert result.active == 0 and result.params["w_ih"] > -0.2  # learning, slowly
