"""Turn arbitrary Python values into JSON-safe ones without ever raising."""

from __future__ import annotations

import base64
import dataclasses
import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any

from pydantic import BaseModel, JsonValue

MAX_DEPTH = 16
_MAX_REPR = 500
_MAX_BYTES_INLINE = 256


def to_jsonable(value: Any, *, _depth: int = 0) -> JsonValue:
    """Convert `value` into something `json.dumps` accepts.

    Containers are converted recursively (keys become strings), pydantic models and dataclasses
    are dumped, datetimes become ISO 8601 strings, NaN/inf become None, and anything else becomes
    a bounded `repr`. Never raises: metadata must not be able to crash an upload.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _depth >= MAX_DEPTH:
        return "<max depth reached>"
    try:
        if isinstance(value, Enum):
            return to_jsonable(value.value, _depth=_depth + 1)
        if isinstance(value, Mapping):
            return {str(k): to_jsonable(v, _depth=_depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [to_jsonable(v, _depth=_depth + 1) for v in value]
        if isinstance(value, BaseModel):
            return to_jsonable(value.model_dump(mode="json"), _depth=_depth + 1)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return to_jsonable(dataclasses.asdict(value), _depth=_depth + 1)
        if isinstance(value, (datetime, date, time)):
            return value.isoformat()
        if isinstance(value, timedelta):
            return value.total_seconds()
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            if len(raw) <= _MAX_BYTES_INLINE:  # as pydantic serialises bytes: URL-safe base64
                return base64.urlsafe_b64encode(raw).decode("ascii")
            return f"<{len(raw)} bytes>"
        text = repr(value)
    except Exception as exc:  # a hostile __repr__/__iter__ must not escape
        return f"<unserialisable {type(value).__name__}: {type(exc).__name__}>"
    if len(text) > _MAX_REPR:
        text = text[:_MAX_REPR] + "…"
    return text


def json_object(value: Any) -> dict[str, JsonValue]:
    """Return `value` as a JSON object, wrapping anything that is not one as `{"value": ...}`."""
    converted = to_jsonable(value)
    if isinstance(converted, dict):
        return converted
    if converted is None:
        return {}
    return {"value": converted}


def json_object_from_text(text: str | None) -> dict[str, JsonValue]:
    """Parse JSON text into an object; a non-object or non-JSON text is wrapped as `{"value": ...}`.

    Frameworks hand tool arguments and results over as strings that are usually, but not always,
    JSON.
    """
    if text is None or text == "":
        return {}
    import json

    try:
        parsed = json.loads(text)
    except (ValueError, TypeError):
        return {"value": text}
    return json_object(parsed)
