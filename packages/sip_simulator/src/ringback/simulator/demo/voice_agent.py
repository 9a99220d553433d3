"""The demo agent on a real call: `DemoSupport` listening and speaking through Ringback's
offline voices, recorded by `RingbackPlugin`, as a LiveKit Agents entrypoint.

Its recognizer is hinted with what the bundled suite's callers say, as a team would hint
theirs with its scenarios' lines.
"""

from __future__ import annotations

import functools

from livekit.agents import AgentSession, JobContext

from ringback.livekit import RingbackPlugin
from ringback.livekit.voices import OFFLINE_TURN_HANDLING, OfflineSTT, OfflineTTS
from ringback.simulator.caller.voices import shared_vad

from .agent import DemoSupport


@functools.cache
def caller_lines() -> tuple[str, ...]:
    """Every scripted line of the bundled suite's callers."""
    from .run import bundled_suite

    return tuple(turn for scenario in bundled_suite().scenarios for turn in scenario.turns)


async def voice_entrypoint(ctx: JobContext) -> None:
    """Answer the call: greet, help, hang up on "bye"; the call syncs through the plugin."""
    session: AgentSession[None] = AgentSession(
        stt=OfflineSTT(hints=caller_lines(), hint_weight=0.01),
        tts=OfflineTTS(),
        vad=shared_vad(),
        turn_handling=OFFLINE_TURN_HANDLING,
    )
    RingbackPlugin(session, ctx)
    await session.start(DemoSupport(), room=ctx.room)
    session.generate_reply()


__all__ = ["caller_lines", "voice_entrypoint"]
