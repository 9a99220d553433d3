"""Ringback for LiveKit Agents.

`RingbackPlugin(session, ctx, *, sip_correlation_id=None, ...)` will turn AgentSession and
JobContext events into a `ringback.core` Timeline and deliver each call; this distribution
pins the LiveKit versions Ringback is tested with.
"""
