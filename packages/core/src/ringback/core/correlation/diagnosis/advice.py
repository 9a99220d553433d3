"""What Ringback tells the user about correlation: per-provider advice (one table, shared by
`ringback doctor` and `ringback-sim verify`), fixes, labels, and secret masking (the names
come from `ringback.core.secrets`, the one list every command uses)."""

from __future__ import annotations

from dataclasses import dataclass

from ringback.core.correlation import Provider
from ringback.core.correlation.provider import parse_provider
from ringback.core.protocol import RESULT_ID_SHAPE
from ringback.core.secrets import is_secret_name

from .model import Problem

GUIDE = "docs/correlation.md"
RULES_SECTION = "rules"
NAMES_SECTION = "header-names-and-values"
HOP_SECTIONS = ("freeswitch", "asterisk-pjsip")
"""The sections showing a hop that forwards the original Call-ID as X-CID."""

_HOP_REST = (
    " Forward the original Call-ID onto the next leg as an X-CID header (FreeSWITCH:"
    " sip_h_X-CID=${sip_call_id} before the bridge; Asterisk: a pre-dial handler setting"
    " PJSIP_HEADER(add,X-CID)) and report it as the Call-ID (RingbackPlugin(sip_correlation_id"
    "=...), RingbackObserver(sip_call_id=...); extract_correlation uses X-CID by itself when a"
    " payload has no Call-ID). Forward X-Result-Id / X-Correlation-Id too: they link the call"
    " whatever its Call-ID."
)
HOP_FIX = (
    "A hop between the caller and the agent (a PBX, an SBC or B2BUA, a provider or bridged"
    " leg) starts a new SIP dialog with a new Call-ID." + _HOP_REST
)
"""What to do when the Call-ID was regenerated on the way (most providers)."""


@dataclass(frozen=True)
class ProviderAdvice:
    """How one provider hands the Call-ID and the X- headers to the agent, and what to change."""

    name: str
    """Display name."""
    anchor: str
    """Its section of docs/correlation.md."""
    call_id: str
    """How to get the INVITE's Call-ID onto the synced call."""
    headers: str
    """How to get an X- header there: a `str.format` template, ``{name}`` for the header."""
    hop: str = HOP_FIX
    """What to do when the Call-ID was regenerated on the way."""
    hop_anchors: tuple[str, ...] = HOP_SECTIONS
    """The sections that show how to fix a hop."""

    def header_fix(self, name: str) -> str:
        """How to make header `name` reach the agent."""
        return self.headers.format(name=name)


_TELNYX_CALL_ID = (
    "Telnyx does not hand the SIP Call-ID over; link by the X-Result-Id / X-Correlation-Id"
    " headers instead."
)
_PLIVO_CALL_ID = (
    "Plivo cannot carry a raw Call-ID (letters and digits only); link by the alphanumeric"
    " X-Correlation-Id instead."
)

