"""Any other payload: renamed Call-ID keys, nested header dicts, ``{name, value}`` lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..params import read_params
from ..payload_keys import call_id_key, header_name_for_key, party_key
from ..provider import Direction, Provider
from ..values import child, pairs

# Nested containers of SIP headers: a mapping or a list of {name, value}.
HEADER_CONTAINERS = ("headers", "sip_headers", "sipHeaders", "custom_headers", "customHeaders")
# Containers of forwarded parameters, e.g. the `body` of Pipecat's parse_telephony_websocket.
PARAM_CONTAINERS = ("body", "custom_parameters", "customParameters")

HINT = (
    f"{NO_CALL_ID} found. Pass it explicitly (sip_call_id=...) or forward it under SipCallId,"
    " sip_call_id or a Call-ID header; a plain call_id is used only when shaped local@host,"
    " because Pipecat's parse_telephony_websocket and most providers put their own id there."
    f" {see('generic-payloads')}"
)


def extract(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read Call-ID and X- headers from the top level, then from nested header containers.

    Call-ID priority: a top-level ``SipCallId``/``sip_call_id``/``sipCallId``/``Call-ID`` key,
    then a ``Call-ID`` entry in ``sip.headers`` or another header container, then one in a
    parameter container (``body``, ``custom_parameters``), then the ``X-CID`` header, and last
    a bare ``call_id``/``callId`` shaped ``local@host``.
    """
    builder = Builder(Provider.GENERIC)
    bare: list[tuple[str, Any]] = []
    for key, value in pairs(data):
        kind = call_id_key(key)
        if kind == "trusted":
            builder.call_id(value, key)
        elif kind == "bare":
            bare.append((key, value))
        elif (header := header_name_for_key(key)) is not None:
            builder.header(header, value, key)
        elif (party := party_key(key)) == "caller":
            builder.caller(value, key)
        elif party == "recipient":
            builder.recipient(value, key)
    builder.header_container(child(data, "sip", "headers"), "sip.headers")
    for key in HEADER_CONTAINERS:
        builder.header_container(data.get(key), key)
    for key in PARAM_CONTAINERS:
        if isinstance(data.get(key), Mapping):
            read_params(builder, data[key], key)
    for key, value in bare:
        if builder.has_call_id or builder.has_header("X-CID"):
            builder.native(key, value)
        else:
            builder.call_id(value, key, bare=True)
    return builder.build(HINT)
