"""`session_usage_updated` (running totals per model) -> the Timeline's usage and model names."""

from __future__ import annotations

from livekit.agents.metrics import AgentSessionUsage, LLMModelUsage, STTModelUsage, TTSModelUsage
from ringback.core.timeline import Timeline


def _name(model: str) -> str | None:
    return model if model and model != "unknown" else None


def apply_usage(timeline: Timeline, usage: AgentSessionUsage) -> None:
    """Replace each model's totals with LiveKit's running ones (so nothing counts twice).

    LiveKit's `input_tokens` already include cached ones (`input_cached_tokens`), and
    reasoning tokens are inside `output_tokens`. Realtime models report as LLMs.
    """
    meter, models = timeline.usage, timeline.models
    for entry in usage.model_usage:
        if isinstance(entry, LLMModelUsage):
            meter.set_llm(
                input_tokens=entry.input_tokens,
                output_tokens=entry.output_tokens,
                cached_input_tokens=entry.input_cached_tokens,
                model=entry.model,
                provider=entry.provider,
            )
            models.note(llm=_name(entry.model))
        elif isinstance(entry, STTModelUsage):
            meter.set_stt(
                audio_seconds=entry.audio_duration, model=entry.model, provider=entry.provider
            )
            models.note(stt=_name(entry.model))
        elif isinstance(entry, TTSModelUsage):
            meter.set_tts(
                characters=entry.characters_count, model=entry.model, provider=entry.provider
            )
            models.note(tts=_name(entry.model))
