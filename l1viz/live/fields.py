"""What one setting of a page may hold, read from a URL parameter or a typed box: a parser that
names what is wrong, the limit in words, and the setting's URL text.

Every page's typed state (`settings.py` for the live page, `table_view.py`, `map_view.py`,
`schemes_view.py`) lists its fields here, and `read_params` turns a whole query into values plus one
readable warning per value it refused, in the live page's words: a bad link shows a message and
the default, never an exception.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields

from l1viz.engine.config import ConfigError

# Streamlit adds these to a URL itself; they are not ours to validate.
FOREIGN_PARAMS = frozenset({"embed", "embed_options"})
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class Refused(ValueError):
    """A value a field does not take; the message says why, e.g. "must be a number"."""


def number_text(value) -> str:
    """A limit or value as people write it: 4,096 and 1,000,000, but 0.0001 and 1e-08."""
    if isinstance(value, numbers.Integral) or (
        isinstance(value, float) and value.is_integer() and abs(value) < 1e15
    ):
        return f"{int(value):,}"
    return f"{value:g}"


def quoted(raw, limit: int = 40) -> str:
    """A user's text, shortened, shown as a quoted literal (never as markup)."""
    text = raw if isinstance(raw, str) else repr(raw)
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True)
class Number:
    """A finite number in [low, high] (low excluded when `above`), a whole one when `whole`."""

    low: float
    high: float
    whole: bool = False
    above: bool = False

    def parse(self, raw):
        if isinstance(raw, bool):
            raise Refused("must be a number")
        if isinstance(raw, str):
            raw = raw.strip().replace("_", "")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise Refused("must be a number") from None
        problem = self.problem(value)
        if problem:
            raise Refused(problem)
        return int(value) if self.whole else value

    def problem(self, value) -> str | None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return "must be a number"
        if not math.isfinite(value):
            return "must be a finite number"
        if self.whole and value != int(value):
            return "must be a whole number"
        inside = (self.low < value if self.above else self.low <= value) and value <= self.high
        return None if inside else f"must be {self.limit()}"

    def limit(self) -> str:
        low, high = number_text(self.low), number_text(self.high)
        return f"above {low} and at most {high}" if self.above else f"between {low} and {high}"

    def text(self, value) -> str:
        return str(int(value)) if self.whole else repr(float(value))


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]
    what: str = ""  # the refusal, when listing every option would not help

    def parse(self, raw):
        value = raw.strip().lower() if isinstance(raw, str) else raw
        if value not in self.options:
            raise Refused(self.what or f"must be one of {', '.join(self.options)}")
        return value

    def text(self, value) -> str:
        return str(value)


@dataclass(frozen=True)
class Flag:
    def parse(self, raw):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE + _FALSE:
            return raw.strip().lower() in _TRUE
        raise Refused("must be true or false")

    def text(self, value) -> str:
        return "true" if value else "false"


@dataclass(frozen=True)
class Pair:
    """Two numbers of `of`, written "LOW,HIGH", with LOW < HIGH (a range of a map's axis)."""

    of: Number

    def parse(self, raw):
        parts = _parts(raw)
        if len(parts) != 2:
            raise Refused("must be two numbers, low,high")
        low, high = (self.of.parse(part) for part in parts)
        if not low < high:
            raise Refused("needs low < high")
        return (low, high)

    def text(self, value) -> str:
        return ",".join(self.of.text(part) for part in value)


@dataclass(frozen=True)
class Several:
    """One or more distinct values of `of`, written "a,b,c"."""

    of: Number | Choice

    def parse(self, raw):
        parts = _parts(raw)
        if not parts:
            raise Refused("needs at least one value")
        values = tuple(self.of.parse(part) for part in parts)
        if len(set(values)) != len(values):
            raise Refused("names a value twice")
        return values

    def text(self, value) -> str:
        return ",".join(self.of.text(part) for part in value)


@dataclass(frozen=True)
class Blank:
    """A value of `of`, or None when left blank: a default that depends on another setting (a
    slope is its activation's own)."""

    of: Number

    def parse(self, raw):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        return self.of.parse(raw)

    def text(self, value) -> str:
        return "" if value is None else self.of.text(value)


Field = Number | Choice | Flag | Pair | Several | Blank


def _parts(raw) -> list:
    if isinstance(raw, str):
        return [part for part in (p.strip() for p in raw.split(",")) if part]
    return list(raw) if isinstance(raw, (list, tuple)) else [raw]


def read_params(
    fields: Mapping[str, Field], defaults: Mapping[str, object], params: Mapping, text=None
) -> tuple[dict, list[str]]:
    """(the values given and good, a warning for each one refused). A name given more than once
    (a list) is ambiguous, a name not in `fields` unknown: both are named too. `text(name, value)`
    writes a default in the warnings (default: the field's own URL text)."""
    text = text or (lambda name, value: fields[name].text(value))
    values, warnings = {}, []
    for name, raw in params.items():
        if name in FOREIGN_PARAMS:
            continue
        if name not in fields:
            warnings.append(f"Unknown URL parameter {quoted(name)} was ignored.")
            continue
        fallback = text(name, defaults[name]) or "none"
        if isinstance(raw, (list, tuple)):  # a URL may repeat a name: which one was meant?
            if len(raw) != 1:
                given = ", ".join(quoted(item) for item in raw[:3])
                more = ", …" if len(raw) > 3 else ""
                warnings.append(
                    f"{name} was given {len(raw)} times ({given}{more}). "
                    f"Using the default, {fallback}."
                )
                continue
            raw = raw[0]
        try:
            values[name] = fields[name].parse(raw)
        except Refused as refused:
            warnings.append(f"{name} = {quoted(raw)}: {refused}. Using the default, {fallback}.")
    return values, warnings


def changed_query(
    fields: Mapping[str, Field], defaults: Mapping[str, object], values: Mapping[str, object]
) -> dict[str, str]:
    """URL text of the values that differ from their default: the default view is a bare URL."""
    return {
        name: fields[name].text(value)
        for name, value in values.items()
        if name in fields and value != defaults[name]
    }


def read_view(cls, fields: Mapping[str, Field], params: Mapping, check, culprits=None, text=None):
    """A page's typed state (a frozen dataclass `cls` with a default for every field) from a
    query, with a warning for each value refused (`text(name, value)` writes a default).
    `check(view)` is the study's own validation: a `ConfigError` it raises names a setting, whose
    given value (or, through `culprits`, the given value of one of the URL names it lists) is
    replaced by its default in turn."""
    defaults = {f.name: f.default for f in dataclass_fields(cls)}
    text = text or (lambda name, value: fields[name].text(value))
    values, warnings = read_params(fields, defaults, params, text)
    while True:
        try:
            view = cls(**values)
            check(view)
            return view, warnings
        except ConfigError as error:
            names = (culprits or {}).get(error.field, (error.field,))
            name = next((n for n in names if n in values), None)
            if name is None:  # the defaults themselves clash: nothing given to blame
                return cls(), [*warnings, f"{error}. Using the default view."]
            given = fields[name].text(values.pop(name))
            reason = str(error).split(": ", 1)[-1]
            fallback = text(name, defaults[name]) or "none"
            warnings.append(f"{name} = {quoted(given)}: {reason}. Using the default, {fallback}.")


def view_query(view, fields: Mapping[str, Field]) -> dict[str, str]:
    """The URL parameters of a page's typed state: the fields that differ from their default."""
    defaults = type(view)()
    values = {name: getattr(view, name) for name in fields}
    return changed_query(fields, {n: getattr(defaults, n) for n in fields}, values)
