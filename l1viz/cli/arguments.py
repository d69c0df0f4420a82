"""What every subcommand shares: the argument types, one-line errors instead of argparse's usage
dump, JSON on the last line, and the flag of each setting.

A `ConfigError` names the setting's field (`lr`, `normal_low`, `init`...); `config_flags` reads the
flags a subcommand defines to say which option sets that field. An option's `dest` is the field it
sets unless `sets` names others (`--normal` sets `normal_low` and `normal_high`).
"""

from __future__ import annotations

import argparse
import math

from l1viz.engine.jsontext import dumps


class CliError(Exception):
    """Bad input: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the whole usage first
        raise CliError(message)


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def whole_number(text: str) -> int:
    """An integer; '1e4' and '50_000' are accepted, '2.5' is not."""
    try:
        return int(text)
    except ValueError:
        pass
    value = finite_float(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(value)


def print_json(payload: dict):
    print(dumps(payload))


def flag(name: str) -> str:
    """The option that sets a field: its name with dashes."""
    return "--" + name.replace("_", "-")


def sets(action: argparse.Action, *fields: str) -> argparse.Action:
    """Mark `action` as the option for `fields` besides its own dest, for `config_flags`."""
    action.fields = fields
    return action


def config_flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Field -> the option(s) of `parser` that set it ("--w-hh/--w-ih/..." when several do)."""
    options: dict[str, list[str]] = {}
    for action in parser._actions:
        if not action.option_strings:
            continue
        for field in (action.dest, *getattr(action, "fields", ())):
            options.setdefault(field, []).append(action.option_strings[0])
    return {field: "/".join(names) for field, names in options.items()}


def finish(parser: argparse.ArgumentParser, handler) -> argparse.ArgumentParser:
    """Register the subcommand's handler and its field -> flag map (read by `main`)."""
    parser.set_defaults(handler=handler, config_flags=config_flags(parser))
    return parser
