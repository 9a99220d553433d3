"""Service metrics: TTFB per turn, usage and model names, attributed by service class.

Which service reported is decided by ``isinstance`` of the processor that pushed the
`MetricsFrame` (`STTService`, `LLMService`, `TTSService`), never by its name: a name such as
``GoogleSTTService`` contains "tts". Usage kinds follow the type of the metrics data itself.
The service base classes are looked up among the modules already loaded rather than imported:
a processor can only be a service whose module its pipeline loaded, and importing them would
add half a second to `import ringback.pipecat`.
"""

from __future__ import annotations

import sys

from pipecat.frames.frames import MetricsFrame
from pipecat.metrics.metrics import (
    LLMTokenUsage,
    LLMUsageMetricsData,
    STTUsageMetricsData,
    TTFBMetricsData,
    TTSUsageMetricsData,
)
from ringback.core.timeline import ServiceKind, Timeline

from .turns import TurnTracker

_SERVICE_BASES = (
    ("pipecat.services.stt_service", "STTService", ServiceKind.STT),
    ("pipecat.services.llm_service", "LLMService", ServiceKind.LLM),
    ("pipecat.services.tts_service", "TTSService", ServiceKind.TTS),
)


def service_kind(processor: object) -> ServiceKind | None:
    """STT, LLM or TTS by class; None for any other processor."""
    for module_name, class_name, kind in _SERVICE_BASES:
        module = sys.modules.get(module_name)
        base = getattr(module, class_name, None) if module is not None else None
        if isinstance(base, type) and isinstance(processor, base):
            return kind
    return None


def provider_name(processor: object) -> str:
    """``openai`` for ``pipecat.services.openai.llm.OpenAILLMService``; else the class name."""
    cls = type(processor)
    parts = cls.__module__.split(".")
    if len(parts) > 2 and parts[0] == "pipecat" and parts[1] == "services":
        return parts[2]
    return cls.__name__


def model_name(processor: object) -> str | None:
    settings = getattr(processor, "settings", None)
    model = getattr(settings, "model", None)
    return model if isinstance(model, str) and model else None


def gross_input_tokens(tokens: LLMTokenUsage) -> int:
    """Input tokens including cached ones, whichever way the service reports them.

    OpenAI-style services count cache reads inside `prompt_tokens`; Anthropic-style ones
    report them beside it. `total_tokens` is gross either way (Pipecat's contract), so the
    input is the total less the completion, unless the total is missing or inconsistent.
    """
    prompt, completion, total = tokens.prompt_tokens, tokens.completion_tokens, tokens.total_tokens
    if total >= prompt + completion:
        return total - completion
    return prompt


class MetricsRecorder:
    """Routes `MetricsFrame` data to the timeline's usage meter and the turns' latency."""

    def __init__(self, timeline: Timeline, turns: TurnTracker) -> None:
        self._timeline = timeline
        self._turns = turns

    def processor_set_up(self, processor: object) -> None:
        """Note the model of each STT/LLM/TTS service as the pipeline sets it up."""
        kind = service_kind(processor)
        model = model_name(processor)
        if kind is not None and model:
            self._timeline.models.note(**{kind.value: model})

    def metrics(self, source: object, frame: MetricsFrame) -> None:
        kind = service_kind(source)
        provider = provider_name(source) if kind is not None else None
        for data in frame.data:
            model = data.model or model_name(source)
            if isinstance(data, TTFBMetricsData):
                if kind is not None and data.value > 0:
                    self._ttfb(kind, data.value * 1000.0)
            elif isinstance(data, LLMUsageMetricsData):
                self._llm_usage(data.value, model, provider)
            elif isinstance(data, TTSUsageMetricsData):
                self._note(ServiceKind.TTS, model)
                self._timeline.usage.add_tts(characters=data.value, model=model, provider=provider)
            elif isinstance(data, STTUsageMetricsData):
                self._note(ServiceKind.STT, model)
                self._timeline.usage.add_stt(
                    audio_seconds=data.value.audio_seconds, model=model, provider=provider
                )

    def _ttfb(self, kind: ServiceKind, ms: float) -> None:
        if kind is ServiceKind.STT:
            self._turns.stt_ttfb(ms)
        elif kind is ServiceKind.LLM:
            self._turns.llm_ttfb(ms)
        else:
            self._turns.tts_ttfb(ms)

    def _llm_usage(self, tokens: LLMTokenUsage, model: str | None, provider: str | None) -> None:
        self._note(ServiceKind.LLM, model)
        self._timeline.usage.add_llm(
            input_tokens=gross_input_tokens(tokens),
            output_tokens=tokens.completion_tokens,
            cached_input_tokens=tokens.cache_read_input_tokens or 0,
            model=model,
            provider=provider,
        )

    def _note(self, kind: ServiceKind, model: str | None) -> None:
        if model:
            self._timeline.models.note(**{kind.value: model})
