"""The payload shapes Ringback reads correlation from."""

from __future__ import annotations

from enum import Enum
from typing import Literal

Direction = Literal["inbound", "outbound"]


class Provider(str, Enum):
    """Where a payload comes from; one value per payload shape."""

    LIVEKIT = "livekit"
    """LiveKit SIP participant attributes."""
    TWILIO = "twilio"
    """Twilio voice webhook (form) for a call through a SIP domain."""
    TWILIO_STREAM = "twilio_stream"
    """Twilio Media Streams websocket ``start`` message."""
    TELNYX = "telnyx"
    """Telnyx Call Control webhook (``call.initiated`` and friends)."""
    TELNYX_STREAM = "telnyx_stream"
    """Telnyx media streaming websocket ``start`` message."""
    PLIVO = "plivo"
    """Plivo answer URL parameters."""
    PLIVO_STREAM = "plivo_stream"
    """Plivo audio stream websocket ``start`` message."""
    EXOTEL = "exotel"
    """Exotel Voicebot/Stream applet websocket ``start`` message."""
    JAMBONZ = "jambonz"
    """jambonz call hook (HTTP) or websocket ``session:new`` message."""
    DAILY = "daily"
    """Daily dial-in webhook body or Pipecat's dial-in settings."""
    VONAGE = "vonage"
    """Vonage answer webhook."""
    FREESWITCH = "freeswitch"
    """FreeSWITCH event-socket (ESL) event or channel variables."""
    GENERIC = "generic"
    """Anything else: renamed keys, nested header dicts, header lists."""


def parse_provider(value: Provider | str) -> Provider:
    """Return the `Provider` for an enum member or its string value (case-insensitive)."""
    if isinstance(value, Provider):
        return value
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "_")
        for provider in Provider:
            if provider.value == key:
                return provider
    valid = ", ".join(repr(p.value) for p in Provider)
    raise ValueError(f"unknown provider {value!r}; use one of {valid} (or None to auto-detect)")
