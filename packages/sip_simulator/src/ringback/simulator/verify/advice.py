"""What to change, provider by provider, so the Call-ID and X- headers reach the synced call
(the settings docs/correlation.md describes)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import doc


@dataclass(frozen=True)
class ProviderAdvice:
    """How one platform hands the Call-ID and the X- headers to the agent."""

    name: str
    anchor: str
    call_id: str
    """How to get the dialled Call-ID onto the synced call."""
    headers: str
    """How to get the X- headers onto the synced call."""

    @property
    def docs(self) -> list[str]:
        return [doc(self.anchor)]


GENERIC = ProviderAdvice(
    "your integration",
    "generic-payloads",
    "Hand the Call-ID the agent received to Ringback: RingbackPlugin(session, ctx) reads it "
    "from the LiveKit SIP participant; with Pipecat pass RingbackObserver(sip_call_id=...); "
    "elsewhere forward it as SipCallId (or an X-CID header) and let extract_correlation read "
    "the payload.",
    "Forward the INVITE's X- headers to the agent and hand them to Ringback: RingbackPlugin "
    "reads the sip.h.x-* participant attributes; with Pipecat pass "
    "RingbackObserver(sip_headers=...), or extract_correlation(payload) on the raw webhook or "
    "start message.",
)

_BY_PROVIDER: dict[str, ProviderAdvice] = {
    "livekit": ProviderAdvice(
        "LiveKit SIP",
        "livekit",
        "Read the participant attribute sip.callIDFull (RingbackPlugin(session, ctx) does), "
        "never sip.callID (LiveKit's SCL_ id). If it is missing, upgrade LiveKit SIP or set "
        "include_headers: SIP_ALL_HEADERS on the inbound trunk so sip.h.call-id arrives; "
        "attributes can land after the participant joins, so read them again on "
        "participant_attributes_changed.",
        "Set include_headers: SIP_X_HEADERS (or SIP_ALL_HEADERS) on the agent's inbound trunk "
        "(lk sip inbound update) so the X- headers arrive as sip.h.x-* participant attributes; "
        "headers_to_attributes renames them to attributes Ringback does not read. Known "
        "upstream issue: livekit/sip#358.",
    ),
    "twilio": ProviderAdvice(
        "Twilio",
        "twilio-voice-webhook",
        "Route the call through a Twilio SIP domain: only then does the voice webhook carry "
        "SipCallId (CallSid is Twilio's own id).",
        "Read the SipHeader_X-* parameters of the voice webhook; Twilio sends them only for "
        "calls through a SIP domain.",
    ),
    "twilio_stream": ProviderAdvice(
        "Twilio Media Streams",
        "twilio-media-streams",
        'Add <Parameter name="SipCallId" value="{{SipCallId}}"/> inside <Stream>; the start '
        "message carries only what the TwiML passes.",
        "Add one <Parameter> per X- header inside <Stream> (e.g. "
        'name="X-Result-Id" value="{{SipHeader_X-Result-Id}}"), filled from the voice webhook.',
    ),
    "telnyx": ProviderAdvice(
        "Telnyx",
        "telnyx",
        "Telnyx does not hand the SIP Call-ID over; link by the X-Result-Id / "
        "X-Correlation-Id headers instead.",
        "Read data.payload.custom_headers of call.initiated; for media streams pass X-Result-Id "
        "and X-Correlation-Id as custom parameters when starting the stream (Pipecat's "
        "parse_telephony_websocket drops them: read the raw start message).",
    ),
    "plivo": ProviderAdvice(
        "Plivo",
        "plivo",
        "Plivo cannot carry a raw Call-ID (letters and digits only); link by the alphanumeric "
        "X-Correlation-Id instead.",
        'Read the X-PH-* answer URL parameters; on streams pass extraHeaders="XCorrelationId='
        '...,XResultId=..." (Pipecat drops extra_headers: read the raw start message).',
    ),
    "exotel": ProviderAdvice(
        "Exotel",
        "exotel",
        "Exotel does not pass the SIP Call-ID; link by X-Result-Id / X-Correlation-Id.",
        "Add the values as query parameters on the Voicebot applet URL "
        "(?XResultId=...&XRunId=..., at most 3); they arrive in start.custom_parameters.",
    ),
    "jambonz": ProviderAdvice(
        "jambonz",
        "jambonz",
        "Use sbc_callid (or the X-CID header the SBC adds): the original Call-ID; call_id and "
        "call_sid belong to jambonz's own leg.",
        "Use a POST or websocket call hook: GET hooks carry no SIP headers.",
    ),
    "daily": ProviderAdvice(
        "Daily",
        "daily",
        "Daily does not document a SIP Call-ID for dial-in; link by X-Result-Id / "
        "X-Correlation-Id.",
        "Pass the dial-in webhook's sipHeaders to the bot (Pipecat: "
        "DailyDialinSettings.sip_headers).",
    ),
    "vonage": ProviderAdvice(
        "Vonage",
        "vonage",
        "Vonage does not pass the SIP Call-ID; link by X-Result-Id / X-Correlation-Id.",
        "Read the SipHeader_X-* parameters of the answer webhook.",
    ),
    "freeswitch": ProviderAdvice(
        "FreeSWITCH",
        "freeswitch",
        "Read variable_sip_call_id from a sofia channel event (CHANNEL_PARK / CHANNEL_ANSWER), "
        "not Unique-ID (FreeSWITCH's channel uuid).",
        "Read the sip_h_X-* channel variables, and set them again before a bridge so they reach "
        "the next leg.",
    ),
}
_ALIASES = {"telnyx_stream": "telnyx", "plivo_stream": "plivo", "generic": ""}


def advice_for(provider: str | None) -> ProviderAdvice:
    """The advice for a provider (`Provider` value or a family name); generic when unknown."""
    if not provider:
        return GENERIC
    key = _ALIASES.get(provider, provider)
    return _BY_PROVIDER.get(key, GENERIC)


def hop_fix(provider: str | None) -> tuple[str, list[str]]:
    """What to do when the Call-ID was regenerated on the way (a new SIP dialog)."""
    if provider == "jambonz":
        return (
            "jambonz answers on its own leg: use sbc_callid (the Call-ID as it reached the SBC) "
            "or the X-CID header, not call_id.",
            [doc("jambonz")],
        )
    if provider == "livekit":
        lead = "A PBX or SBC between LiveKit and the agent's LiveKit SIP starts a new SIP dialog. "
    else:
        lead = (
            "Something between LiveKit and the agent (a PBX, an SBC, a provider leg) starts a "
            "new SIP dialog with a new Call-ID. "
        )
    return (
        lead + "Forward the original Call-ID onto the next leg as an X-CID header (FreeSWITCH: "
        "sip_h_X-CID=${sip_call_id} before the bridge; Asterisk: a pre-dial handler setting "
        "PJSIP_HEADER(add,X-CID)) and report it as the Call-ID "
        "(RingbackPlugin(sip_correlation_id=...), RingbackObserver(sip_call_id=...); "
        "extract_correlation uses X-CID by itself when a payload has no Call-ID). Forward "
        "X-Result-Id / X-Correlation-Id too: they link the call whatever its Call-ID.",
        [doc("freeswitch"), doc("asterisk-pjsip")],
    )


__all__ = ["GENERIC", "ProviderAdvice", "advice_for", "hop_fix"]
