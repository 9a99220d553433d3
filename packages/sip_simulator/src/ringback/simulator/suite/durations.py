"""Durations written the way people write them in YAML: `30s`, `5m`, `1h30m`, `1500ms`, `90`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> timedelta:
    """Parse `30s`, `5m`, `1h30m`, `250ms` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif text and _PART.sub("", text) == "":
            seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
        else:
            raise ValueError(
                f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m, 250ms or seconds"
            )
    else:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s or 5m")
    if seconds < 0:
        raise ValueError(f"{value!r}: a duration cannot be negative")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    if seconds and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?(ms|s|m|h)\s*)+$|^\d+(\.\d+)?$"},
                {"type": "number", "minimum": 0},
            ],
            "description": "A duration: 30s, 5m, 1h30m, 250ms, or seconds as a number.",
        }
    ),
]
"""A non-negative duration."""
