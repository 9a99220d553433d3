"""Daily dial-in: the webhook body, or Pipecat's dial-in settings (snake_case)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..builder import Builder
from ..hints import see
from ..model import NO_CALL_ID, Correlation
from ..provider import Direction, Provider
from ..values import mapping

HINT = (
    f"{NO_CALL_ID}: Daily does not document a SIP Call-ID for dial-in (callId is Daily's"
    " session id and callDomain Daily's domain, kept in native_ids). Pass the webhook's"
    " sipHeaders to the bot (Pipecat: DialinSettings.sip_headers) and link with X-Result-Id /"
    f" X-Correlation-Id; what sipHeaders contains is unverified. {see('daily')}"
)


def _settings(data: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    inner = mapping(data.get("dialin_settings"))
    return (inner, "dialin_settings.") if inner is not None else (data, "")


def matches(data: Mapping[str, Any]) -> bool:
    """True for a Daily dial-in webhook body or (wrapped) Pipecat dial-in settings."""
    settings, _ = _settings(data)
    return "callDomain" in settings or "call_domain" in settings


def extract(data: Mapping[str, Any], direction: Direction | None) -> Correlation:
    """Read ``sipHeaders`` / ``sip_headers``, ``callId``/``callDomain`` and From/To."""
    builder = Builder(Provider.DAILY)
    settings, at = _settings(data)
    for field in ("sipHeaders", "sip_headers"):
        builder.header_container(settings.get(field), f"{at}{field}")
    for key in ("callId", "call_id", "callDomain", "call_domain"):
        builder.native(key, settings.get(key))
    for key in ("From", "from"):
        builder.caller(settings.get(key), f"{at}{key}")
    for key in ("To", "to"):
        builder.recipient(settings.get(key), f"{at}{key}")
    return builder.build(HINT)
