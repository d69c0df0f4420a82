"""The training data stream: one definition (data.py), drawn by the kernel and by numpy alike, any
step on its own, N(0, 1) values in sequences of uniform length."""

import math

import pytest
import torch

from l1viz.engine import data
from l1viz.engine.data import BatchStream, batch_at, reference_draw
from l1viz.engine.kernel import calls


@pytest.mark.parametrize(
    "seed,batch,length,first,steps",
    [
        (42, 32, 10, 0, 300),
        (3, 7, 13, 12_345, 40),
        (0, 1, 1, 0, 100),
        (2**63 - 1, 5, 1, 99, 10),
        (1, 64, 100, 7, 5),
        (5, 17, 3, 10_000_000, 3),
    ],
)
def test_the_kernel_draws_the_numpy_definition_bit_for_bit(seed, batch, length, first, steps):
    drawn = calls.draw(seed, batch, length, first, steps)
    for got, want in zip(drawn, reference_draw(seed, batch, length, first, steps)):
        assert torch.equal(got, want)


def test_any_step_is_drawn_the_same_alone_in_any_block(engine_path):
    stream = BatchStream(9, 7, seed=11)
    for step in (0, 1, stream.steps_per_block - 1, stream.steps_per_block, 5_000, 123_457):
        alone = batch_at(11, 9, 7, step)
        in_block = stream.batch(step)
        assert torch.equal(alone.x, in_block.x) and torch.equal(alone.target, in_block.target)
    x, target, longest = data.draw_steps(11, 9, 7, 100, 30)
    for i in range(30):
        one = data.draw_steps(11, 9, 7, 100 + i, 1)
        assert torch.equal(one[0][0], x[i]) and torch.equal(one[1][0], target[i])
        assert one[2][0] == longest[i]


def test_values_are_standard_normal_and_lengths_uniform():
    x, target, longest = calls.draw(7, 32, 10, 0, 20_000)
    lengths = (x != 0).sum(1)  # a drawn value is never exactly 0
    counts = torch.bincount(lengths.flatten(), minlength=11)[1:].double()
    expected = lengths.numel() / 10
    assert ((counts - expected).abs() < 5 * math.sqrt(expected)).all(), counts
    values = x[x != 0].double()
    assert abs(values.mean()) < 5 / math.sqrt(len(values))
    assert abs(values.var() - 1) < 5 * math.sqrt(2 / len(values))
    for k in (1.0, 2.0, 3.0):
        share = (values.abs() > k).double().mean().item()
        chance = math.erfc(k / math.sqrt(2))
        assert abs(share - chance) < 5 * math.sqrt(chance / len(values)), k
    assert torch.equal(longest, lengths.amax(1).int())


def test_targets_are_the_l1_norm_summed_left_to_right():
    x, target, _ = calls.draw(1, 5, 6, 3, 4)
    total = torch.zeros(4, 5)
    for t in range(6):
        total = total + x[:, t].abs()
    assert torch.equal(target, total)


def test_padding_follows_each_sequence_and_the_cell_reads_the_longest():
    stream = BatchStream(batch_size=64, max_length=10, seed=0)
    lengths_seen = set()
    for _ in range(50):
        batch = stream.next()
        steps, size = batch.x.shape
        assert size == 64 and 1 <= steps <= 10
        nonzero = batch.x != 0
        lengths = nonzero.sum(0)
        lengths_seen.update(lengths.tolist())
        assert torch.equal(nonzero, torch.arange(steps)[:, None] < lengths)
        assert steps == lengths.max()
    assert lengths_seen == set(range(1, 11))
