"""Per-turn latency metadata (milliseconds unless noted)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TurnLatency(BaseModel):
    """Latency figures of one turn, as the Create Call API's known `metadata` keys.

    Values are milliseconds; frameworks that report seconds convert with `from_seconds`.
    """

    model_config = ConfigDict(extra="forbid")

    e2e_latency: float | None = Field(default=None, ge=0)
    """End of the user's speech to the start of the agent's audio."""
    llm_node_ttft: float | None = Field(default=None, ge=0)
    tts_node_ttfb: float | None = Field(default=None, ge=0)
    stt_node_ttfb: float | None = Field(default=None, ge=0)
    eou_delay: float | None = Field(default=None, ge=0)
    """End-of-utterance detection delay."""

    @classmethod
    def from_seconds(cls, **seconds: float | None) -> TurnLatency:
        """Build from values in seconds (LiveKit's `ChatMessage.metrics` unit)."""
        return cls(**{k: None if v is None else v * 1000.0 for k, v in seconds.items()})

    def as_metadata(self) -> dict[str, int]:
        """The non-empty values, rounded to whole milliseconds."""
        return {k: round(v) for k, v in self.__dict__.items() if v is not None}
