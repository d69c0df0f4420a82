"""The one-unit recurrent cell, batched over K models, with backprop through time by hand.

    z_{t+1} = w_hh * h_t + w_ih * f(x_t) + b_hh + b_ih,   h_{t+1} = phi(z_{t+1}),
    h_0 = 0,   prediction = h_T

phi is the notebook's ReLU unless the run chose another activation (activations.py); a sloped one
(leaky_relu, prelu) has its alpha as the last parameter row, `alpha`, fixed or learned.

Parameters are one tensor of shape (rows, K): row i holds parameter `names[i]` of every model.
Per model, everything is elementwise or a pairwise sum over that model's own batch, so a model
computes the same bits whether it is trained alone or with 4,095 others.

Input transforms f (the fixed ones both give |x| exactly, with different operations):
  where      the notebook's sign flip, torch.where(x < 0, -x, x)
  relu-pair  relu(x) + relu(-x): only dense, ReLU, negation and sum, as the original task allowed
  learned    a dense layer of LEARNED_WIDTH ReLU units (no bias) and a dense read-out, trained with
             the cell: f(x) = sum_j v_j relu(c_j x). Such an f is exactly s+ relu(x) + s- relu(-x)
             with slopes s+ = sum_j v_j relu(c_j) and s- = sum_j v_j relu(-c_j); the cell computes
             it in that form. With w_ih it gives |x| iff w_ih s+ = w_ih s- = 1.

Backward: with g_T = dL/dh_T, going back in time,
    dL/dz_{t+1} = g_{t+1} phi'(z_{t+1})   ([h_{t+1} > 0] for ReLU),   g_t = w_hh dL/dz_{t+1},
and the gradients are sums over t and the batch of dL/dz_{t+1} times h_t (w_hh), f(x_t) (w_ih)
and 1 (b); prelu's alpha gets g_{t+1} times min(z_{t+1}, 0).
On CPU the compiled kernel (kernel/kernel.c, called through kernel/calls.py) does exactly this;
`_evaluate_torch` is the same in torch operations (any device, and the reference the kernel is
tested against).
"""

from __future__ import annotations

import torch

from l1viz.engine.activations import derivative, negative_part, phi_and_slope
from l1viz.engine.config import SLOPE_DEFAULTS, cell_parameters
from l1viz.engine.data import Batch
from l1viz.engine.kernel import build, calls

LEARNED_WIDTH = 4


def parameter_names(bias: bool, transform: str, activation: str = "relu") -> tuple[str, ...]:
    names = cell_parameters(bias)
    if transform == "learned":
        names += tuple(f"in_{j}" for j in range(LEARNED_WIDTH))
        names += tuple(f"out_{j}" for j in range(LEARNED_WIDTH))
    if activation in SLOPE_DEFAULTS:
        names += ("alpha",)
    return names


def abs_features(x: torch.Tensor, transform: str) -> torch.Tensor:
    """|x| by the fixed transform's own operations."""
    if transform == "where":
        return torch.where(x < 0, torch.neg(x), x)
    return torch.relu(x) + torch.relu(torch.neg(x))


