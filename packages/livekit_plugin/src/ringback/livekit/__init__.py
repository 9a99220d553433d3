"""Ringback for LiveKit Agents.

`RingbackPlugin(session, ctx, *, sip_correlation_id=None, ...)` records a LiveKit Agents call
(turns, latency, tool calls, agent handoffs, usage, SIP Call-ID and X- headers) and syncs it to a
Create Call API backend, durably. See the package README.
"""

from ringback.core.errors import RingbackError

from .plugin import DEFAULT_DELIVERY_DEADLINE, RingbackPlugin

__all__ = ["DEFAULT_DELIVERY_DEADLINE", "RingbackError", "RingbackPlugin"]
