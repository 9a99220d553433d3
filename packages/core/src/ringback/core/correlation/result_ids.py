"""The shape of a result id: what `X-Result-Id` / `X-Correlation-Id` must hold to link a call."""

from __future__ import annotations

import re

RESULT_ID_SHAPE = "32 hex or 26 base32 characters"
"""A result id in words, for messages."""

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_BASE32_26 = re.compile(r"[0-9A-Za-z]{26}")


def canonical_result_id(value: object) -> str | None:
    """The comparable form of a result id (hex lower-cased, base32 upper-cased), or None
    when `value` is not 32 hex or 26 base32 characters (surrounding spaces aside)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if _HEX32.fullmatch(value):
        return value.lower()
    if _BASE32_26.fullmatch(value):
        return value.upper()
    return None


def is_result_id(value: object) -> bool:
    """True when `value` has the shape of a result id, so a call carrying it can link."""
    return canonical_result_id(value) is not None


def same_result_id(a: str, b: str) -> bool:
    """Whether two header values name the same result id as the collector compares them
    (case-insensitively when both are result ids; exactly otherwise)."""
    left, right = canonical_result_id(a), canonical_result_id(b)
    if left is not None and right is not None:
        return left == right
    return a.strip() == b.strip()


__all__ = ["RESULT_ID_SHAPE", "canonical_result_id", "is_result_id", "same_result_id"]
