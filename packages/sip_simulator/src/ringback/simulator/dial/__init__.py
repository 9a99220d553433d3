"""Dialling through the LiveKit SIP API: the connection, the outbound trunk, one call, and
`SipTransport`, which dials a batch's calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .connection import (
        LiveKitAccessError,
        LiveKitConfigError,
        LiveKitConnection,
        LiveKitUnreachableError,
    )
    from .dialer import CALL_ID_ATTRIBUTE, Dialer, DialSettings, sip_request
    from .failures import (
        DialFailure,
        SipStatusAdvice,
        advice_for_status,
        dial_failure_for,
        kind_of_sip_status,
    )
    from .transport import SipTransport
    from .trunks import TrunkError, TrunkManager, TrunkResolution, endpoint_key, managed_trunk

__getattr__ = lazy_exports(
    __name__,
    {
        "LiveKitAccessError": ".connection",
        "LiveKitConfigError": ".connection",
        "LiveKitConnection": ".connection",
        "LiveKitUnreachableError": ".connection",
        "CALL_ID_ATTRIBUTE": ".dialer",
        "Dialer": ".dialer",
        "DialSettings": ".dialer",
        "sip_request": ".dialer",
        "DialFailure": ".failures",
        "SipStatusAdvice": ".failures",
        "advice_for_status": ".failures",
        "dial_failure_for": ".failures",
        "kind_of_sip_status": ".failures",
        "SipTransport": ".transport",
        "TrunkError": ".trunks",
        "TrunkManager": ".trunks",
        "TrunkResolution": ".trunks",
        "endpoint_key": ".trunks",
        "managed_trunk": ".trunks",
    },
)

__all__ = [
    "CALL_ID_ATTRIBUTE",
    "DialFailure",
    "DialSettings",
    "Dialer",
    "LiveKitAccessError",
    "LiveKitConfigError",
    "LiveKitConnection",
    "LiveKitUnreachableError",
    "SipStatusAdvice",
    "SipTransport",
    "TrunkError",
    "TrunkManager",
    "TrunkResolution",
    "advice_for_status",
    "dial_failure_for",
    "endpoint_key",
    "kind_of_sip_status",
    "managed_trunk",
    "sip_request",
]
