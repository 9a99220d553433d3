"""What payload keys mean: Call-ID keys, header keys, forwarded-parameter keys, party keys."""

from __future__ import annotations

import re
from typing import Literal

from ringback.core.protocol import (
    CORRELATION_ID_HEADER,
    RESULT_ID_HEADER,
    RUN_ID_HEADER,
    SCENARIO_ID_HEADER,
)

from .headers import canonical_header_name

# Prefixes providers put before a header name ("SipHeader_X-Run-Id", "sip.h.x-run-id", ...).
_HEADER_PREFIXES = ("variable_sip_h_", "sip_h_", "sip.h.", "sipheader_")

# Compact spellings of the correlation headers, for forwarders that only allow [A-Za-z0-9]
# (Plivo extraHeaders) or that users spell with underscores.
_COMPACT_HEADERS = {
    "xrunid": RUN_ID_HEADER,
    "xscenarioid": SCENARIO_ID_HEADER,
    "xresultid": RESULT_ID_HEADER,
    "xcorrelationid": CORRELATION_ID_HEADER,
    "xcid": "X-CID",
}
_CAMEL_X = re.compile(r"X[A-Z][A-Za-z0-9]*")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[-_.\s]")

CallIdKey = Literal["trusted", "bare"]

_CALLER_KEYS = frozenset({"from", "from_number", "caller"})
_RECIPIENT_KEYS = frozenset({"to", "to_number", "called"})


def call_id_key(key: str) -> CallIdKey | None:
    """Classify a key that may hold the SIP Call-ID.

    ``"trusted"``: the key names the SIP Call-ID (``SipCallId``, ``sip_call_id``, ``sipCallId``,
    ``sip-call-id``, ``Call-ID``); ``"bare"``: a plain ``call_id``/``callId``, which usually holds
    a provider-native id and is only accepted when shaped ``local@host``; None otherwise.
    """
    lowered = key.strip().lower()
    if lowered == "call-id" or _SEPARATORS.sub("", lowered) == "sipcallid":
        return "trusted"
    if lowered in ("call_id", "callid"):
        return "bare"
    return None


def _strip_prefix(key: str) -> str:
    lowered = key.lower()
    for prefix in _HEADER_PREFIXES:
        if lowered.startswith(prefix):
            return key[len(prefix) :]
    return key


def header_name_for_key(key: str) -> str | None:
    """Canonical X- header name for a payload key, after removing a provider prefix.

    ``"SipHeader_X-Run-Id"``, ``"sip.h.x-run-id"``, ``"sip_h_X-Run-Id"`` and ``"X-Run-Id"`` all
    give ``"X-Run-Id"``; keys that do not name an X- header give None.
    """
    name = _strip_prefix(key.strip())
    if name[:2].lower() == "x-" and len(name) > 2:
        return canonical_header_name(name)
    return None


def header_name_for_param(key: str) -> str | None:
    """Canonical X- header name for a forwarded custom-parameter key, or None.

    Besides what `header_name_for_key` accepts: the correlation headers in compact form
    (``XRunId``, ``x_result_id``, ``XCorrelationId``, ``XCID``), ``x_`` + underscores
    (``x_customer_tier`` -> ``X-Customer-Tier``) and ``X`` + CamelCase (``XCustomerTier`` ->
    ``X-Customer-Tier``), because some forwarders (Plivo) allow only letters and digits.
    """
    name = _strip_prefix(key.strip())
    compact = _SEPARATORS.sub("", name).lower()
    if compact in _COMPACT_HEADERS:
        return _COMPACT_HEADERS[compact]
    if name[:2].lower() == "x-" and len(name) > 2:
        return canonical_header_name(name)
    if name[:2].lower() == "x_" and len(name) > 2:
        return canonical_header_name(name.replace("_", "-"))
    if _CAMEL_X.fullmatch(name):
        words = _CAMEL_BOUNDARY.split(name)
        if len(words) > 1 and words[0] == "X":
            return canonical_header_name("-".join(words))
    return None


def party_key(key: str) -> Literal["caller", "recipient"] | None:
    """Whether a forwarded-parameter key carries the caller's or the called number."""
    lowered = key.strip().lower()
    if lowered in _CALLER_KEYS:
        return "caller"
    if lowered in _RECIPIENT_KEYS:
        return "recipient"
    return None
