"""Exotel: the Voicebot/Stream applet websocket ``start`` message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..params import read_params
from ..provider import Direction, Provider
from ..values import mapping

HINT = (
    f"{NO_CALL_ID}: Exotel does not pass the SIP Call-ID (call_sid and stream_sid are Exotel"
    " ids, kept in native_ids). Add the correlation values as query parameters on the"
    " Voicebot applet URL (at most 3, 256 characters), e.g. ?XResultId=...; they arrive in"
    f" start.custom_parameters. {see('exotel')}"
)


def matches(data: Mapping[str, Any]) -> bool:
    """True for an Exotel ``start`` message."""
    start = mapping(data.get("start"))
    return start is not None and "call_sid" in start and "stream_sid" in start


def extract(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``start.custom_parameters`` (a dict or a query string) and the native sids."""
    builder = Builder(Provider.EXOTEL)
    start = mapping(data.get("start")) or {}
    read_params(builder, start.get("custom_parameters"), "start.custom_parameters")
    builder.native("call_sid", start.get("call_sid"))
    builder.native("stream_sid", start.get("stream_sid") or data.get("stream_sid"))
    builder.caller(start.get("from"), "start.from")
    builder.recipient(start.get("to"), "start.to")
    return builder.build(HINT)
