"""Ringback for Pipecat: `RingbackObserver` syncs each call's timeline to a Create Call API.

    observer = RingbackObserver(sip_call_id=call_id_from_your_transport)
    worker = PipelineWorker(pipeline, observers=[observer], params=PipelineParams(
        enable_metrics=True, enable_usage_metrics=True))

On LiveKit SIP, read the Call-ID and X- headers from the SIP participant (needs the
``livekit`` extra; imported only when used):

    observer.note_correlation(await livekit_sip_correlation(room_name, participant_id))

See the package README for telephony correlation, Pipecat Flows and delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ringback.core.errors import RingbackError

from .observer import RingbackObserver
from .telephony import correlation_from_call_data, correlation_from_payload, read_start_message

if TYPE_CHECKING:
    from .livekit import livekit_sip_correlation

_LAZY = {"livekit_sip_correlation": ".livekit"}
"""Names whose module needs an optional extra: imported on first use."""

__all__ = [
    "RingbackError",
    "RingbackObserver",
    "correlation_from_call_data",
    "correlation_from_payload",
    "livekit_sip_correlation",
    "read_start_message",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
