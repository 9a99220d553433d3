"""The simulated caller's STT, TTS and VAD from its brief: LiveKit Inference model strings
as they are, or `offline` for Ringback's offline voices (pocketsphinx, espeak-ng, with
Silero VAD to cut the agent's speech into turns)."""

from __future__ import annotations

import functools
from typing import Any

from livekit.agents.stt import STT
from livekit.agents.tts import TTS
from livekit.agents.vad import VAD

from ringback.livekit.voices import OFFLINE_TURN_HANDLING, OfflineSTT, OfflineTTS, silero_vad

from .brief import OFFLINE, CallerModels


@functools.cache
def shared_vad() -> VAD:
    """One Silero VAD per process: every call's session streams through it (each stream
    keeps its own state), so its model is loaded once."""
    return silero_vad()


def caller_voices(
    models: CallerModels, *, stt: STT[Any] | str | None = None, tts: TTS[Any] | str | None = None
) -> dict[str, Any]:
    """`AgentSession` keywords: `stt` and `tts` (the given ones, else the brief's), and, when
    the STT cannot stream, a shared Silero `vad` that also finds the turns (no network)."""
    if stt is None and models.stt == OFFLINE:
        stt = OfflineSTT(hints=models.hints)
    if tts is None and models.tts == OFFLINE:
        tts = OfflineTTS()
    voices: dict[str, Any] = {
        "stt": models.stt_with_language if stt is None else stt,
        "tts": models.tts if tts is None else tts,
    }
    if isinstance(voices["stt"], STT) and not voices["stt"].capabilities.streaming:
        voices["vad"] = shared_vad()
        voices["turn_handling"] = OFFLINE_TURN_HANDLING
    return voices


__all__ = ["caller_voices", "shared_vad"]
