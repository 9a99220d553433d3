"""LiveKit SIP participant attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..payload_keys import header_name_for_key
from ..provider import Direction, Provider
from ..values import child, mapping, pairs

ATTRIBUTES = frozenset(
    {
        "sip.callID",
        "sip.callIDFull",
        "sip.callStatus",
        "sip.phoneNumber",
        "sip.trunkPhoneNumber",
        "sip.trunkID",
        "sip.ruleID",
    }
)
"""LiveKit's own SIP attribute names (besides ``sip.h.<lower-case header>``)."""

HINT = (
    f"{NO_CALL_ID}: the LiveKit participant attribute sip.callIDFull is missing (sip.callID,"
    " SCL_..., is LiveKit's own id and is kept in native_ids). Upgrade LiveKit SIP to a version"
    " that sets sip.callIDFull, or set include_headers=SIP_ALL_HEADERS on the trunk so that"
    " sip.h.call-id arrives; attributes can also land after the participant joins, so read them"
    f" again on participant_attributes_changed. {see('livekit')}"
)


WRAPPERS: tuple[tuple[str, ...], ...] = (("attributes",), ("participant", "attributes"))
"""Where a participant object (``ParticipantInfo`` as JSON) or a ``participant_*`` webhook
keeps the attributes."""


def _has_sip_keys(data: Mapping[str, Any]) -> bool:
    return any(key in ATTRIBUTES or key.startswith("sip.h.") for key, _ in pairs(data))


def attributes_path(data: Mapping[str, Any]) -> str | None:
    """Where `data` keeps SIP participant attributes: ``""`` at the top level,
    ``"attributes"`` in a participant object, ``"participant.attributes"`` in a webhook
    (``participant_joined`` and friends); None when nowhere."""
    if _has_sip_keys(data):
        return ""
    for path in WRAPPERS:
        inner = mapping(child(data, *path))
        if inner is not None and _has_sip_keys(inner):
            return ".".join(path)
    return None


def matches(data: Mapping[str, Any]) -> bool:
    """True when `data` is a SIP participant's attributes, or a participant object or webhook
    holding them."""
    return attributes_path(data) is not None


def extract(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``sip.callIDFull``, ``sip.h.x-*`` and the phone-number attributes.

    `data` is the attributes, or a participant object or webhook holding them (sources then
    name the path, e.g. ``livekit:participant.attributes.sip.callIDFull``).
    ``sip.phoneNumber`` is the number outside LiveKit: the caller on inbound calls (the
    default), the recipient on outbound ones; ``sip.trunkPhoneNumber`` is the other side.
    """
    path = attributes_path(data) or ""
    at = f"{path}." if path else ""
    if path:
        data = mapping(child(data, *path.split("."))) or data
    builder = Builder(Provider.LIVEKIT)
    builder.call_id(data.get("sip.callIDFull"), f"{at}sip.callIDFull")
    for key, value in pairs(data):
        if key.lower() == "sip.h.call-id":
            builder.call_id(value, f"{at}{key}")
    for key in ("sip.callID", "sip.trunkID", "sip.ruleID"):
        builder.native(key, data.get(key))
    for key, value in pairs(data):
        if key.lower().startswith("sip.h."):
            name = header_name_for_key(key)
            if name is not None:
                builder.header(name, value, f"{at}{key}")
    outside, trunk = "sip.phoneNumber", "sip.trunkPhoneNumber"
    if direction == "outbound":
        builder.recipient(data.get(outside), f"{at}{outside}")
        builder.caller(data.get(trunk), f"{at}{trunk}")
    else:
        builder.caller(data.get(outside), f"{at}{outside}")
        builder.recipient(data.get(trunk), f"{at}{trunk}")
    return builder.build(HINT)
