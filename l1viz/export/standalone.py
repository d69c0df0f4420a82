"""SETUP_DOCSTRING"""

import math
import sys

import torch

# %% [markdown]
# ## The setup
# The run's hyperparameters and initial parameters (float32 values written exactly).

# %%
LR = 0.001
OPTIMIZER = "adam"
BATCH_SIZE = 32
MAX_LENGTH = 10
SEED = 42
STEPS = 50_000
BIAS = False
TRANSFORM = "where"
ACTIVATION = "relu"
CRITERION = "exact"
TOLERANCE = 0.001
DEAD_PATIENCE = 100
EARLY_STOP = True
INITIAL = {"w_hh": 0.8300079, "w_ih": 0.7645385}
# end of the setup

# %% [markdown]
# ## The data
# Each batch is a pure function of (SEED, step): BATCH_SIZE sequences of N(0, 1) values with
# lengths uniform in 1..MAX_LENGTH, zero-padded, each labelled with the sum of its absolute values.
# Random numbers come from a counter: draw i is SplitMix64's i-th output. Step s uses the draws
# s * D .. s * D + D - 1 (D = BATCH_SIZE + half the padded values, rounded up): one per sequence
# for its length, then one per pair of values, turned into two normal values by Box-Muller with
# float32 polynomials for ln, cos and sin (only +, -, *, / and square roots, so any machine gives
# the same bits). torch has no unsigned 64-bit arithmetic, so the 64-bit words are kept in int64:
# + and * wrap around the same way, and `shift_right` clears the bits a signed shift copies in.


# %%
def int64(word: int) -> int:
    """The int64 holding the same 64 bits as an unsigned word."""
    return word - (1 << 64) if word >= 1 << 63 else word


GOLDEN = int64(0x9E3779B97F4A7C15)
MIX_1, MIX_2 = int64(0xBF58476D1CE4E5B9), int64(0x94D049BB133111EB)


def shift_right(words: torch.Tensor, bits: int) -> torch.Tensor:
    return (words >> bits) & ((1 << (64 - bits)) - 1)


def splitmix64(first: int, count: int) -> torch.Tensor:
    """Draws first .. first + count - 1 of the seed's stream, as int64 tensors."""
    index = torch.arange(first, first + count, dtype=torch.int64)
    words = SEED + (index + 1) * GOLDEN
    words = (words ^ shift_right(words, 30)) * MIX_1
    words = (words ^ shift_right(words, 27)) * MIX_2
    return words ^ shift_right(words, 31)


def f32(value: float) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float32)


def log_unit(u: torch.Tensor) -> torch.Tensor:
    """ln u for u in (0, 1]: u = m 2**e with m in [sqrt(2)/2, sqrt(2)), and ln m = 2 atanh(s),
    s = (m - 1) / (m + 1), by its series in s * s."""
    bits = u.view(torch.int32)
    exponent = (bits >> 23) - 127
    m = ((bits & 0x007FFFFF) | 0x3F800000).view(torch.float32)
    big = m > f32(math.sqrt(2))
    m = torch.where(big, m * f32(0.5), m)
    exponent = exponent + big.to(torch.int32)
    s = (m - f32(1.0)) / (m + f32(1.0))
    z = s * s
    series = (((z * f32(1 / 9) + f32(1 / 7)) * z + f32(1 / 5)) * z + f32(1 / 3)) * z
    series = series + f32(1.0)
    return exponent.to(torch.float32) * f32(math.log(2)) + (s * f32(2.0)) * series


