"""Whole chunks of training steps in the compiled kernel (torch_path.py is its twin in torch):
a trainer's models as l1viz_train sees them.

kernel.h's structs point at the trainer's state tensors (checked once here: they are updated in
place, never reallocated); each call trains a chunk of steps within one data block, the models
split between the kernel's threads at whole vector tiles.
"""

from __future__ import annotations

import warnings

import torch

from l1viz.engine.kernel import build
from l1viz.engine.kernel.calls import pointer
from l1viz.engine.kernel.header import code, ffi
from l1viz.engine.kernel.square_root import VML_MODE, torch_square_roots
from l1viz.engine.kernel.threads import run_parallel, split


def chunks_available() -> bool:
    """Whether the kernel can train whole chunks bit for bit as the torch path would."""
    if build.library() is None:  # looked up when called: tests can switch the kernel off
        return False
    if torch_square_roots() is None:
        warnings.warn(
            "l1viz: this torch's sqrt cannot be reproduced by the kernel; training uses the "
            "torch path",
            stacklevel=2,
        )
        return False
    return True


class KernelTraining:
    def __init__(self, cell, rules, state, batch_size: int, max_length: int):
        self.library = build.library()
        square_roots = torch_square_roots()
        self.count = state.params.shape[1]
        rows = state.params.shape[0]
        self.work_per_step = self.count * batch_size * max_length
        self.layout = ffi.new(
            "struct l1viz_layout *",
            {
                "models": self.count,
                "rows": rows,
                "bias": int(cell.bias),
                "learned": int(cell.learned),
                "activation": code("activation", cell.activation),
                "batch": batch_size,
                "max_length": max_length,
            },
        )
        self.rules = ffi.new(
            "struct l1viz_rules *",
            {
                "optimizer": code("optimizer", rules.optimizer),
                "criterion": code("criterion", rules.criterion),
                "tolerance": rules.tolerance,
                "patience": rules.patience,
                "firing_limit": rules.firing_limit,
                "early_stop": int(rules.early_stop),
                "dead_rules": int(rules.dead_rules),
                "sqrt32": square_roots[0],
                "sqrt64": square_roots[1],
                "sqrt_mode": VML_MODE,
            },
        )
        matrix, row = (rows, self.count), (self.count,)
        types = {"learning_rate": torch.float64}
        ints = ("running", "verdict", "stopped_at", "dead_since", "silent_since", "first")
        ints += ("revived_at", "revived_from")
        types.update(dict.fromkeys(ints, torch.int32))
        shapes = dict.fromkeys(("params", "exp_avg", "exp_avg_sq", "grads"), matrix)
        shapes["first"] = (state.first.shape[0], self.count)
        self._state_tensors = state.tensors()  # kept alive for the pointers below
        self.state = ffi.new(
            "struct l1viz_state *",
            {
                name: pointer(tensor, name, types.get(name, torch.float32), shapes.get(name, row))
                for name, tensor in self._state_tensors.items()
            },
        )
        self.batch_size, self.max_length = batch_size, max_length
        self._batches = None
        self._block = None

    def _batches_of(self, block):
        if block is not self._block:
            steps = len(block.longest)
            shape = (steps, self.max_length, self.batch_size)
            features = block.features
            self._batches = ffi.new(
                "struct l1viz_batches *",
                {
                    "feature_a": pointer(features[0], "feature_a", shape=shape),
                    "feature_b": pointer(
                        features[1] if len(features) > 1 else None, "feature_b", shape=shape
                    ),
                    "target": pointer(block.target, "target", shape=(steps, self.batch_size)),
                    "longest": pointer(block.longest, "longest", torch.int32, (steps,)),
                    "first_step": block.first,
                },
            )
            self._block = block
        return self._batches

    def train(self, first: int, last: int, block, slot) -> int:
        """Steps first..last (all in `block`); returns the last step at which a model was still
        training."""
        batches = self._batches_of(block)
        history = ffi.new(
            "struct l1viz_history *",
            {
                "values": pointer(slot.values, "history") if slot.values is not None else ffi.NULL,
                "next": slot.next,
                "room": slot.room,
                "stride": slot.stride,
            },
        )
        library, layout, rules, state = self.library, self.layout, self.rules, self.state

        def run(begin: int, end: int) -> int:
            reached = ffi.new("long *")
            code = library.l1viz_train(
                layout, rules, state, batches, history, begin, end, first, last, reached
            )
            if code:
                raise MemoryError("l1viz kernel: out of memory for this batch")
            return reached[0]

        ranges = split(self.count, self.work_per_step * (last - first + 1))
        return max(run_parallel(ranges, run))