def pairwise_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum over the last axis, pairing i with i + half (zero-padded to a power of two)."""
    width = values.shape[-1]
    padded = 1 << (width - 1).bit_length()
    if padded != width:
        values = torch.nn.functional.pad(values, (0, padded - width))
    while values.shape[-1] > 1:
        half = values.shape[-1] // 2
        values = values[..., :half] + values[..., half:]
    return values[..., 0]


def sum_rows(rows: torch.Tensor) -> torch.Tensor:
    """Sum over the first axis in a fixed order (a reduction kernel's order may depend on K)."""
    total = rows[0]
    for row in rows[1:]:
        total = total + row
    return total


class Cell:
    """Forward and backward for one layout (bias or not, transform, activation)."""

    def __init__(self, bias: bool, transform: str, activation: str = "relu"):
        self.bias = bias
        self.transform = transform
        self.activation = activation
        self.learned = transform == "learned"
        self.sloped = activation in SLOPE_DEFAULTS
        self.learns_alpha = activation == "prelu"
        self.keeps_slope = activation in ("elu", "softplus", "tanh")  # phi' from the forward
        self.names = parameter_names(bias, transform, activation)
        self._first_in = self.names.index("in_0") if self.learned else None

    # -- parameters -------------------------------------------------------------------------
    def slopes(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(s+, s-) of the learned input map f."""
        start = self._first_in
        weights_in = params[start : start + LEARNED_WIDTH]
        weights_out = params[start + LEARNED_WIDTH : start + 2 * LEARNED_WIDTH]
        return (
            sum_rows(weights_out * torch.relu(weights_in)),
            sum_rows(weights_out * torch.relu(torch.neg(weights_in))),
        )

    def alpha(self, params: torch.Tensor) -> torch.Tensor | None:
        """(K,) the sloped activation's alpha, None for the others."""
        return params[-1] if self.sloped else None

    def bias_sum(self, params: torch.Tensor) -> torch.Tensor:
        return params[2] + params[3] if self.bias else torch.zeros_like(params[0])

    def effective(self, params: torch.Tensor) -> torch.Tensor:
        """(4, K): w_hh, the input weights for x > 0 and x < 0 (w_ih s+, w_ih s-), b_hh + b_ih.

        The outcome rules are stated on these four numbers, so they hold for every transform.
        """
        if self.learned:
            slope_pos, slope_neg = self.slopes(params)
            w_pos, w_neg = params[1] * slope_pos, params[1] * slope_neg
        else:
            w_pos = w_neg = params[1]
        return torch.stack([params[0], w_pos, w_neg, self.bias_sum(params)])

    # -- forward ----------------------------------------------------------------------------
    def prepare(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The input features that do not depend on the parameters: (|x|,) for the fixed
        transforms, (relu(x), relu(-x)) for `learned`. Works on any leading shape."""
        if self.learned:
            return torch.relu(x), torch.relu(torch.neg(x))
        return (abs_features(x, self.transform),)

    def _features(self, params: torch.Tensor, parts: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """f(x) as (T, B) for the fixed transforms or (T, K, B) for `learned`."""
        if not self.learned:
            return parts[0]
        slope_pos, slope_neg = self.slopes(params)
        column = (1, -1, 1)
        return (
            slope_pos.view(column) * parts[0][:, None] + slope_neg.view(column) * parts[1][:, None]
        )

    def hidden_states(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """All states h_0..h_T, shape (T + 1, K, B); h_T is the prediction."""
        return self._unroll(params, self._features(params, self.prepare(x)))

    def pre_activations(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """z_1..z_T, shape (T, K, B): where z > 0 the cell fires (and, under ReLU, only there
        does gradient flow back)."""
        features = self._features(params, self.prepare(x))
        pre = params.new_empty(x.shape[0], params.shape[1], x.shape[-1])
        self._unroll(params, features, pre)
        return pre

    def _unroll(self, params, features, pre=None, slopes=None) -> torch.Tensor:
        """States h_0..h_T; with `pre` ((T, K, B)) also each z_{t+1} into pre[t], with `slopes`
        each phi'(z_{t+1}) (elu, softplus, tanh: `phi_and_slope`)."""
        steps, batch = features.shape[0], features.shape[-1]
        count = params.shape[1]
        w_hh, w_ih = params[0].view(count, 1), params[1].view(count, 1)
        bias = self.bias_sum(params).view(count, 1) if self.bias else None
        alpha = params[-1].view(count, 1) if self.sloped else None
        states = params.new_empty(steps + 1, count, batch)
        states[0] = 0
        for t in range(steps):
            z = states[t + 1]
            if bias is None:
                torch.mul(w_ih, features[t], out=z)
            else:
                torch.addcmul(bias, w_ih, features[t], out=z)
            z.addcmul_(w_hh, states[t])
            if pre is not None:
                pre[t] = z
            if self.activation == "relu":
                z.clamp_(min=0)
                continue
            h, slope = phi_and_slope(self.activation, z, alpha)
            if slopes is not None:
                slopes[t] = slope
            z.copy_(h)
        return states

    # -- training evaluation ----------------------------------------------------------------
    def loss_and_grads(self, params: torch.Tensor, batch: Batch, force_torch: bool = False):
        """Per model: mean squared error, fraction of positive pre-activations, gradients."""
        use_kernel = params.device.type == "cpu" and not force_torch and build.library()
        evaluate = self._evaluate_kernel if use_kernel else self._evaluate_torch
        loss, active, sums = evaluate(params, batch)
        return loss, active, self._gather_grads(params, sums)

    def _sum_rows_count(self) -> int:
        """Rows of the gradient sums: w_hh, w_ih, [bias], [s+, s-], [alpha]."""
        return 2 + self.bias + 2 * self.learned + self.learns_alpha

    def _evaluate_kernel(self, params: torch.Tensor, batch: Batch):
        parts = tuple(part.contiguous() for part in batch.features or self.prepare(batch.x))
        slopes = tuple(s.contiguous() for s in self.slopes(params)) if self.learned else None
        bias = self.bias_sum(params).contiguous() if self.bias else None
        return calls.evaluate(
            parts,
            batch.target.contiguous(),
            params[0].contiguous(),
            params[1].contiguous(),
            bias,
            slopes,
            self.activation,
            self.alpha(params).contiguous() if self.sloped else None,
            self._sum_rows_count(),
        )

    def _evaluate_torch(self, params: torch.Tensor, batch: Batch, state_grads=None):
        """loss, active, gradient sums; with `state_grads` ((T, K, B)), also dL/dh_{t+1} into
        state_grads[t] for every t."""
        parts = batch.features or self.prepare(batch.x)
        features = self._features(params, parts)
        steps, batch_size = batch.x.shape
        count = params.shape[1]
        relu = self.activation == "relu"
        pre = None if relu else params.new_empty(steps, count, batch_size)
        slopes = pre.new_empty(pre.shape) if self.keeps_slope else None
        states = self._unroll(params, features, pre, slopes)

        error = states[steps] - batch.target
        loss = pairwise_sum(error * error) / batch_size
        fired = (states[1:] > 0 if relu else pre > 0).sum((0, 2))
        active = fired.to(params.dtype) / (steps * batch_size)

        w_hh = params[0].view(count, 1)
        alpha = params[-1].view(count, 1) if self.sloped else None
        grad = error * (2.0 / batch_size)
        sums = params.new_zeros(self._sum_rows_count(), count, batch_size)
        pos = 2 + self.bias  # the rows of s+ and s- when learned
        for t in range(steps - 1, -1, -1):
            if state_grads is not None:
                state_grads[t] = grad
            z = None if relu else pre[t]
            slope = slopes[t] if self.keeps_slope else None
            grad_pre = derivative(self.activation, grad, z, states[t + 1], slope, alpha)
            sums[0].addcmul_(grad_pre, states[t])
            sums[1].addcmul_(grad_pre, features[t])
            if self.bias:
                sums[2].add_(grad_pre)
            if self.learned:
                sums[pos].addcmul_(grad_pre, parts[0][t])
                sums[pos + 1].addcmul_(grad_pre, parts[1][t])
            if self.learns_alpha:
                sums[-1].addcmul_(grad, negative_part(z))
            grad = grad_pre * w_hh
        return loss, active, pairwise_sum(sums)

    def state_gradients(self, params: torch.Tensor, batch: Batch) -> torch.Tensor:
        """(T, K, B): dL/dh_{t+1} at every step t, from the backward pass of training itself."""
        steps, batch_size = batch.x.shape
        grads = params.new_empty(steps, params.shape[1], batch_size)
        self._evaluate_torch(params, batch, state_grads=grads)
        return grads

    def _gather_grads(self, params: torch.Tensor, sums: torch.Tensor) -> torch.Tensor:
        """Per-parameter gradients (rows like params) from the per-model sums."""
        rows = [sums[0], sums[1]]
        if self.bias:
            rows += [sums[2], sums[2]]
        if self.learned:
            rows += self._learned_layer_grads(params, sums[2 + self.bias], sums[3 + self.bias])
        if self.sloped:  # leaky_relu's alpha is fixed: its gradient is 0
            rows.append(sums[-1] if self.learns_alpha else torch.zeros_like(sums[0]))
        return torch.stack(rows)

    def _learned_layer_grads(self, params, sum_pos, sum_neg) -> list[torch.Tensor]:
        """The gradients of in_0..3 and out_0..3 from the sums of dL/dz times relu(+-x)."""
        start = self._first_in
        weights_in = params[start : start + LEARNED_WIDTH]
        weights_out = params[start + LEARNED_WIDTH : start + 2 * LEARNED_WIDTH]
        grad_slope_pos = params[1] * sum_pos
        grad_slope_neg = params[1] * sum_neg
        on_pos = (weights_in > 0).to(params.dtype)
        on_neg = (weights_in < 0).to(params.dtype)
        grad_in = weights_out * (grad_slope_pos * on_pos - grad_slope_neg * on_neg)
        grad_out = grad_slope_pos * torch.relu(weights_in) + grad_slope_neg * torch.relu(
            torch.neg(weights_in)
        )
        return [*grad_in, *grad_out]
