"""A run's setup written into the standalone file (`standalone.py`, itself the notebook's run).

The file's setup block is a list of constants, one per field of the run, named as the field in
capitals, plus INITIAL (the engine's initial parameters, learned ones included). Fields are read
generically: a setting the file does not know yet can still be exported while it has its default
(the file then does what the default does); any other value raises `ExportError`.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import fields, replace
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from l1viz.engine.config import Init, TrainConfig
from l1viz.export.autograd_gap import NOTEBOOK_GAP

TEMPLATE = Path(__file__).with_name("standalone.py")
SETUP_START, SETUP_END = "# %%\n", "# end of the setup\n"
CONSTANT = re.compile(r"^([A-Z_0-9]+) = .*$", re.MULTILINE)
# How the engine runs without changing how a run ends: not in the file.
NOT_IN_THE_FILE = ("history_rows", "device")
# Held by INITIAL: a sloped activation's alpha row starts at the slope.
IN_INITIAL = ("slope",)
LINE_LENGTH = 100  # the project's (ruff's) line length, which the exported file keeps


class ExportError(ValueError):
    """The setup cannot be written as a standalone file; the message says which setting."""


def template() -> str:
    return TEMPLATE.read_text()


def _setup_span(text: str) -> tuple[int, int]:
    """Where the setup block's constants are in the template (start, end offsets)."""
    start = text.index(SETUP_START, text.index("## The setup")) + len(SETUP_START)
    return start, text.index(SETUP_END, start)


def initial_parameters(config: TrainConfig, init: Init) -> dict[str, float]:
    """The parameters the engine starts from, named as its rows (learned layers included)."""
    from l1viz.engine.trainer import Trainer

    trainer = Trainer(init, replace(config, steps=0, history_rows=0, device="cpu"))
    return dict(zip(trainer.cell.names, trainer.initial_params[:, 0].tolist()))


def _literal(value) -> str:
    """Python source for a setting, as ruff would format it."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    return repr(value)


def _float32_text(value: float) -> str:
    """The shortest decimal that rounds to the same float32 (the file reads it as float32)."""
    return np.format_float_positional(np.float32(value), unique=True, trim="0")


def _assignment(name: str, value) -> str:
    """`NAME = value`; a dict that does not fit on one line takes one line per entry."""
    if not isinstance(value, dict):
        return f"{name} = {_literal(value)}\n"
    entries = [f"{_literal(key)}: {_float32_text(item)}" for key, item in value.items()]
    line = f"{name} = {{{', '.join(entries)}}}\n"
    if len(line) <= LINE_LENGTH:
        return line
    return f"{name} = {{\n" + "".join(f"    {entry},\n" for entry in entries) + "}\n"


@lru_cache(maxsize=1)
def constant_names() -> tuple[str, ...]:
    """The names of the setup block's constants, in the template's order."""
    text = template()
    start, end = _setup_span(text)
    return tuple(CONSTANT.findall(text[start:end]))


def check_exportable(config: TrainConfig) -> None:
    """Raise ExportError for a setting the file cannot express: every field of the config is a
    constant of the file, part of INITIAL, irrelevant to how the run ends, or at its default."""
    known = {name.lower() for name in constant_names()} | {*IN_INITIAL, *NOT_IN_THE_FILE}
    for field in fields(config):
        value = getattr(config, field.name)
        if field.name not in known and value != field.default:
            raise ExportError(f"{field.name} = {value!r} is not written out by the exporter yet")


def setup_constants(config: TrainConfig, init: Init) -> dict[str, object]:
    """The constants of the setup block, in the template's order."""
    check_exportable(config)
    names = constant_names()
    values = {f.name: getattr(config, f.name) for f in fields(config)}
    values["initial"] = initial_parameters(config, init)
    return {name: values[name.lower()] for name in names}


def _package_version() -> str:
    try:
        return version("l1viz")
    except PackageNotFoundError:
        return "(source tree)"


SCRIPT_USAGE = (
    "The setup is the block of constants below. Run as `python <this file>`, it trains the run "
    "exactly as l1viz's engine does, float32 bit for bit, and its last line prints how the run "
    "ended, the step and the final parameters. `python <this file> --autograd` trains the same "
    "setup with nn.RNNCell, loss.backward() and torch.optim instead (the last section says how far "
    "that lands). Needs only torch."
)


def docstring(usage: str = SCRIPT_USAGE) -> str:
    title = "One run of a one-unit ReLU recurrent cell learning the L1 norm"
    return f"{title}, exported from l1viz {_package_version()}.\n\n{_wrapped(usage, '')}\n"


def fill(text: str, config: TrainConfig, init: Init) -> str:
    """The template with this setup's constants, the docstring and the measured difference."""
    start, end = _setup_span(text)
    constants = setup_constants(config, init)
    block = "".join(_assignment(name, value) for name, value in constants.items())
    text = text[:start] + block + text[end:]
    note = f"{NOTEBOOK_GAP.sentence} {NOTEBOOK_GAP.details}"
    text = text.replace("AUTOGRAD_NOTE", _wrapped(note, "# ")[2:])
    return text.replace('"""SETUP_DOCSTRING"""', f'"""{docstring()}"""')


def _wrapped(text: str, prefix: str, width: int = LINE_LENGTH) -> str:
    """`text` as lines of at most `width` characters, each starting with `prefix`."""
    lines = textwrap.wrap(text, width - len(prefix), break_on_hyphens=False)
    return "\n".join(prefix + line for line in lines)


@lru_cache(maxsize=64)
def script_text(config: TrainConfig, init: Init) -> str:
    """The standalone Python file of this run."""
    return fill(template(), config, init)
