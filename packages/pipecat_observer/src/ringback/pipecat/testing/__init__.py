"""Test your Pipecat bot offline: a scripted LLM service and a pipeline harness.

- `ScriptedLLMService`: an `LLMService` that answers from a script of `Reply`s (text,
  `ToolCall`s run through Pipecat's function calling, `Usage`, errors) or a function of the
  `LLMContext`; use it in your own pipeline, with the offline voices
  (`ringback.pipecat.voices`) or without audio.
- `ScriptedCall`: a whole voice-bot pipeline (scripted STT, LLM, TTS and output) driven step
  by step in exact pipeline time (`ManualClock`), for your observers and processors.

Not imported by `ringback.pipecat`: import it in your tests. See docs/testing.md.
"""

from ringback.core.testing import Reply, Script, ToolCall, Usage, estimate_usage

from .call import VAD_START_SECS, VAD_STOP_SECS, ScriptedCall
from .clock import WALL_ORIGIN, ManualClock, call_clock
from .llm import ScriptedLLMService, complete_settings, token_usage
from .services import (
    CHUNK_MS,
    SAMPLE_RATE,
    STEP_TIMEOUT_S,
    Milestones,
    ScriptedOutput,
    ScriptedSTTService,
    ScriptedTTSService,
    scripted_function,
    silence,
)

__all__ = [
    "CHUNK_MS",
    "SAMPLE_RATE",
    "STEP_TIMEOUT_S",
    "VAD_START_SECS",
    "VAD_STOP_SECS",
    "WALL_ORIGIN",
    "ManualClock",
    "Milestones",
    "Reply",
    "Script",
    "ScriptedCall",
    "ScriptedLLMService",
    "ScriptedOutput",
    "ScriptedSTTService",
    "ScriptedTTSService",
    "ToolCall",
    "Usage",
    "call_clock",
    "complete_settings",
    "estimate_usage",
    "scripted_function",
    "silence",
    "token_usage",
]
