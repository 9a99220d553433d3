"""Dialling through the LiveKit SIP API: the connection, the outbound trunk, one call."""

from .connection import LiveKitAccessError, LiveKitConfigError, LiveKitConnection
from .dialer import CALL_ID_ATTRIBUTE, Dialer, DialObserver, DialSettings, sip_request
from .failures import (
    DialFailure,
    SipStatusAdvice,
    advice_for_status,
    dial_failure_for,
    kind_of_sip_status,
)
from .outcome import (
    CallOutcome,
    CallPlaced,
    DialAttempt,
    FailureKind,
    OutcomeStatus,
    RunSummary,
)
from .trunks import TrunkError, TrunkManager, TrunkResolution, endpoint_key, managed_trunk

__all__ = [
    "CALL_ID_ATTRIBUTE",
    "CallOutcome",
    "CallPlaced",
    "DialAttempt",
    "DialFailure",
    "DialObserver",
    "DialSettings",
    "Dialer",
    "FailureKind",
    "LiveKitAccessError",
    "LiveKitConfigError",
    "LiveKitConnection",
    "OutcomeStatus",
    "RunSummary",
    "SipStatusAdvice",
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
