"""What `ringback doctor` tells the user: guide sections, fixes, labels, and secret masking."""

from __future__ import annotations

from ringback.core.correlation import Provider

from .model import Problem

GUIDE = "docs/correlation.md"

SECTIONS: dict[Provider, str] = {
    Provider.LIVEKIT: "livekit",
    Provider.TWILIO: "twilio-voice-webhook",
    Provider.TWILIO_STREAM: "twilio-media-streams",
    Provider.TELNYX: "telnyx",
    Provider.TELNYX_STREAM: "telnyx",
    Provider.PLIVO: "plivo",
    Provider.PLIVO_STREAM: "plivo",
    Provider.EXOTEL: "exotel",
    Provider.JAMBONZ: "jambonz",
    Provider.DAILY: "daily",
    Provider.VONAGE: "vonage",
    Provider.FREESWITCH: "freeswitch",
    Provider.GENERIC: "generic-payloads",
}
"""The section of docs/correlation.md for each provider."""

RULES_SECTION = "rules"
NAMES_SECTION = "header-names-and-values"

HEADER_FIXES: dict[Provider, str] = {
    Provider.LIVEKIT: (
        "Set include_headers to SIP_X_HEADERS (or SIP_ALL_HEADERS) on the inbound trunk, and"
        " read the attributes again on participant_attributes_changed: they can land after the"
        " participant joins. Headers missing despite include_headers is livekit/sip#358."
    ),
    Provider.TWILIO: (
        "Twilio sends SipHeader_X-<Name> only for calls that arrive through a Twilio SIP"
        " domain; check that the INVITE carries the header."
    ),
    Provider.TWILIO_STREAM: (
        'Add <Parameter name="{name}" value="..."/> inside <Stream>, filled from the voice'
        " webhook's SipHeader_{name}."
    ),
    Provider.TELNYX: (
        "Telnyx puts the INVITE's X- headers in data.payload.custom_headers; check that the"
        " INVITE carries the header."
    ),
    Provider.TELNYX_STREAM: (
        "Pass the header as a custom parameter when you start the stream"
        ' (<Parameter name="{name}" value="..."/> in TeXML).'
    ),
    Provider.PLIVO: (
        "Plivo passes X- headers to the answer URL as X-PH-<Name>; values may hold letters and"
        " digits only."
    ),
    Provider.PLIVO_STREAM: (
        'Add it to <Stream extraHeaders="...">, in compact form (e.g. XCorrelationId=...):'
        " letters and digits only, at most 512 bytes."
    ),
    Provider.EXOTEL: (
        "Add it as a query parameter of the Voicebot applet URL (e.g. ?XResultId=...; at most"
        " 3 parameters, 256 characters)."
    ),
    Provider.JAMBONZ: (
        "Use a POST or websocket call hook: jambonz sends sip.headers only on those; do not"
        " name a header X-CID yourself (jambonz overwrites it)."
    ),
    Provider.DAILY: (
        "Pass the dial-in webhook's sipHeaders to the bot (Pipecat: DailyDialinSettings"
        ".sip_headers)."
    ),
    Provider.VONAGE: (
        "Vonage passes SipHeader_X-<Name> to the answer webhook; check that the INVITE carries"
        " the header."
    ),
    Provider.FREESWITCH: (
        "Pass an event or channel variables that include sip_h_{name}; on a bridged leg, set"
        " sip_h_{name} before the bridge."
    ),
    Provider.GENERIC: (
        "Forward it as a top-level {name} key, or inside sip.headers, headers, sip_headers or"
        " custom_headers."
    ),
}
"""How to make a missing X- header reach the agent, per provider (``{name}``: the header)."""

HOP_FIX = (
    "A SIP hop between the caller and the agent (B2BUA, SBC, PBX, a bridged leg) gives its leg"
    " a new Call-ID. Make the hop copy the original Call-ID into an X-CID header, or link with"
    " X-Correlation-Id / X-Result-Id, which survive hops that forward X- headers."
)
RENAME_FIX = (
    "Only headers named X-... are kept (case does not matter: SIP header names are"
    " case-insensitive). Name it {name} where it is set: the INVITE's headers (e.g. the test"
    " profile's main_agent_variables) or the parameter that forwards it."
)
NOT_READ_FIX = "Ringback does not read headers from there for {provider}. {fix}"
NATIVE_EXPECTED_FIX = (
    "Expect the Call-ID header of the INVITE (what the simulator or the SIP client sent), or"
    " link with X-Correlation-Id / X-Result-Id."
)
REFUSED_FIX = "Send a value without line breaks, at most 1024 bytes of UTF-8."
WRONG_VALUE_FIX = (
    "The payload may belong to another call or run, or a hop rewrote the header; check that"
    " the expected value is the one sent on this call's INVITE."
)
NO_CALL_ID_FIX = "Forward the INVITE's Call-ID, or pass it explicitly (sip_call_id=...)."

LABELS: dict[Problem, str] = {
    "no_call_id": "no Call-ID at all",
    "native_id_in_place": "a provider-native id in place of the Call-ID",
    "different_call_id": "a different Call-ID (as after a SIP hop or B2BUA)",
    "expected_native_id": "the expected value is a provider-native id, not a SIP Call-ID",
    "call_id_refused": "a Call-ID that was refused",
    "header_missing": "header not forwarded",
    "header_renamed": "header renamed (no X- prefix)",
    "header_not_read": "header where Ringback does not read it",
    "header_refused": "header refused (bad value)",
    "header_wrong_value": "header with a different value",
}

SECRET_WORDS = (
    "auth",
    "token",
    "secret",
    "password",
    "passwd",
    "key",
    "credential",
    "cookie",
    "signature",
)
"""A header whose name contains one of these (any case) has its value masked."""


def see(anchor: str) -> str:
    """A link to a section of the correlation guide."""
    return f"{GUIDE}#{anchor}"


def header_fix(provider: Provider, name: str) -> str:
    """How to make header `name` reach the agent on `provider`."""
    return HEADER_FIXES[provider].format(name=name)


def is_secret_name(name: str) -> bool:
    """True when a header's name suggests its value is a secret."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask(value: str) -> str:
    """A secret value as ``***`` plus its length."""
    return f"*** ({len(value)} chars)"


def shown(name: str, value: str) -> str:
    """`value` as it may be printed: masked when header `name` looks like a secret."""
    return mask(value) if is_secret_name(name) else value