def cos_sin(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin)(2 pi u): the nearest quarter turn, then Taylor series of the rest."""
    v = u * f32(4.0)
    quarter = torch.floor(v + f32(0.5))
    phi = (v - quarter) * f32(math.pi / 2)
    y = phi * phi
    sin_series = ((y * f32(1 / 362880) - f32(1 / 5040)) * y + f32(1 / 120)) * y - f32(1 / 6)
    sin_phi = phi + (phi * y) * sin_series
    cos_phi = ((y * f32(1 / 40320) - f32(1 / 720)) * y + f32(1 / 24)) * y - f32(0.5)
    cos_phi = cos_phi * y + f32(1.0)
    turn = quarter.to(torch.int32) & 3
    cos = torch.where(turn == 0, cos_phi, torch.where(turn == 1, -sin_phi, -cos_phi))
    cos = torch.where(turn == 3, sin_phi, cos)
    sin = torch.where(turn == 0, sin_phi, torch.where(turn == 1, cos_phi, -sin_phi))
    sin = torch.where(turn == 3, -cos_phi, sin)
    return cos, sin


def exact_sqrt(values: torch.Tensor) -> torch.Tensor:
    """The correctly rounded float32 square root (the CPU's own instruction gives it). torch's
    sqrt may call a vendor routine that is not, so this rounds a double root and corrects it by
    one float32 step where needed: a midpoint between floats has 25 bits, its square is exact."""
    wide = values.double()
    root = wide.sqrt().float()
    above = torch.nextafter(root, f32(math.inf))
    midpoint = (root.double() + above.double()) / 2
    root = torch.where(wide > midpoint * midpoint, above, root)
    below = torch.nextafter(root, f32(0.0))
    midpoint = (root.double() + below.double()) / 2
    return torch.where(wide < midpoint * midpoint, below, root)


def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """x (T, BATCH_SIZE), time first, T the longest sequence; target (BATCH_SIZE,)."""
    pairs = (MAX_LENGTH * BATCH_SIZE + 1) // 2
    per_step = BATCH_SIZE + pairs
    draws = splitmix64(step * per_step, per_step)
    lengths = 1 + (shift_right(draws[:BATCH_SIZE], 32) * MAX_LENGTH >> 32)
    words = draws[BATCH_SIZE:]
    scale = f32(2.0**-24)
    u1 = (shift_right(words, 40).to(torch.float32) + f32(0.5)) * scale
    u2 = ((shift_right(words, 8) & 0xFFFFFF).to(torch.float32) + f32(0.5)) * scale
    root = exact_sqrt(f32(-2.0) * log_unit(u1))
    cos, sin = cos_sin(u2)
    values = torch.stack([root * cos, root * sin], dim=1).flatten()
    x = values[: MAX_LENGTH * BATCH_SIZE].view(MAX_LENGTH, BATCH_SIZE)
    x = torch.where(torch.arange(MAX_LENGTH).view(-1, 1) < lengths, x, f32(0.0))
    target = torch.zeros(BATCH_SIZE)
    for row in x:
        target = target + torch.abs(row)
    return x[: int(lengths.max())], target


# %% [markdown]
# ## The activation
# h = phi(z) with ACTIVATION: relu (the notebook's, max(z, 0)), leaky_relu or prelu (z above 0,
# else alpha z; alpha is INITIAL["alpha"], fixed for leaky_relu, learned for prelu), elu (e^z - 1
# below 0), softplus (log(1 + e^z)) or tanh. torch's own exp, log1p and tanh are not used: on CPU
# a value's result can depend on its place in the tensor (vector routines for most of it, the C
# library's for the tail). The exponentials are written with +, -, *, /, fused multiply-adds
# (`torch.addcmul`) and the exponent's bits instead: e^a = 2^k e^r with r = a - k ln 2 and a
# Taylor series for e^r - 1, log(1 + y) = 2 atanh(y / (2 + y)) by its series. Each derivative is
# taken from the same exponential as the value.


# %%
EXP_FLOOR = -87.0  # below it e^a is taken as e^EXP_FLOOR: 2^k stays a normal float
ROUNDER, ROUNDER_BITS = 12582912.0, 0x4B400000  # 1.5 * 2**23 rounds to an integer, and its bits
INV_LN2, LN2_HI = float(f32(1 / math.log(2))), 0.693145751953125  # ln 2 to 15 bits
LN2_LO = float(f32(math.log(2) - LN2_HI))
EXPM1_TERMS = [float(f32(1 / math.factorial(n))) for n in range(7, 1, -1)]  # 1/7!, ..., 1/2!
LOG1P_TERMS = [float(f32(1 / n)) for n in range(17, 2, -2)]  # 1/17, 1/15, ..., 1/3


def fma(a: torch.Tensor, b, c) -> torch.Tensor:
    """a * b + c, rounded once."""
    b = b if isinstance(b, torch.Tensor) else a.new_tensor(b)
    c = c if isinstance(c, torch.Tensor) else a.new_tensor(c)
    return torch.addcmul(c, a, b)


def horner(x: torch.Tensor, terms: list) -> torch.Tensor:
    series = torch.full_like(x, terms[0])
    for term in terms[1:]:
        series = fma(series, x, term)
    return series


def reduced(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(e^r - 1, 2^k) with a = k ln 2 + r, for a <= 0."""
    a = a.clamp(min=EXP_FLOOR)
    shifted = fma(a, INV_LN2, ROUNDER)
    k = shifted - ROUNDER
    r = fma(k, -LN2_LO, fma(k, -LN2_HI, a))
    scale = ((shifted.view(torch.int32) - (ROUNDER_BITS - 127)) << 23).view(torch.float32)
    return fma(r * r, horner(r, EXPM1_TERMS), r), scale


def log1p_unit(y: torch.Tensor) -> torch.Tensor:
    """log(1 + y) for y in [0, 1]."""
    s = y / (y + 2.0)
    z = s * s
    return (s + s) * fma(horner(z, LOG1P_TERMS), z, 1.0)


def phi_and_slope(z: torch.Tensor, alpha) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(h, phi'(z)) for elu, softplus and tanh; (h, None) for the others."""
    if ACTIVATION == "relu":
        return z.clamp(min=0), None
    if ACTIVATION in ("leaky_relu", "prelu"):
        return torch.where(z > 0, z, z * alpha), None
    if ACTIVATION == "elu":  # phi' = e^z below 0
        small, scale = reduced(torch.where(z > 0, 0.0, z))
        h = torch.where(z > 0, z, fma(scale, small, scale - 1.0))
        return h, torch.where(z > 0, 1.0, fma(scale, small, scale))
    if ACTIVATION == "softplus":  # z+ + log(1 + e), e = e^-|z|; phi' = sigmoid(z)
        small, scale = reduced(z.abs().neg())
        e = fma(scale, small, scale)
        return z.clamp(min=0) + log1p_unit(e), torch.where(z > 0, 1.0, e) / (e + 1.0)
    # tanh |z| = -u / (u + 2) with u = e - 1, e = e^(-2|z|); phi' = 4e / (1 + e)^2
    small, scale = reduced(z.abs() * -2.0)
    u, e = fma(scale, small, scale - 1.0), fma(scale, small, scale)
    magnitude = u.neg() / (u + 2.0)
    h = torch.where(z < 0, magnitude.neg(), magnitude)
    return h, (e * 4.0) / ((e + 1.0) * (e + 1.0))


def derivative(grad, z, h, slope, alpha) -> torch.Tensor:
    """dL/dz from dL/dh."""
    if ACTIVATION == "relu":
        return torch.where(h <= 0, 0.0, grad)
    if ACTIVATION in ("leaky_relu", "prelu"):
        return torch.where(z > 0, grad, grad * alpha)
    return grad * slope


# %% [markdown]
# ## The cell
# h_(t+1) = phi(w_hh h_t + w_ih f(x_t) + b), h_0 = 0, with b = b_hh + b_ih (with BIAS) and
# f(x) = |x|: by the notebook's sign flip (`where`), as relu(x) + relu(-x) (`relu-pair`), or by
# a dense layer of ReLU units and a read-out learned with the cell (`learned`), which is
# s+ relu(x) + s- relu(-x) with the slopes s+ = sum_j out_j relu(in_j) and
# s- = sum_j out_j relu(-in_j).
# The prediction is h_T, the loss the mean squared error over the batch. The gradients are written
# out (backpropagation through time) and every sum is taken in a fixed order: over the batch by
# `pairwise_sum`, over rows left to right. `torch.addcmul(a, b, c)` is a + b * c.


# %%
def pairwise_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum over the last axis: element i plus element i + half, zero-padded to a power of 2."""
    width = values.shape[-1]
    padded = 1 << (width - 1).bit_length()
    values = torch.nn.functional.pad(values, (0, padded - width))
    while values.shape[-1] > 1:
        half = values.shape[-1] // 2
        values = values[..., :half] + values[..., half:]
    return values[..., 0]


def sum_rows(rows) -> torch.Tensor:
    total = rows[0]
    for row in rows[1:]:
        total = total + row
    return total


def slopes(p: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(s+, s-) of the learned input layer."""
    width = sum(name.startswith("in_") for name in p)
    weights_in = torch.stack([p[f"in_{j}"] for j in range(width)])
    weights_out = torch.stack([p[f"out_{j}"] for j in range(width)])
    return (
        sum_rows(weights_out * torch.relu(weights_in)),
        sum_rows(weights_out * torch.relu(torch.neg(weights_in))),
    )


def features(p: dict, x: torch.Tensor) -> tuple[torch.Tensor, tuple]:
    """f(x) (T, BATCH_SIZE), and for `learned` the parts (relu(x), relu(-x)) it is made of."""
    if TRANSFORM == "where":
        return torch.where(x < 0, torch.neg(x), x), ()
    if TRANSFORM == "relu-pair":
        return torch.relu(x) + torch.relu(torch.neg(x)), ()
    parts = (torch.relu(x), torch.relu(torch.neg(x)))
    slope_pos, slope_neg = slopes(p)
    return slope_pos * parts[0] + slope_neg * parts[1], parts


def bias(p: dict) -> torch.Tensor:
    return p["b_hh"] + p["b_ih"]


def unroll(p: dict, f: torch.Tensor):
    """Every state h_0 .. h_T (T + 1, BATCH_SIZE), each pre-activation z_1 .. z_T and, for elu,
    softplus and tanh, each phi'(z_t) (T, BATCH_SIZE)."""
    states = torch.zeros(len(f) + 1, f.shape[1])
    pre, slopes = torch.zeros(len(f), f.shape[1]), [None] * len(f)
    for t in range(len(f)):
        if BIAS:
            z = torch.addcmul(bias(p), p["w_ih"], f[t])
        else:
            z = p["w_ih"] * f[t]
        pre[t] = z.addcmul_(p["w_hh"], states[t])
        states[t + 1], slopes[t] = phi_and_slope(z, p.get("alpha"))
    return states, pre, slopes


def loss_and_gradients(p: dict, x: torch.Tensor, target: torch.Tensor):
    """The batch loss, the share of positive pre-activations and the gradient of every parameter."""
    f, parts = features(p, x)
    states, pre, slopes = unroll(p, f)
    steps = len(x)
    error = states[steps] - target
    loss = pairwise_sum(error * error) / BATCH_SIZE
    active = (pre > 0).sum().to(torch.float32) / (steps * BATCH_SIZE)
    sums = torch.zeros(6, BATCH_SIZE)  # w_hh, w_ih, b, s+, s-, alpha
    grad = error * (2.0 / BATCH_SIZE)  # dL/dh_T
    for t in range(steps - 1, -1, -1):
        grad_pre = derivative(grad, pre[t], states[t + 1], slopes[t], p.get("alpha"))  # dL/dz
        sums[0].addcmul_(grad_pre, states[t])
        sums[1].addcmul_(grad_pre, f[t])
        sums[2].add_(grad_pre)
        if parts:
            sums[3].addcmul_(grad_pre, parts[0][t])
            sums[4].addcmul_(grad_pre, parts[1][t])
        if ACTIVATION == "prelu":  # d phi / d alpha = min(z, 0)
            sums[5].addcmul_(grad, torch.where(pre[t] > 0, 0.0, pre[t]))
        grad = grad_pre * p["w_hh"]
    sums = pairwise_sum(sums)
    grads = {"w_hh": sums[0], "w_ih": sums[1]}
    if BIAS:
        grads.update(b_hh=sums[2], b_ih=sums[2])
    if parts:
        grads.update(learned_layer_gradients(p, p["w_ih"] * sums[3], p["w_ih"] * sums[4]))
    if "alpha" in p:  # leaky_relu's alpha is fixed: a zero gradient leaves it where it is
        grads["alpha"] = sums[5] if ACTIVATION == "prelu" else torch.zeros(())
    return loss, active, grads


def learned_layer_gradients(p: dict, grad_slope_pos, grad_slope_neg) -> dict:
    """The learned layer's gradients from those of its slopes s+ and s-."""
    grads = {}
    for j in range(sum(name.startswith("in_") for name in p)):
        weight_in, weight_out = p[f"in_{j}"], p[f"out_{j}"]
        on_pos, on_neg = (weight_in > 0).to(torch.float32), (weight_in < 0).to(torch.float32)
        grads[f"in_{j}"] = weight_out * (grad_slope_pos * on_pos - grad_slope_neg * on_neg)
        grads[f"out_{j}"] = grad_slope_pos * torch.relu(weight_in) + grad_slope_neg * torch.relu(
            torch.neg(weight_in)
        )
    return grads


# %% [markdown]
# ## The optimiser
# The update of `torch.optim.Adam` (its single-tensor path, the default on CPU) and of
# `torch.optim.SGD`, operation for operation: either gives the bits torch.optim gives.


# %%
class Adam:
    BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8

    def __init__(self, params: torch.Tensor):
        self.exp_avg = torch.zeros_like(params)
        self.exp_avg_sq = torch.zeros_like(params)
        self.count = 0

    def step(self, params: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
        self.count += 1
        self.exp_avg = self.exp_avg.lerp(grads, 1 - self.BETA1)
        self.exp_avg_sq = self.exp_avg_sq.mul(self.BETA2).addcmul_(
            grads, grads, value=1 - self.BETA2
        )
        step_size = LR / (1 - self.BETA1**self.count)
        root_correction = (1 - self.BETA2**self.count) ** 0.5
        denom = (self.exp_avg_sq.sqrt() / root_correction).add_(self.EPSILON)
        return params.addcdiv(self.exp_avg, denom, value=-step_size)


class SGD:
    def __init__(self, params: torch.Tensor):
        pass

    def step(self, params: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
        return params.add(grads, alpha=-LR)


# %% [markdown]
# ## The rules that stop the run
# Each is checked after every evaluation, on the effective parameters: w_hh, the input weight for
# x > 0 and for x < 0 (w_ih, or w_ih s+ and w_ih s- when the input layer is learned) and b.
# - diverged: the loss is not finite;
# - dead (ReLU only): no input can make the cell fire (both input weights and b <= 0) and it has
#   not fired for DEAD_PATIENCE steps: every gradient is exactly 0 from then on;
# - dead in practice (ReLU only): b < 0 and the input needed to fire it, |x| > -b / w, is so rare
#   that it is expected less than once in the whole budget, and it has not fired for DEAD_PATIENCE
#   steps (any other activation still passes a gradient where it is silent);
# - converged, by CRITERION: "exact", w_hh and the input weights exactly 1.0 (the cell then computes
#   the L1 norm); "tolerance", every effective parameter within TOLERANCE of (1, 1, 1, 0); "loss",
#   the batch loss at most TOLERANCE.
# The first rule to hold is the outcome (when several hold at one step, the first in that list)
# and ends the run; with EARLY_STOP off only divergence ends it before STEPS.


# %%
def effective(p: dict) -> torch.Tensor:
    if TRANSFORM == "learned":
        slope_pos, slope_neg = slopes(p)
        w_pos, w_neg = p["w_ih"] * slope_pos, p["w_ih"] * slope_neg
    else:
        w_pos = w_neg = p["w_ih"]
    return torch.stack([p["w_hh"], w_pos, w_neg, bias(p) if BIAS else f32(0.0)])


def firing_limit() -> float:
    """The |x| an N(0, 1) input passes with chance 1 / (the real inputs in the whole budget)."""
    chance = 1.0 / (BATCH_SIZE * (MAX_LENGTH + 1) / 2 * max(STEPS, 1))
    if chance >= 1.0:
        return 0.0
    low, high = 0.0, 40.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if math.erfc(middle / math.sqrt(2)) > chance else (low, middle)
    return high


def converged(w: torch.Tensor, loss: torch.Tensor) -> bool:
    if CRITERION == "tolerance":
        target = torch.tensor([1.0, 1.0, 1.0, 0.0])
        return bool((w - target).abs().amax() <= TOLERANCE)
    if CRITERION == "loss":
        return bool(loss <= TOLERANCE)
    return bool((w[:3] == 1.0).all())


class Rules:
    def __init__(self):
        self.limit = f32(firing_limit())
        self.dead_since = self.silent_since = 0
        self.verdict = None  # (outcome, step) of the first rule that held

    def check(self, step: int, w: torch.Tensor, loss: torch.Tensor, active: torch.Tensor):
        """True when the run stops at this step."""
        region = bool(w[1:].amax() <= 0)
        silent = bool(active == 0)
        if not (region and silent):
            self.dead_since = step + 1
        if not silent:
            self.silent_since = step + 1
        patient = step + 1 - DEAD_PATIENCE
        b = w[3]
        rare = bool(b < 0) and all(bool((w_in <= 0) | (-b > self.limit * w_in)) for w_in in w[1:3])
        relu = ACTIVATION == "relu"  # only ReLU's gradient is exactly 0 wherever it is silent
        holding = [
            ("diverged", bool(loss - loss != 0)),  # x - x is 0 for every finite x
            ("dead", relu and self.dead_since <= patient),
            ("dead_in_practice", relu and not region and self.silent_since <= patient and rare),
            ("converged", converged(w, loss)),
        ]
        for outcome, holds in holding:
            if holds and self.verdict is None:
                self.verdict = outcome, step
        return holding[0][1] or (EARLY_STOP and self.verdict is not None)


# %% [markdown]
# ## The run
# Step s is the state after s updates: the batch of step s is evaluated at those parameters and the
# rules are checked; unless the run stops there, the update made from its gradients leads to step
# s + 1. A run that reaches STEPS without a verdict has stalled.


# %%
NAMES = list(INITIAL)
OPTIMIZERS = {"adam": Adam, "sgd": SGD}


def train():
    """(outcome, the step the run ended at, the final parameters as a dict of floats)."""
    params = torch.tensor(list(INITIAL.values()), dtype=torch.float32)
    optimizer, rules = OPTIMIZERS[OPTIMIZER](params), Rules()
    for step in range(STEPS + 1):
        p = dict(zip(NAMES, params))
        if not BIAS:
            p.update(b_hh=f32(0.0), b_ih=f32(0.0))
        loss, active, grads = loss_and_gradients(p, *batch(step))
        if rules.check(step, effective(p), loss, active) or step == STEPS:
            break
        params = optimizer.step(params, torch.stack([grads[name] for name in NAMES]))
    outcome = rules.verdict[0] if rules.verdict else "stalled"
    return outcome, step, dict(zip(NAMES, params.tolist()))


# %% [markdown]
# ## The same run the usual PyTorch way
# `nn.RNNCell`, `loss.backward()` and `torch.optim`, on the same batches with the same rules.
# nn.RNNCell has only the relu and tanh nonlinearities: for leaky_relu, prelu, elu and softplus
# this form keeps RNNCell's weights, writes its step z = W_ih x + b_ih + W_hh h + b_hh out and
# applies torch.nn.functional's activation (F.prelu with alpha learned for prelu); autograd
# differentiates it all the same.
#
# AUTOGRAD_NOTE


# %%
class AutogradCell(torch.nn.Module):
    """The cell as PyTorch modules holding INITIAL: nn.RNNCell, the learned input layer when
    TRANSFORM is learned, and alpha for leaky_relu (fixed) and prelu (learned)."""

    def __init__(self):
        super().__init__()
        tanh = ACTIVATION == "tanh"
        self.cell = torch.nn.RNNCell(1, 1, bias=BIAS, nonlinearity="tanh" if tanh else "relu")
        width = sum(name.startswith("in_") for name in INITIAL)
        self.layer_in = torch.nn.Linear(1, width, bias=False) if width else None
        self.layer_out = torch.nn.Linear(width, 1, bias=False) if width else None
        learned = ACTIVATION == "prelu"
        sloped = "alpha" in INITIAL
        self.alpha = torch.nn.Parameter(torch.zeros(1), requires_grad=learned) if sloped else None
        self.named = {"w_hh": self.cell.weight_hh, "w_ih": self.cell.weight_ih}
        if BIAS:
            self.named.update(b_hh=self.cell.bias_hh, b_ih=self.cell.bias_ih)
        for j in range(width):
            self.named[f"in_{j}"] = self.layer_in.weight[j]
            self.named[f"out_{j}"] = self.layer_out.weight[:, j]
        if sloped:
            self.named["alpha"] = self.alpha
        with torch.no_grad():
            for name, value in INITIAL.items():
                self.named[name].fill_(value)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """f(x) as (T, BATCH_SIZE, 1)."""
        x = x.unsqueeze(-1)
        if self.layer_in is not None:
            return self.layer_out(torch.relu(self.layer_in(x)))
        if TRANSFORM == "where":
            return torch.where(x < 0, -x, x)
        return torch.relu(x) + torch.relu(-x)

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The next state, and where its pre-activation is positive. nn.RNNCell's own step for
        relu and tanh, its only nonlinearities; for the others its weights, the step
        z = W_ih x + b_ih + W_hh h + b_hh written out, and torch.nn.functional's activation."""
        if ACTIVATION in ("relu", "tanh"):
            h = self.cell(x_t, h)
            return h, h > 0
        cell, functional = self.cell, torch.nn.functional
        z = functional.linear(x_t, cell.weight_ih, cell.bias_ih)
        z = z + functional.linear(h, cell.weight_hh, cell.bias_hh)
        if ACTIVATION == "leaky_relu":
            return functional.leaky_relu(z, float(self.alpha)), z > 0
        if ACTIVATION == "prelu":
            return functional.prelu(z, self.alpha), z > 0
        return getattr(functional, ACTIVATION)(z), z > 0  # elu, softplus

    def loss(self, x: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The batch loss as autograd sees it, and how many pre-activations were positive."""
        h, fired = torch.zeros(BATCH_SIZE, 1), 0
        for x_t in self.inputs(x):
            h, positive = self.step(x_t, h)
            fired += int(positive.sum())
        return torch.nn.functional.mse_loss(h[:, 0], target), fired


def autograd_effective(model: AutogradCell) -> torch.Tensor:
    p = {name: w.detach().reshape(()) for name, w in model.named.items()}
    return effective(p if BIAS else {**p, "b_hh": f32(0.0), "b_ih": f32(0.0)})


def train_with_autograd():
    """`train` with autograd's gradients: (outcome, step, final parameters)."""
    model = AutogradCell()
    parameters = [w for w in model.parameters() if w.requires_grad]
    optimizer = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[OPTIMIZER](parameters, lr=LR)
    rules = Rules()
    for step in range(STEPS + 1):
        x, target = batch(step)
        loss, fired = model.loss(x, target)
        active = f32(fired / (len(x) * BATCH_SIZE))
        if rules.check(step, autograd_effective(model), loss.detach(), active) or step == STEPS:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    outcome = rules.verdict[0] if rules.verdict else "stalled"
    return outcome, step, {name: float(w.detach()) for name, w in model.named.items()}


# %%
def report(outcome: str, step: int, params: dict) -> str:
    return f"outcome: {outcome}, step: {step}, parameters: {params}"


if __name__ == "__main__":
    print(report(*(train_with_autograd() if "--autograd" in sys.argv else train())))
