"""Ringback for Pipecat.

`RingbackObserver(*, sip_call_id=None, ...)` will turn pipeline frames into a `ringback.core`
Timeline and deliver each call; this distribution pins the Pipecat version Ringback is tested
with.
"""
