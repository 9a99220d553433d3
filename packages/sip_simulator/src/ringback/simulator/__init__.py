"""Ringback's SIP simulator and collector (`ringback-sim`).

It dials an agent through the LiveKit SIP API with simulated callers, collects the calls the
agent syncs back (the Create Call API, `ringback-sim serve`), links each to its simulation
result, evaluates and reports. Every error it raises on purpose is a `RingbackError`.
"""

from ringback.core.errors import RingbackError

__all__ = ["RingbackError"]