ADVICE: dict[Provider, ProviderAdvice] = {
    Provider.LIVEKIT: ProviderAdvice(
        "LiveKit SIP",
        "livekit",
        "Read the participant attribute sip.callIDFull (RingbackPlugin(session, ctx) does),"
        " never sip.callID (LiveKit's SCL_ id). If it is missing, upgrade LiveKit SIP or set"
        " include_headers: SIP_ALL_HEADERS on the inbound trunk so sip.h.call-id arrives;"
        " attributes can land after the participant joins, so read them again on"
        " participant_attributes_changed.",
        "Set include_headers: SIP_X_HEADERS (or SIP_ALL_HEADERS) on the agent's inbound trunk"
        " (lk sip inbound update) so the X- headers arrive as sip.h.x-* participant attributes"
        " (headers_to_attributes renames them to attributes Ringback does not read), and read"
        " them again on participant_attributes_changed: they can land after the participant"
        " joins. Headers missing despite include_headers: livekit/sip#358.",
        hop="A PBX or SBC in front of the agent's LiveKit SIP starts a new SIP dialog with a new"
        " Call-ID." + _HOP_REST,
    ),
    Provider.TWILIO: ProviderAdvice(
        "Twilio voice webhook",
        "twilio-voice-webhook",
        "Route the call through a Twilio SIP domain: only then does the voice webhook carry"
        " SipCallId (CallSid is Twilio's own id).",
        "Read the voice webhook's SipHeader_{name} parameter. Twilio sends SipHeader_X-* only"
        " for calls through a Twilio SIP domain, and only for X- headers the INVITE carries.",
    ),
    Provider.TWILIO_STREAM: ProviderAdvice(
        "Twilio Media Streams",
        "twilio-media-streams",
        'Add <Parameter name="SipCallId" value="{{SipCallId}}"/> inside <Stream>; the start'
        " message carries only what the TwiML passes.",
        'Add <Parameter name="{name}" value="{{{{SipHeader_{name}}}}}"/> inside <Stream>, one'
        " per X- header, filled from the voice webhook: the start message carries only what"
        " the TwiML passes.",
    ),
    Provider.TELNYX: ProviderAdvice(
        "Telnyx",
        "telnyx",
        _TELNYX_CALL_ID,
        "Telnyx puts the INVITE's X- headers in data.payload.custom_headers of call.initiated:"
        " check that the INVITE carries {name}. For a media stream, pass it as a custom"
        " parameter when starting the stream.",
    ),
    Provider.TELNYX_STREAM: ProviderAdvice(
        "Telnyx media streaming",
        "telnyx",
        _TELNYX_CALL_ID,
        "Pass {name} as a custom parameter when you start the stream"
        ' (<Parameter name="{name}" value="..."/> in TeXML); Pipecat\'s'
        " parse_telephony_websocket drops custom parameters: read the raw start message.",
    ),
    Provider.PLIVO: ProviderAdvice(
        "Plivo",
        "plivo",
        _PLIVO_CALL_ID,
        "Read the answer URL's X-PH-* parameters: Plivo passes X- headers as X-PH-<Name>, with"
        ' letters and digits only in values. For a stream, use <Stream extraHeaders="...">.',
    ),
    Provider.PLIVO_STREAM: ProviderAdvice(
        "Plivo audio streaming",
        "plivo",
        _PLIVO_CALL_ID,
        'Add {name} to <Stream extraHeaders="...">, in compact form (e.g.'
        " XCorrelationId=...,XResultId=...): letters and digits only, at most 512 bytes."
        " Pipecat drops extra_headers: read the raw start message.",
    ),
    Provider.EXOTEL: ProviderAdvice(
        "Exotel",
        "exotel",
        "Exotel does not pass the SIP Call-ID; link by X-Result-Id / X-Correlation-Id.",
        "Add {name} as a query parameter of the Voicebot applet URL, in compact form (e.g."
        " ?XResultId=...&XRunId=...; at most 3 parameters, 256 characters); it arrives in"
        " start.custom_parameters.",
    ),
    Provider.JAMBONZ: ProviderAdvice(
        "jambonz",
        "jambonz",
        "Use sbc_callid (or the X-CID header the SBC adds): the original Call-ID; call_id and"
        " call_sid belong to jambonz's own leg.",
        "Use a POST or websocket call hook: GET hooks carry no sip.headers. Do not name a"
        " header X-CID yourself (jambonz overwrites it).",
        hop="jambonz answers on its own leg: report sbc_callid (the Call-ID as it reached the"
        " SBC) or the X-CID header, never call_id. If sbc_callid differs too, a hop before"
        " jambonz started a new dialog: forward X-Result-Id / X-Correlation-Id across it, they"
        " link the call whatever its Call-ID.",
        hop_anchors=("jambonz",),
    ),
    Provider.DAILY: ProviderAdvice(
        "Daily",
        "daily",
        "Daily does not document a SIP Call-ID for dial-in; link by X-Result-Id /"
        " X-Correlation-Id.",
        "Pass the dial-in webhook's sipHeaders to the bot (Pipecat:"
        " DailyDialinSettings.sip_headers).",
    ),
    Provider.VONAGE: ProviderAdvice(
        "Vonage",
        "vonage",
        "Vonage does not pass the SIP Call-ID; link by X-Result-Id / X-Correlation-Id.",
        "Read the answer webhook's SipHeader_{name} parameter: Vonage passes the INVITE's X-"
        " headers as SipHeader_X-*, so check that the INVITE carries {name}.",
    ),
    Provider.FREESWITCH: ProviderAdvice(
        "FreeSWITCH",
        "freeswitch",
        "Read variable_sip_call_id from a sofia channel event (CHANNEL_PARK / CHANNEL_ANSWER),"
        " not Unique-ID (FreeSWITCH's channel uuid).",
        "Pass an event or channel variables that include sip_h_{name} (Sofia keeps the"
        " INVITE's X- headers as sip_h_X-*); on a bridged leg, set sip_h_{name} before the"
        " bridge so it reaches the next leg.",
    ),
    Provider.GENERIC: ProviderAdvice(
        "Generic payload",
        "generic-payloads",
        "Hand the Call-ID the agent received to Ringback: RingbackPlugin(session, ctx) reads it"
        " from the LiveKit SIP participant; with Pipecat pass RingbackObserver(sip_call_id=...);"
        " elsewhere forward it as SipCallId (or an X-CID header) and let extract_correlation"
        " read the payload.",
        "Forward the INVITE's X- headers to the agent and hand them to Ringback: RingbackPlugin"
        " reads the sip.h.x-* participant attributes; with Pipecat pass"
        " RingbackObserver(sip_headers=...); in a payload for extract_correlation put {name}"
        " at the top level or inside sip.headers, headers, sip_headers or custom_headers.",
    ),
}
"""Per provider: its guide section, and what to change for the Call-ID, X- headers and hops."""


