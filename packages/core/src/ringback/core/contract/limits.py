"""Bounds that keep a runaway call from producing an unbounded payload."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, JsonValue


class Limits(BaseModel):
    """Size bounds applied to every call before it is persisted or sent."""

    max_segments: int = Field(default=5_000, ge=10)
    """Rows kept per call; beyond it the middle of the call is dropped (start and end are kept)."""
    max_text_chars: int = Field(default=8_000, ge=100)
    """Characters kept per row's text."""
    max_tool_payload_bytes: int = Field(default=32_768, ge=256)
    """Serialised size kept per tool `params` / `result` object."""


DEFAULT_LIMITS = Limits()


def truncate_text(text: str, max_chars: int) -> tuple[str, int]:
    """Cut `text` to `max_chars` with an explicit marker; also return how many chars were cut."""
    if len(text) <= max_chars:
        return text, 0
    dropped = len(text) - max_chars
    return f"{text[:max_chars]} …[truncated {dropped} chars]", dropped


def bound_object(obj: dict[str, JsonValue], max_bytes: int) -> tuple[dict[str, JsonValue], bool]:
    """Replace a JSON object larger than `max_bytes` by a marked, bounded preview."""
    encoded = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    size = len(encoded.encode())
    if size <= max_bytes:
        return obj, False
    preview = encoded[: max(0, max_bytes // 2)]
    return {"truncated": True, "original_bytes": size, "preview": preview}, True
