"""The compiled kernel's boundary: one declaration of its functions, checked tensors, a build cache
that knows the compiler; and the checks on what the trainer is given."""

import math
import stat

import pytest
import torch

from l1viz.engine import native
from l1viz.engine.config import ConfigError
from l1viz.engine.trainer import stack_inits


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
    library = native.kernel()
    source = native.SOURCE.read_text()
    assert '#include "kernel.h"' in source  # the compiler checks the definitions against it
    for name in ("l1viz_evaluate", "l1viz_draw"):
        assert f"{name}(" in native.HEADER.read_text()
        getattr(library, name)  # cffi resolves each declared function in the built library
    with pytest.raises(TypeError):  # cffi enforces the declared parameter list
        library.l1viz_evaluate(0, 1, 1, 1, 1, *[native.ffi.NULL] * 10)


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
    loss, _, _ = native.evaluate(features, target, w_hh, w_ih, bias, None, 3)
    assert loss.shape == (3,)
    args = break_it((features, target, w_hh, w_ih, bias))
    with pytest.raises(error):
        native.evaluate(*args, None, 3)


def test_the_build_cache_key_names_the_compiler(tmp_path):
    fake = tmp_path / "cc"
    fake.write_text("#!/bin/sh\necho 'fake cc 1.0'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    first = native.build_key(str(fake))
    assert first != native.build_key(native.find_compiler())
    fake.write_text("#!/bin/sh\necho 'fake cc 1.1'\n")  # same path, upgraded
    assert native.build_key(str(fake)) != first