def advice_for(provider: Provider | str | None) -> ProviderAdvice:
    """The advice for a `Provider` or its value; the generic advice when None or unknown."""
    if provider is None:
        return ADVICE[Provider.GENERIC]
    try:
        return ADVICE[parse_provider(provider)]
    except ValueError:
        return ADVICE[Provider.GENERIC]


RENAME_FIX = (
    "Only headers named X-... are kept (case does not matter: SIP header names are"
    " case-insensitive). Name it {name} where it is set: the INVITE's headers (e.g. the test"
    " profile's main_agent_variables) or the parameter that forwards it."
)
NOT_READ_FIX = "{provider}: Ringback does not read headers from there. {fix}"
NATIVE_EXPECTED_FIX = (
    "Expect the Call-ID header of the INVITE (what the simulator or the SIP client sent), or"
    " link with X-Correlation-Id / X-Result-Id."
)
REFUSED_FIX = "Send a value without line breaks, at most 1024 bytes of UTF-8."
HOP_X_CID_CARRIES_FIX = (
    "The payload's X-CID header carries the expected Call-ID already: report it as the"
    " Call-ID (RingbackPlugin(sip_correlation_id=...), RingbackObserver(sip_call_id=...));"
    " extract_correlation reads X-CID only when a payload has no Call-ID of its own."
)
HOP_X_CID_DIFFERS_FIX = (
    "An X-CID header is forwarded, but it does not hold the expected Call-ID either: it was"
    " set after the Call-ID had been regenerated. Set X-CID at the first hop, from the"
    " Call-ID of the INVITE as it arrived there, and forward X-Result-Id / X-Correlation-Id:"
    " they link the call whatever its Call-ID."
)
RESULT_ID_FIX = (
    "Send the result id the simulator puts on the INVITE unchanged as X-Result-Id /"
    f" X-Correlation-Id ({RESULT_ID_SHAPE}, e.g. uuid4().hex): the collector links only ids of"
    " that shape. If a hop or a forwarder rewrote the value, make it pass it unchanged."
)
WRONG_VALUE_FIX = (
    "The payload may belong to another call or run, or a hop rewrote the header; check that"
    " the expected value is the one sent on this call's INVITE."
)

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
    "result_id_invalid": "a result id that can never link",
}


def hop_fix(about: ProviderAdvice, x_cid: str | None, expected: str | None) -> str:
    """What to do about a Call-ID regenerated on the way. With an X-CID already in the
    payload, the advice is not to forward one, but to report it (or set it earlier)."""
    if x_cid is None or about.hop_anchors != HOP_SECTIONS:
        return about.hop  # no X-CID yet, or the provider's own hop advice (jambonz)
    return HOP_X_CID_CARRIES_FIX if x_cid == expected else HOP_X_CID_DIFFERS_FIX


def see(anchor: str) -> str:
    """A link to a section of the correlation guide."""
    return f"{GUIDE}#{anchor}"


def mask(value: str) -> str:
    """A secret value as ``***`` plus its length."""
    return f"*** ({len(value)} chars)"


def shown(name: str, value: str) -> str:
    """`value` as it may be printed: masked when header `name` looks like a secret."""
    return mask(value) if is_secret_name(name) else value
