"""Twilio: the voice webhook of a SIP-domain call, and the Media Streams ``start`` message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..params import read_params
from ..provider import Direction, Provider
from ..values import child, mapping

WEBHOOK_HINT = (
    f"{NO_CALL_ID}: the Twilio voice webhook has no SipCallId (CallSid is Twilio's own id and"
    " is kept in native_ids). Twilio sends SipCallId and SipHeader_X-* only for calls that"
    " arrive through a Twilio SIP domain; route the SIP call to a SIP domain."
    f" {see('twilio-voice-webhook')}"
)
STREAM_HINT = (
    f"{NO_CALL_ID}: the Twilio Media Streams start message carries only what the TwiML passed"
    " (start.callSid is Twilio's CallSid, kept in native_ids). Add"
    ' <Parameter name="SipCallId" value="{{SipCallId}}"/> (and one <Parameter> per X- header,'
    ' e.g. name="X-Result-Id") inside <Stream>, filled from the voice webhook.'
    f" {see('twilio-media-streams')}"
)


def matches_webhook(data: Mapping[str, Any]) -> bool:
    """True for a Twilio voice webhook form."""
    return "CallSid" in data


def matches_stream(data: Mapping[str, Any]) -> bool:
    """True for a Twilio Media Streams ``start`` message."""
    start = mapping(data.get("start"))
    return start is not None and "callSid" in start and "streamSid" in start


def extract_webhook(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``SipCallId``, ``SipHeader_X-*``, ``CallSid`` and From/To."""
    builder = Builder(Provider.TWILIO)
    builder.call_id(data.get("SipCallId"), "SipCallId")
    builder.prefixed_headers(data, "SipHeader_")
    for key in ("CallSid", "ParentCallSid"):
        builder.native(key, data.get(key))
    builder.caller(data.get("From"), "From")
    builder.recipient(data.get("To"), "To")
    return builder.build(WEBHOOK_HINT)


def extract_stream(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``start.customParameters`` (what the TwiML passed) and the native sids."""
    builder = Builder(Provider.TWILIO_STREAM)
    read_params(builder, child(data, "start", "customParameters"), "start.customParameters")
    builder.native("callSid", child(data, "start", "callSid"))
    builder.native("streamSid", child(data, "start", "streamSid") or data.get("streamSid"))
    return builder.build(STREAM_HINT)
