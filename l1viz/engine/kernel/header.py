"""kernel.h as Python reads it: cffi parses the declarations once, and the codes C and Python
share (optimiser, criterion, transform, verdict) are read from its enums, never written again."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cffi

HEADER = Path(__file__).with_name("kernel.h")
SOURCE = Path(__file__).with_name("kernel.c")

ffi = cffi.FFI()
ffi.cdef(HEADER.read_text())


@cache
def codes(kind: str) -> dict[str, int]:
    """{name: code} of kernel.h's `enum l1viz_<kind>` in code order, each name the constant's
    lower-case tail (L1VIZ_VERDICT_DEAD_IN_PRACTICE is "dead_in_practice")."""
    prefix = f"L1VIZ_{kind.upper()}_"
    elements = ffi.typeof(f"enum l1viz_{kind}").relements
    named = {name.removeprefix(prefix).lower(): value for name, value in elements.items()}
    return dict(sorted(named.items(), key=lambda item: item[1]))


def code(kind: str, name: str) -> int:
    """The code of one of config.py's choices, e.g. code("transform", "relu-pair")."""
    return codes(kind)[name.replace("-", "_")]
