"""jambonz: the call hook (HTTP POST) and the websocket ``session:new`` message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..payload_keys import header_name_for_key
from ..provider import Direction, Provider
from ..values import child, mapping, pairs

# Headers the jambonz SBC adds about its own routing; not the tester's, so not kept.
# (X-CID is kept: it carries the original Call-ID.)
INTERNAL_HEADERS = frozenset(
    {
        "X-Account-Sid",
        "X-Application-Sid",
        "X-Voip-Carrier-Sid",
        "X-Forwarded-For",
        "X-Originating-Carrier",
    }
)

HINT = (
    f"{NO_CALL_ID}: the jambonz payload has neither sbc_callid nor an X-CID header (call_id and"
    " sip.headers call-id belong to jambonz's internal leg and call_sid is jambonz's id; all are"
    " kept in native_ids). Use a POST or websocket call hook: GET hooks carry no sbc_callid or"
    f" SIP headers. {see('jambonz')}"
)


def _body(data: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    inner = mapping(data.get("data"))
    if data.get("type") == "session:new" and inner is not None:
        return inner, "data."
    return data, ""


def matches(data: Mapping[str, Any]) -> bool:
    """True for a jambonz call hook or ``session:new`` message."""
    if data.get("type") == "session:new":
        return True
    return "sbc_callid" in data or ("call_sid" in data and "application_sid" in data)


def extract(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``sbc_callid`` (else header ``X-CID``) and ``sip.headers['X-...']``."""
    builder = Builder(Provider.JAMBONZ)
    body, at = _body(data)
    builder.call_id(body.get("sbc_callid"), f"{at}sbc_callid")
    headers = child(body, "sip", "headers")
    for name, value in pairs(headers):
        header = header_name_for_key(name)
        if header is not None and header not in INTERNAL_HEADERS:
            builder.header(header, value, f"{at}sip.headers.{name}")
    builder.native("call_sid", body.get("call_sid") or data.get("call_sid"))
    builder.native("call_id", body.get("call_id"))
    for name, value in pairs(headers):
        if name.lower() == "call-id":
            builder.native("sip.headers.call-id", value)
    builder.caller(body.get("from"), f"{at}from")
    builder.recipient(body.get("to"), f"{at}to")
    return builder.build(HINT)
