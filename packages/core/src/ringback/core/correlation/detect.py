"""Guessing a payload's provider from its shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .provider import Provider
from .providers import daily, exotel, freeswitch, jambonz, livekit, plivo, telnyx, twilio, vonage

# Order matters: websocket start messages are told apart by the keys inside "start" before
# the flat webhook shapes, whose keys are less distinctive.
RULES: tuple[tuple[Provider, Callable[[Mapping[str, Any]], bool]], ...] = (
    (Provider.LIVEKIT, livekit.matches),
    (Provider.TWILIO_STREAM, twilio.matches_stream),
    (Provider.TELNYX_STREAM, telnyx.matches_stream),
    (Provider.PLIVO_STREAM, plivo.matches_stream),
    (Provider.EXOTEL, exotel.matches),
    (Provider.TELNYX, telnyx.matches_webhook),
    (Provider.JAMBONZ, jambonz.matches),
    (Provider.TWILIO, twilio.matches_webhook),
    (Provider.PLIVO, plivo.matches_answer),
    (Provider.VONAGE, vonage.matches),
    (Provider.DAILY, daily.matches),
    (Provider.FREESWITCH, freeswitch.matches),
)
"""Detection order; the first rule that matches wins, else `Provider.GENERIC`."""


def detect_provider(data: Mapping[str, Any]) -> Provider:
    """Return the provider whose payload shape `data` has (`Provider.GENERIC` if none)."""
    for provider, matches in RULES:
        if matches(data):
            return provider
    return Provider.GENERIC
