"""Test your LiveKit agent offline: a scripted LLM and a stand-in for LiveKit's server API.

- `ScriptedLLM`: an `llm.LLM` that answers from a script of `Reply`s (text, `ToolCall`s,
  `Usage`, errors) or a function of the chat context, for an `AgentSession` in text mode or
  with the offline voices (`ringback.livekit.voices`).
- `LiveKitStandIn`: LiveKit's room, SIP and agent-dispatch API on 127.0.0.1, for the real
  `livekit.api.LiveKitAPI` client; `DialScript` decides how each dial rings, fails or answers.

Not imported by `ringback.livekit`: import it in your tests. See docs/testing.md.
"""

from ringback.core.testing import Reply, Script, ToolCall, Usage, estimate_usage

from .llm import DEFAULT_USAGE, ScriptedLLM
from .server import (
    API_KEY,
    API_SECRET,
    SIP_HOST,
    DialScript,
    LiveKitStandIn,
    ParticipantState,
    Recorded,
    RoomState,
)

__all__ = [
    "API_KEY",
    "API_SECRET",
    "DEFAULT_USAGE",
    "SIP_HOST",
    "DialScript",
    "LiveKitStandIn",
    "ParticipantState",
    "Recorded",
    "Reply",
    "RoomState",
    "Script",
    "ScriptedLLM",
    "ToolCall",
    "Usage",
    "estimate_usage",
]
