"""PyTorch's own initialisation of the model, from a seed: what `torch.manual_seed(seed)` followed
by building the modules gives (seed 42 without bias is the notebook's init)."""

from __future__ import annotations

import torch
from torch import nn

from l1viz.engine.cell import LEARNED_WIDTH
from l1viz.engine.config import Init


def _seeded_modules(seed: int, bias: bool, learned: bool):
    """The model as PyTorch would initialise it after manual_seed(seed): the one-unit RNNCell
    (U(-1, 1)), then, for the learned transform, Linear(1, W) and Linear(W, 1) without bias."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cell = nn.RNNCell(1, 1, bias=bias, nonlinearity="relu")
        layers = (
            (nn.Linear(1, LEARNED_WIDTH, bias=False), nn.Linear(LEARNED_WIDTH, 1, bias=False))
            if learned
            else ()
        )
    return cell, layers


def default_init(seed: int, bias: bool = True) -> Init:
    """PyTorch's own initialisation of the cell from the seed (seed 42, no bias: the notebook's)."""
    cell, _ = _seeded_modules(seed, bias, learned=False)
    values = {"w_hh": cell.weight_hh.item(), "w_ih": cell.weight_ih.item()}
    if bias:
        values.update(b_hh=cell.bias_hh.item(), b_ih=cell.bias_ih.item())
    return Init(**values)


def learned_layer_init(seed: int, bias: bool) -> list[float]:
    """The learned input layer's weights (in_0..in_3, out_0..out_3), drawn after the cell's."""
    _, (layer_in, layer_out) = _seeded_modules(seed, bias, learned=True)
    return layer_in.weight.flatten().tolist() + layer_out.weight.flatten().tolist()
