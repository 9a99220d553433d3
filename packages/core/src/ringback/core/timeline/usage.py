"""Usage accounting: LLM tokens, STT seconds, TTS characters, per model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ringback.core.contract import AIModels, UsageToken


class ServiceKind(str, Enum):
    LLM = "llm"
    STT = "stt"
    TTS = "tts"


@dataclass(slots=True)
class ModelUsage:
    """Usage of one model on one call.

    `input_tokens` includes cached input tokens; `cached_input_tokens` is the part of it served
    from the provider's prompt cache, reported for cost but never added again to the total.
    """

    kind: ServiceKind
    model: str = ""
    provider: str = ""
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    audio_seconds: float = 0.0
    characters: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "model": self.model}
        if self.provider:
            data["provider"] = self.provider
        if self.kind is ServiceKind.LLM:
            data |= {
                "input_tokens": self.input_tokens,
                "cached_input_tokens": self.cached_input_tokens,
                "output_tokens": self.output_tokens,
            }
        elif self.kind is ServiceKind.STT:
            data["audio_seconds"] = round(self.audio_seconds, 3)
        else:
            data["characters"] = self.characters
        if self.requests:
            data["requests"] = self.requests
        return data


_Key = tuple[ServiceKind, str, str]


@dataclass(slots=True)
class UsageMeter:
    """Accumulates usage per (kind, provider, model).

    Sources that report increments (one LLM response) call `add_*`; sources that report
    running totals (LiveKit's `session_usage_updated`) call `set_*`, which replaces that
    model's entry instead of adding to it, so nothing is counted twice.
    """

    _entries: dict[_Key, ModelUsage] = field(default_factory=dict)

    def _entry(self, kind: ServiceKind, model: str | None, provider: str | None) -> ModelUsage:
        key = (kind, provider or "", model or "")
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = ModelUsage(kind, key[2], key[1])
        return entry

    def add_llm(
        self,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_input_tokens: int = 0,
        cached_included_in_input: bool = True,
        model: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Add one LLM response's tokens.

        OpenAI-style usage counts cached tokens inside the prompt tokens
        (`cached_included_in_input=True`); Anthropic-style usage reports cache reads beside the
        input tokens (`False`), and they are then added to the input once.
        """
        entry = self._entry(ServiceKind.LLM, model, provider)
        entry.input_tokens += input_tokens + (
            0 if cached_included_in_input else cached_input_tokens
        )
        entry.cached_input_tokens += cached_input_tokens
        entry.output_tokens += output_tokens
        entry.requests += 1

    def set_llm(
        self,
        *,
        input_tokens: int,
        output_tokens: int,
        cached_input_tokens: int = 0,
        model: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Replace a model's running LLM totals (cached tokens included in `input_tokens`)."""
        entry = self._entry(ServiceKind.LLM, model, provider)
        entry.input_tokens = input_tokens
        entry.cached_input_tokens = cached_input_tokens
        entry.output_tokens = output_tokens

    def add_stt(
        self, *, audio_seconds: float, model: str | None = None, provider: str | None = None
    ) -> None:
        """Add seconds of audio transcribed (measured audio, not wall-clock time)."""
        entry = self._entry(ServiceKind.STT, model, provider)
        entry.audio_seconds += audio_seconds
        entry.requests += 1

    def set_stt(
        self, *, audio_seconds: float, model: str | None = None, provider: str | None = None
    ) -> None:
        self._entry(ServiceKind.STT, model, provider).audio_seconds = audio_seconds

    def add_tts(
        self, *, characters: int, model: str | None = None, provider: str | None = None
    ) -> None:
        """Add characters synthesised."""
        entry = self._entry(ServiceKind.TTS, model, provider)
        entry.characters += characters
        entry.requests += 1

    def set_tts(
        self, *, characters: int, model: str | None = None, provider: str | None = None
    ) -> None:
        self._entry(ServiceKind.TTS, model, provider).characters = characters

    def entries(self) -> list[ModelUsage]:
        return list(self._entries.values())

    def totals(self) -> UsageToken:
        """The call's `usage_token`: a figure is null when no service of that kind reported."""
        kinds = {e.kind for e in self._entries.values()}
        values = self._entries.values()
        return UsageToken(
            stt_duration_seconds=round(
                sum(e.audio_seconds for e in values if e.kind is ServiceKind.STT), 3
            )
            if ServiceKind.STT in kinds
            else None,
            llm_token=sum(e.total_tokens for e in values if e.kind is ServiceKind.LLM)
            if ServiceKind.LLM in kinds
            else None,
            tts_characters_count=sum(e.characters for e in values if e.kind is ServiceKind.TTS)
            if ServiceKind.TTS in kinds
            else None,
        )


@dataclass(slots=True)
class ModelNames:
    """Model names per service, in order of first use."""

    stt: list[str] = field(default_factory=list)
    llm: list[str] = field(default_factory=list)
    tts: list[str] = field(default_factory=list)

    def note(
        self, *, stt: str | None = None, llm: str | None = None, tts: str | None = None
    ) -> None:
        for names, name in ((self.stt, stt), (self.llm, llm), (self.tts, tts)):
            if name and name not in names:
                names.append(name)

    def ai_models(self) -> AIModels:
        """The first model used of each kind (the others are listed in metadata)."""
        return AIModels(
            asr_model=self.stt[0] if self.stt else "",
            llm_model=self.llm[0] if self.llm else "",
            tts_model=self.tts[0] if self.tts else "",
        )


@dataclass(frozen=True, slots=True)
class CostInputs:
    """What a cost calculator sees: the call's usage and duration."""

    duration_ms: int
    usage: tuple[ModelUsage, ...]
    totals: UsageToken
    models: AIModels


CostCalculator = Callable[[CostInputs], float | None]
"""Returns the call's cost in cents, or None when it cannot tell."""
