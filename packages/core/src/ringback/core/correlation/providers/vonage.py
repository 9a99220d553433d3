"""Vonage: the answer webhook (JSON body or query parameters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..provider import Direction, Provider

HINT = (
    f"{NO_CALL_ID}: Vonage does not document a SIP Call-ID in the answer webhook (uuid and"
    " conversation_uuid are Vonage ids, kept in native_ids). Link with X-Result-Id /"
    f" X-Correlation-Id, which arrive as SipHeader_X-* parameters. {see('vonage')}"
)


def matches(data: Mapping[str, Any]) -> bool:
    """True for a Vonage answer webhook."""
    return "conversation_uuid" in data


def extract(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``SipHeader_X-*``, ``uuid``/``conversation_uuid`` and from/to."""
    builder = Builder(Provider.VONAGE)
    builder.prefixed_headers(data, "SipHeader_")
    for key in ("uuid", "conversation_uuid"):
        builder.native(key, data.get(key))
    builder.caller(data.get("from"), "from")
    builder.recipient(data.get("to"), "to")
    return builder.build(HINT)
