"""FreeSWITCH: an event-socket (ESL) event, or a dict of channel variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..payload_keys import header_name_for_key
from ..provider import Direction, Provider
from ..values import pairs

HINT = (
    f"{NO_CALL_ID}: the FreeSWITCH event has no variable_sip_call_id (Unique-ID is FreeSWITCH's"
    " channel uuid, kept in native_ids). Read a SIP (sofia) channel event that carries channel"
    " variables (e.g. CHANNEL_PARK or CHANNEL_ANSWER), or run uuid_getvar <uuid> sip_call_id."
    f" {see('freeswitch')}"
)


def matches(data: Mapping[str, Any]) -> bool:
    """True for an ESL event (``Event-Name``/``Unique-ID``) or ``variable_*`` channel data."""
    if "Unique-ID" in data or "Event-Name" in data:
        return True
    return any(key.startswith("variable_sip_") for key, _ in pairs(data))


def extract(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``variable_sip_call_id`` and ``variable_sip_h_X-*`` (``variable_`` optional)."""
    builder = Builder(Provider.FREESWITCH)
    for key in ("variable_sip_call_id", "sip_call_id"):
        builder.call_id(data.get(key), key)
    for key, value in pairs(data):
        if key.startswith(("variable_sip_h_", "sip_h_")):
            name = header_name_for_key(key)
            if name is not None:
                builder.header(name, value, key)
    for key in ("Unique-ID", "Channel-Call-UUID"):
        builder.native(key, data.get(key))
    for key in ("Caller-Caller-ID-Number", "variable_sip_from_user"):
        builder.caller(data.get(key), key)
    for key in ("Caller-Destination-Number", "variable_sip_req_user", "variable_sip_to_user"):
        builder.recipient(data.get(key), key)
    return builder.build(HINT)
