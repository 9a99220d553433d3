"""Recognising provider-native call ids, which must never be reported as the SIP Call-ID."""

from __future__ import annotations

import re

_NATIVE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"SCL_[A-Za-z0-9]+"), "LiveKit's SIP call id (SCL_...)"),
    (re.compile(r"CA[0-9a-fA-F]{32}"), "a Twilio CallSid"),
    (re.compile(r"MZ[0-9a-fA-F]{32}"), "a Twilio StreamSid"),
    (re.compile(r"v[23]:[A-Za-z0-9_-]+"), "a Telnyx call_control_id"),
    (re.compile(r"CON-[0-9a-fA-F-]{36}"), "a Vonage conversation_uuid"),
)

# A classic SIP Call-ID is `local-id@host`; provider-native ids never contain "@".
_LOCAL_AT_HOST = re.compile(r"[^@\s]+@[^@\s]+")


def native_id_kind(value: str) -> str | None:
    """Describe `value` when it has the shape of a provider-native id, else return None.

    Only prefixes no SIP stack generates are recognised (LiveKit ``SCL_``, Twilio ``CA``/``MZ``
    + 32 hex, Telnyx ``v2:``/``v3:``, Vonage ``CON-`` + UUID). Bare UUIDs are not: FreeSWITCH
    and drachtio use UUIDs as real Call-IDs.
    """
    for pattern, kind in _NATIVE_PATTERNS:
        if pattern.fullmatch(value):
            return kind
    return None


def is_local_at_host(value: str) -> bool:
    """True when `value` has the ``local-id@host`` shape of a classic SIP Call-ID."""
    return _LOCAL_AT_HOST.fullmatch(value) is not None
