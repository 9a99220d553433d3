"""Telnyx: Call Control webhooks and the media-streaming ``start`` message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..params import read_params
from ..provider import Direction, Provider
from ..values import child, mapping

_NATIVE = ("call_control_id", "call_leg_id", "call_session_id")

WEBHOOK_HINT = (
    f"{NO_CALL_ID}: Telnyx Call Control webhooks have no SIP Call-ID field (call_control_id,"
    " call_leg_id and call_session_id are Telnyx ids, kept in native_ids). Link with the"
    " X-Result-Id / X-Correlation-Id headers, which arrive in data.payload.custom_headers."
    f" {see('telnyx')}"
)
STREAM_HINT = (
    f"{NO_CALL_ID}: the Telnyx stream start message has no SIP Call-ID (call_control_id is"
    " Telnyx's id, kept in native_ids). Pass X-Result-Id / X-Correlation-Id (read from the"
    " call.initiated custom_headers) as custom parameters when you start the stream."
    f" {see('telnyx')}"
)


def matches_webhook(data: Mapping[str, Any]) -> bool:
    """True for a Call Control webhook (``{"data": {"payload": {"call_control_id": ...}}}``)."""
    payload = mapping(child(data, "data", "payload"))
    return payload is not None and "call_control_id" in payload


def matches_stream(data: Mapping[str, Any]) -> bool:
    """True for a media-streaming ``start`` message."""
    start = mapping(data.get("start"))
    return start is not None and "call_control_id" in start


def extract_webhook(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``data.payload.custom_headers`` (and ``sip_headers``), native ids and from/to."""
    builder = Builder(Provider.TELNYX)
    payload = mapping(child(data, "data", "payload")) or {}
    for field in ("custom_headers", "sip_headers"):
        builder.header_container(payload.get(field), f"data.payload.{field}")
    for key in _NATIVE:
        builder.native(key, payload.get(key))
    builder.caller(payload.get("from"), "data.payload.from")
    builder.recipient(payload.get("to"), "data.payload.to")
    return builder.build(WEBHOOK_HINT)


def extract_stream(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read custom parameters from ``start.custom_parameters`` (or a top-level one)."""
    builder = Builder(Provider.TELNYX_STREAM)
    start = mapping(data.get("start")) or {}
    read_params(builder, start.get("custom_parameters"), "start.custom_parameters")
    read_params(builder, data.get("custom_parameters"), "custom_parameters")
    for key in ("call_control_id", "call_session_id"):
        builder.native(key, start.get(key))
    builder.native("stream_id", data.get("stream_id") or start.get("stream_id"))
    builder.caller(start.get("from"), "start.from")
    builder.recipient(start.get("to"), "start.to")
    return builder.build(STREAM_HINT)
