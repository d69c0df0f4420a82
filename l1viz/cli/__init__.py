"""`python -m l1viz`: headless runs with readable or JSON output.

`main` parses the command line and turns bad input into one line (`main.py`); each subcommand is a
module owning its flags and its handler (`train`, `notebook`, `table`, `sweep`, `schemes`,
`boundary`, `export`); the argument types and the flag of each setting are in `arguments.py`, the
progress bar in `progress.py`.
"""

from l1viz.cli.main import build_parser, main
from l1viz.cli.train import ARGUMENT_FIELDS, CONFIG_FLAGS, ENGINE_FIELDS, config_from

__all__ = [
    "ARGUMENT_FIELDS",
    "CONFIG_FLAGS",
    "ENGINE_FIELDS",
    "build_parser",
    "config_from",
    "main",
]
