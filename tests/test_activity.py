"""The activity raster: where the pre-activation is positive and the gradient on every state."""

import numpy as np
import torch

from l1viz.engine.cell import Cell
from l1viz.engine.data import Batch
from l1viz.study.activity import activity


def batch_of(columns: list[list[float]]) -> Batch:
    """A hand-made batch: one list of values per sequence, zero-padded, time-major."""
    longest = max(map(len, columns))
    x = torch.zeros(longest, len(columns))
    for b, values in enumerate(columns):
        x[: len(values), b] = torch.tensor(values)
    return Batch(x, x.abs().sum(0))


def test_gradients_on_every_state_match_autograd():
    batch = batch_of([[0.5, -1.0, 2.0], [1.5], [-0.3, 0.2]])
    params = torch.tensor([[0.9], [0.8]])
    found = activity(Cell(False, "where"), params, batch)
    w_hh, w_ih = torch.tensor(0.9, requires_grad=True), torch.tensor(0.8)
    h, states = torch.zeros(3), []
    for t in range(3):
        h = torch.relu(w_hh * h + w_ih * batch.x[t].abs())
        h.retain_grad()
        states.append(h)
    loss = ((h - batch.target) ** 2).mean()
    loss.backward()
    expected = torch.stack([state.grad for state in states]).T.numpy()
    np.testing.assert_allclose(found.grad, expected, rtol=1e-6, atol=1e-7)
    assert found.loss == loss.item()
    assert found.lengths.tolist() == [3, 1, 2]
    assert found.fired.all()  # every pre-activation positive for this healthy cell


def test_a_dead_cell_never_fires_and_gets_no_gradient_past_the_end():
    batch = batch_of([[0.5, -1.0], [1.5, 0.3]])
    found = activity(Cell(False, "where"), torch.tensor([[0.9], [-0.2]]), batch)
    assert not found.fired.any()
    assert (found.grad[:, :-1] == 0).all()  # only the output's own gradient is non-zero
    assert (found.grad[:, -1] != 0).all()


def test_a_softplus_cell_fires_where_its_pre_activation_is_positive_though_h_never_is_0():
    """softplus(z) > 0 everywhere: firing is read from z, as for every activation."""
    batch = batch_of([[0.5, -1.0, 2.0], [1.5, 0.3]])
    params = torch.tensor([[0.5], [-0.8]])
    cell = Cell(False, "where", "softplus")
    found = activity(cell, params, batch)
    assert (cell.hidden_states(params, batch.x)[1:] > 0).all()
    z = cell.pre_activations(params, batch.x)[:, 0, :]
    assert found.fired.tolist() == (z > 0).T.tolist() and not found.fired[:, 0].any()
    assert found.fired.any()  # h_1 > 0 times w_hh can outweigh w_ih |x| later on
