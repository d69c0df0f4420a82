"""How far the usual PyTorch form of a run lands from the engine's, measured on the notebook's run.

The exported file's autograd form (`nn.RNNCell`, `loss.backward()`, `torch.optim.Adam`) trains the
same model on the same batches, but autograd and RNNCell's matrix products round in their own
order. `measure` trains both forms of the notebook's setup (the exported file's defaults) side by
side; `NOTEBOOK_GAP` holds what it measures, and a test measures it again.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from l1viz.export import standalone


@dataclass(frozen=True)
class AutogradGap:
    """The two forms from one init: gradients, parameters and the step each reaches w = 1."""

    gradient_difference: float  # largest relative difference of the step-0 gradients
    first_different_step: int  # the first step whose parameters are not bit-equal
    largest_difference: float  # largest |difference| of a parameter up to autograd's stop
    autograd_converged_at: int
    exact_converged_at: int

    @property
    def sentence(self) -> str:
        """What the live view says where it shows a step count."""
        return (
            f"Step counts are the engine's: trained the usual PyTorch way (nn.RNNCell, "
            f"loss.backward(), torch.optim.Adam), the notebook's init reaches w = 1 exactly at "
            f"step {self.autograd_converged_at:,} instead of {self.exact_converged_at:,}, as "
            f"float32 roundings differ; the exported script reproduces the engine's steps exactly."
        )

    def step_note(self, step: int) -> str:
        """Beside any converged run's step count: it is the engine's, not autograd's."""
        return (
            f"Step {step:,} is the engine's: the usual nn.RNNCell + autograd form sums float32 in "
            f"another order and lands on w = 1 at another step (the notebook's run: "
            f"{self.autograd_converged_at:,} instead of {self.exact_converged_at:,}); the "
            f"downloaded script reproduces this run's steps exactly."
        )

    @property
    def details(self) -> str:
        return (
            f"The step-0 gradients differ by {self.gradient_difference:.1e} (relative, about "
            f"one float32 rounding); Adam's normalised steps keep the parameters bit-equal up to "
            f"step {self.first_different_step - 1:,}, and from step {self.first_different_step:,} "
            f"they differ by at most {self.largest_difference:.1e}. Near the exact solution such "
            f"differences decide when w lands exactly on 1.0."
        )


NOTEBOOK_GAP = AutogradGap(
    gradient_difference=6.7e-8,
    first_different_step=2286,
    largest_difference=1.6e-6,
    autograd_converged_at=9089,
    exact_converged_at=9783,
)


def _exact_gradients(params: torch.Tensor, x, target) -> torch.Tensor:
    p = dict(zip(standalone.NAMES, params))
    if not standalone.BIAS:
        p.update(b_hh=standalone.f32(0.0), b_ih=standalone.f32(0.0))
    _, _, grads = standalone.loss_and_gradients(p, x, target)
    return torch.stack([grads[name] for name in standalone.NAMES])


def measure(steps: int = standalone.STEPS) -> AutogradGap:
    """Both forms of the exported file's own (the notebook's) setup, step by step, each until its
    weights are exactly 1 or the budget ends (-1 then)."""
    params = torch.tensor(list(standalone.INITIAL.values()))
    exact_optimizer = standalone.Adam(params)
    model = standalone.AutogradCell()
    optimizer = torch.optim.Adam(model.parameters(), lr=standalone.LR)
    first_different, largest, gradient_difference = -1, 0.0, 0.0
    converged = {"exact": -1, "autograd": -1}
    for step in range(steps + 1):
        theirs = torch.stack([w.detach().reshape(()) for w in model.named.values()])
        for form, values in (("exact", params), ("autograd", theirs)):
            if converged[form] < 0 and bool((values == 1.0).all()):
                converged[form] = step
        if min(converged.values()) >= 0:
            break
        if converged["autograd"] < 0 and not torch.equal(theirs, params):
            first_different = step if first_different < 0 else first_different
            largest = max(largest, float((theirs - params).abs().max()))
        x, target = standalone.batch(step)
        grads = _exact_gradients(params, x, target)
        params = exact_optimizer.step(params, grads)
        if converged["autograd"] < 0:
            optimizer.zero_grad()
            model.loss(x, target)[0].backward()
            if step == 0:
                autograd = torch.stack([w.grad.reshape(()) for w in model.named.values()])
                gradient_difference = float(((autograd - grads) / grads).abs().max())
            optimizer.step()
    return AutogradGap(
        gradient_difference, first_different, largest, converged["autograd"], converged["exact"]
    )
