"""Named starting points for the live view. Identity and Dead change the initial values only;
Notebook restores the notebook's whole run (its init, seed 42, hyperparameters, no bias): the
default setup."""

from __future__ import annotations

from dataclasses import replace

from l1viz.engine.config import Init
from l1viz.engine.pytorch_init import default_init
from l1viz.live.settings import Settings

# The IRNN recipe (Le et al., 2015): identity recurrence, zero bias; here it is also the solution.
IDENTITY_INIT = Init(1.0, 1.0, 0.0, 0.0)
# w_ih < 0 and b_hh + b_ih < 0: no input can make the cell fire, with or without bias.
DEAD_INIT = Init(0.7, -0.2, -0.1, 0.05)

PRESETS = {
    "notebook": "Notebook",
    "identity": "Identity",
    "dead": "Dead",
}
_HELP = {
    "notebook": "The notebook's run: PyTorch's default init for seed 42 (w_hh 0.8300, "
    "w_ih 0.7645, no bias), data seed 42, Adam at lr 0.001, batch 32, lengths up to 10.",
    "identity": "w = 1, b = 0: the IRNN recipe, and here already the solution.",
}


def preset_help(name: str, bias: bool) -> str:
    """The button's tooltip; Dead's reason depends on whether the cell has biases."""
    if name == "dead":
        if bias:
            return "w_ih = -0.2 and b_hh + b_ih = -0.05: the cell never fires."
        return "w_ih = -0.2 and no bias: the cell never fires."
    return _HELP[name]


def apply_preset(settings: Settings, name: str) -> Settings:
    if name == "notebook":
        return Settings()
    if name == "identity":
        return settings.with_init(IDENTITY_INIT)
    if name == "dead":
        return settings.with_init(DEAD_INIT)
    raise KeyError(name)


def pytorch_init(settings: Settings, seed: int | None = None) -> Settings:
    """PyTorch's own RNNCell initialisation (U(-1, 1)) drawn from `seed` (default: the setup's),
    which also becomes the data seed, as one manual_seed decides both in the notebook."""
    seed = settings.seed if seed is None else seed
    return replace(settings, seed=seed).with_init(default_init(seed, settings.bias))
