"""Plivo: answer URL parameters and the audio-stream ``start`` message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..headers import canonical_header_name
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..params import read_params
from ..provider import Direction, Provider
from ..values import child, mapping, pairs

_PLIVO_PREFIX = "x-ph-"

ANSWER_HINT = (
    f"{NO_CALL_ID}: Plivo does not pass the SIP Call-ID (CallUUID is Plivo's id, kept in"
    " native_ids), and a raw Call-ID such as abc-1@1.2.3.4 cannot pass Plivo's letters-and-digits"
    " header values. Link with an alphanumeric X-Correlation-Id (32 hex), which arrives as"
    f" X-PH-Correlation-Id. {see('plivo')}"
)
STREAM_HINT = (
    f"{NO_CALL_ID}: Plivo streams cannot carry a raw SIP Call-ID (start.callId is Plivo's"
    " CallUUID, kept in native_ids). Link with an alphanumeric correlation id instead:"
    ' <Stream extraHeaders="XCorrelationId=...,XRunId=...">.'
    f" {see('plivo')}"
)


def matches_answer(data: Mapping[str, Any]) -> bool:
    """True for Plivo answer/callback URL parameters."""
    return "CallUUID" in data or any(
        key.lower().startswith(_PLIVO_PREFIX) for key, _ in pairs(data)
    )


def matches_stream(data: Mapping[str, Any]) -> bool:
    """True for a Plivo audio-stream ``start`` message."""
    start = mapping(data.get("start"))
    return start is not None and "callId" in start and "streamId" in start


def extract_answer(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``X-PH-<Name>`` (reported as ``X-<Name>``), ``CallUUID`` and From/To."""
    builder = Builder(Provider.PLIVO)
    for key, value in pairs(data):
        if key.lower().startswith(_PLIVO_PREFIX) and len(key) > len(_PLIVO_PREFIX):
            builder.header(canonical_header_name("X-" + key[len(_PLIVO_PREFIX) :]), value, key)
    for key in ("CallUUID", "ALegUUID", "RequestUUID"):
        builder.native(key, data.get(key))
    builder.caller(data.get("From"), "From")
    builder.recipient(data.get("To"), "To")
    return builder.build(ANSWER_HINT)


def extract_stream(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``extra_headers`` (``"k=v,k2=v2"``, top level or under ``start``) and ``callId``."""
    builder = Builder(Provider.PLIVO_STREAM)
    read_params(builder, data.get("extra_headers"), "extra_headers")
    read_params(builder, child(data, "start", "extra_headers"), "start.extra_headers")
    builder.native("callId", child(data, "start", "callId"))
    builder.native("streamId", child(data, "start", "streamId"))
    return builder.build(STREAM_HINT)
