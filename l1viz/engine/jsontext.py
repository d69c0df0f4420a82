"""JSON text of results: a non-finite float (a diverged loss) becomes null, so the text is valid
JSON."""

from __future__ import annotations

import json
import math


def json_safe(value):
    """`value` with every non-finite float replaced by None, recursively; keys become text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def dumps(payload, **options) -> str:
    return json.dumps(json_safe(payload), allow_nan=False, **options)
