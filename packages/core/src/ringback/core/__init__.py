"""Ringback core: the call contract, the Timeline builder, correlation and durable delivery.

The names below are imported lazily, so `import ringback.core.contract` does not pull in the
HTTP client and `ringback` starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "CallRecord": "ringback.core.contract",
    "CallType": "ringback.core.contract",
    "DisconnectionReason": "ringback.core.contract",
    "Limits": "ringback.core.contract",
    "Role": "ringback.core.contract",
    "CallClock": "ringback.core.timeline",
    "CostInputs": "ringback.core.timeline",
    "Timeline": "ringback.core.timeline",
    "TurnLatency": "ringback.core.timeline",
    "Correlation": "ringback.core.correlation",
    "Provider": "ringback.core.correlation",
    "extract_correlation": "ringback.core.correlation",
    "CallOptions": "ringback.core.options",
    "IntegrationOptions": "ringback.core.options",
    "CallRecorder": "ringback.core.recorder",
    "CallEnding": "ringback.core.ending",
    "Delivery": "ringback.core.delivery",
    "SubmitResult": "ringback.core.delivery",
    "RingbackSettings": "ringback.core.settings",
    "load_settings": "ringback.core.settings",
    "Sink": "ringback.core.settings",
    "RingbackError": "ringback.core.errors",
}

__all__ = [
    "CallClock",
    "CallEnding",
    "CallOptions",
    "CallRecord",
    "CallRecorder",
    "CallType",
    "Correlation",
    "CostInputs",
    "Delivery",
    "DisconnectionReason",
    "IntegrationOptions",
    "Limits",
    "Provider",
    "RingbackError",
    "RingbackSettings",
    "Role",
    "Sink",
    "SubmitResult",
    "Timeline",
    "TurnLatency",
    "extract_correlation",
    "load_settings",
]

if TYPE_CHECKING:
    from ringback.core.contract import CallRecord, CallType, DisconnectionReason, Limits, Role
    from ringback.core.correlation import Correlation, Provider, extract_correlation
    from ringback.core.delivery import Delivery, SubmitResult
    from ringback.core.ending import CallEnding
    from ringback.core.errors import RingbackError
    from ringback.core.options import CallOptions, IntegrationOptions
    from ringback.core.recorder import CallRecorder
    from ringback.core.settings import RingbackSettings, Sink, load_settings
    from ringback.core.timeline import CallClock, CostInputs, Timeline, TurnLatency


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ringback.core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
