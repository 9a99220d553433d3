"""`extract_correlation`: one entry point for every provider's payload."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .detect import detect_provider
from .model import Correlation
from .payload import decode_payload
from .provider import Direction, Provider, parse_provider
from .providers import (
    daily,
    exotel,
    freeswitch,
    generic,
    jambonz,
    livekit,
    plivo,
    telnyx,
    twilio,
    vonage,
)

Extractor = Callable[[Mapping[str, Any], Direction | None], Correlation]

EXTRACTORS: dict[Provider, Extractor] = {
    Provider.LIVEKIT: livekit.extract,
    Provider.TWILIO: twilio.extract_webhook,
    Provider.TWILIO_STREAM: twilio.extract_stream,
    Provider.TELNYX: telnyx.extract_webhook,
    Provider.TELNYX_STREAM: telnyx.extract_stream,
    Provider.PLIVO: plivo.extract_answer,
    Provider.PLIVO_STREAM: plivo.extract_stream,
    Provider.EXOTEL: exotel.extract,
    Provider.JAMBONZ: jambonz.extract,
    Provider.DAILY: daily.extract,
    Provider.VONAGE: vonage.extract,
    Provider.FREESWITCH: freeswitch.extract,
    Provider.GENERIC: generic.extract,
}


def extract_correlation(
    payload: Mapping[str, Any] | str | bytes,
    provider: Provider | str | None = None,
    *,
    direction: Direction | None = None,
) -> Correlation:
    """Read the SIP Call-ID, X- headers and call ids from one provider payload.

    `payload` is a dict (webhook JSON, websocket start message, LiveKit participant
    attributes, Daily dial-in settings, ESL event), a JSON object as str/bytes, or a
    URL-encoded form as str/bytes. `provider` (a `Provider` or its string value) picks the
    extractor; None detects it from the payload's shape (`detect.RULES`), falling back to
    the generic reader. `direction` matters for LiveKit only: ``"outbound"`` makes
    ``sip.phoneNumber`` the recipient; the default reads it as the caller of an inbound call.

    Never raises for odd content: refused values are dropped with warnings. Raises
    `ValueError` for an unknown provider or direction, or a payload that is neither JSON nor a
    form.
    """
    if direction not in (None, "inbound", "outbound"):
        raise ValueError(f"direction must be 'inbound', 'outbound' or None, not {direction!r}")
    chosen = parse_provider(provider) if provider is not None else None
    data = decode_payload(payload)
    if chosen is None:
        chosen = detect_provider(data)
    return EXTRACTORS[chosen](data, direction)
