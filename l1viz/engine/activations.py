"""The cell's activation h = phi(z), its derivative, and the exponentials they need, in float32
operations kernel.c repeats one for one (its twins carry the same names).

    relu        max(z, 0)                  the notebook's cell
    leaky_relu  z if z > 0 else alpha z    alpha fixed, in (0, 1); default 0.01
    prelu       z if z > 0 else alpha z    alpha learned with the cell (nn.PReLU, one alpha)
    elu         z if z > 0 else e^z - 1    torch's default alpha = 1
    softplus    log(1 + e^z)               written z+ + log1p(e^-|z|), torch's beta = 1
    tanh        tanh z                     written sign(z) (-u / (u + 2)), u = e^(-2|z|) - 1

torch's own exp, expm1, log1p and tanh are not usable here: on CPU they take Sleef's vector
routines for most of a tensor and the C library's for its tail, so one value's bits would depend
on its position, and a model's run on how many models train with it. These are built from +, -,
*, /, fused multiply-adds (torch's addcmul, as in the backward pass) and the exponent's bits only,
which both sides compute exactly alike; they agree with torch.nn.functional's to float32 rounding
(tests/test_activations.py).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from l1viz.engine.config import SLOPE_DEFAULTS


def _f32(value: float) -> float:
    return float(np.float32(value))


# e^a for a <= 0: a = k ln2 + r, k = round(a / ln2) (adding 1.5 * 2^23 rounds to an integer,
# which then sits in the low bits), r = a - k ln2 in two parts (Cody and Waite: k * LN2_HI is
# exact), |r| <= ln2 / 2, e^r - 1 by its Taylor series to r^7 (the next term is below float32's
# rounding). Below EXP_FLOOR the argument is taken as EXP_FLOOR: 2^k stays a normal float.
EXP_FLOOR = -87.0
ROUNDER = 12582912.0
ROUNDER_BITS = 0x4B400000  # ROUNDER's bits: ROUNDER + k has the bits ROUNDER_BITS + k
INV_LN2 = _f32(1 / math.log(2))
LN2_HI = 0.693145751953125  # ln 2 to 15 bits
LN2_LO = _f32(math.log(2) - LN2_HI)
EXPM1_TERMS = tuple(_f32(1 / math.factorial(n)) for n in range(7, 1, -1))  # 1/7!, ..., 1/2!
# log(1 + y) = 2 atanh(s), s = y / (2 + y) <= 1/3 for y in [0, 1]: 2 s (1 + s^2/3 + s^4/5 + ...)
# to s^16 (the next term is below float32's rounding).
LOG1P_TERMS = tuple(_f32(1 / n) for n in range(17, 2, -2))  # 1/17, 1/15, ..., 1/3


def _fma(a: torch.Tensor, b, c) -> torch.Tensor:
    """a * b + c rounded once: torch's addcmul, as kernel.c's fma_v (numbers become 0-dim)."""
    b = b if isinstance(b, torch.Tensor) else a.new_tensor(b)
    c = c if isinstance(c, torch.Tensor) else a.new_tensor(c)
    return torch.addcmul(c, a, b)


def _horner(x: torch.Tensor, terms: tuple[float, ...]) -> torch.Tensor:
    """terms[0] x^n + terms[1] x^(n-1) + ... + terms[n], one fma a term."""
    poly = torch.full_like(x, terms[0])
    for term in terms[1:]:
        poly = _fma(poly, x, term)
    return poly


def _reduced(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(e^r - 1, 2^k) with a = k ln2 + r."""
    a = a.clamp(min=EXP_FLOOR)
    shifted = _fma(a, INV_LN2, ROUNDER)
    k = shifted - ROUNDER
    r = _fma(k, -LN2_LO, _fma(k, -LN2_HI, a))
    scale = ((shifted.view(torch.int32) - (ROUNDER_BITS - 127)) << 23).view(torch.float32)
    return _fma(r * r, _horner(r, EXPM1_TERMS), r), scale


def expm1_neg(a: torch.Tensor) -> torch.Tensor:
    """e^a - 1 for a <= 0."""
    small, scale = _reduced(a)
    return _fma(scale, small, scale - 1.0)


def exp_neg(a: torch.Tensor) -> torch.Tensor:
    """e^a for a <= 0."""
    small, scale = _reduced(a)
    return _fma(scale, small, scale)


def log1p_unit(y: torch.Tensor) -> torch.Tensor:
    """log(1 + y) for y in [0, 1]."""
    s = y / (y + 2.0)
    z = s * s
    return (s + s) * _fma(_horner(z, LOG1P_TERMS), z, 1.0)


def phi_and_slope(activation: str, z: torch.Tensor, alpha: torch.Tensor | None):
    """(h, phi'(z)) for elu, softplus and tanh, from one exponential each, phi'(z) kept to its
    relative precision where it is small; (h, None) for the others, whose backward needs only z
    or h. `alpha` (K, 1): leaky_relu's and prelu's."""
    if activation == "relu":
        return z.clamp(min=0), None
    if activation in SLOPE_DEFAULTS:
        return torch.where(z > 0, z, z * alpha), None
    if activation == "elu":  # e^z - 1 below 0, and phi' = e^z there
        small, scale = _reduced(torch.where(z > 0, 0.0, z))
        h = torch.where(z > 0, z, _fma(scale, small, scale - 1.0))
        return h, torch.where(z > 0, 1.0, _fma(scale, small, scale))
    if activation == "softplus":  # z+ + log1p(e), e = e^-|z|; phi' = sigmoid(z)
        small, scale = _reduced(z.abs().neg())
        e = _fma(scale, small, scale)
        h = z.clamp(min=0) + log1p_unit(e)
        return h, torch.where(z > 0, 1.0, e) / (e + 1.0)
    # tanh: u = e - 1, e = e^(-2|z|); tanh |z| = -u / (u + 2), phi' = 4e / (1 + e)^2
    small, scale = _reduced(z.abs() * -2.0)
    u, e = _fma(scale, small, scale - 1.0), _fma(scale, small, scale)
    magnitude = u.neg() / (u + 2.0)
    h = torch.where(z < 0, magnitude.neg(), magnitude)
    return h, (e * 4.0) / ((e + 1.0) * (e + 1.0))


def derivative(activation: str, grad, z, h, slope, alpha) -> torch.Tensor:
    """dL/dz from grad = dL/dh, the pre-activation z, h = phi(z) and phi'(z) as
    `phi_and_slope` gave them."""
    if activation == "relu":
        return torch.ops.aten.threshold_backward(grad, h, 0)
    if activation in SLOPE_DEFAULTS:
        return torch.where(z > 0, grad, grad * alpha)
    return grad * slope


def negative_part(z: torch.Tensor) -> torch.Tensor:
    """z where z <= 0, else 0: d phi / d alpha of prelu (as torch's prelu backward has it)."""
    return torch.where(z > 0, 0.0, z)
