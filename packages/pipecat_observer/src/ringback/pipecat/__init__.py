"""Ringback for Pipecat: `RingbackObserver` syncs each call's timeline to a Create Call API.

    observer = RingbackObserver(sip_call_id=call_id_from_your_transport)
    worker = PipelineWorker(pipeline, observers=[observer], params=PipelineParams(
        enable_metrics=True, enable_usage_metrics=True))

See the package README for telephony correlation, Pipecat Flows and delivery.
"""

from .observer import RingbackObserver
from .telephony import correlation_from_call_data, correlation_from_payload, read_start_message

__all__ = [
    "RingbackObserver",
    "correlation_from_call_data",
    "correlation_from_payload",
    "read_start_message",
]
