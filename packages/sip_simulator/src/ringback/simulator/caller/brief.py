"""The simulated caller's brief: the dispatch metadata the dialer sends, and its persona prompt.

The planner writes the brief (`PlannedCall.caller_metadata`); the caller worker reads it back
from `ctx.job.metadata`. Testing variables are caller-only facts: they go into the prompt and
nowhere else (never a header, attribute or the agent's side of the call).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ringback.core.errors import RingbackError
from ringback.simulator.store.linking import caller_side_metadata

CALLER_CALL_ID_SUFFIX = "-caller"


class CallerBriefError(RingbackError, ValueError):
    """The job metadata is not a usable caller brief."""


class _Model(BaseModel):
    # Newer planners may add keys; an older worker ignores what it does not know.
    model_config = ConfigDict(extra="ignore", frozen=True)


class ScenarioBrief(_Model):
    id: str = Field(min_length=1)
    label: str | None = None
    instructions: str = ""
    turns: list[str] = Field(default_factory=list)
    """Scripted caller turns, said in order (one per agent reply) instead of improvising."""
    userdata: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


OFFLINE = "offline"
"""The `stt` / `tts` of Ringback's offline voices (pocketsphinx, espeak-ng)."""


class CallerModels(_Model):
    """The caller's pipeline: LiveKit Inference model strings, or `offline` for the STT and
    TTS (Ringback's offline voices)."""

    llm: str = "openai/gpt-4.1-mini"
    stt: str = "deepgram/nova-3"
    tts: str = "cartesia/sonic-2"
    language: str = "en"
    hints: list[str] = Field(default_factory=list)
    """Phrases the caller expects to hear, for the offline STT."""

    @property
    def stt_with_language(self) -> str:
        """The STT string with the language (`deepgram/nova-3:en`) unless one is given."""
        if ":" in self.stt or not self.language:
            return self.stt
        return f"{self.stt}:{self.language}"


class CallerBrief(_Model):
    """What one simulated caller needs: ids, the scenario, caller-only facts, models."""

    run_id: str = Field(min_length=1)
    scenario_id: str = Field(min_length=1)
    result_id: str = Field(min_length=1)
    suite: str | None = None
    scenario: ScenarioBrief
    testing_variables: dict[str, Any] = Field(default_factory=dict)
    caller: CallerModels = Field(default_factory=CallerModels)
    max_duration_s: float = Field(default=300.0, gt=0)

    @classmethod
    def from_metadata(cls, metadata: str | bytes | Mapping[str, Any]) -> CallerBrief:
        """Parse the dispatch metadata (JSON text or a mapping); `CallerBriefError` says
        exactly what is wrong."""
        data: Any = metadata
        if isinstance(metadata, (str, bytes)):
            if not metadata.strip():
                raise CallerBriefError(
                    "the job has no metadata; a simulated caller is dispatched by "
                    "`ringback-sim run` with its brief as the dispatch metadata"
                )
            try:
                data = json.loads(metadata)
            except json.JSONDecodeError as exc:
                raise CallerBriefError(f"the job metadata is not JSON: {exc}") from None
        if not isinstance(data, Mapping):
            raise CallerBriefError(
                f"the job metadata must be a JSON object, not {type(data).__name__}"
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
            raise CallerBriefError(f"the job metadata is not a caller brief: {problems}") from None

    @property
    def scripted(self) -> bool:
        return bool(self.scenario.turns)

    @property
    def caller_call_id(self) -> str:
        """The caller side's Create Call `call_id`: stable per result, so a re-run job is
        idempotent, and never equal to the agent side's."""
        return f"{self.result_id}{CALLER_CALL_ID_SUFFIX}"

    def recording_metadata(self) -> dict[str, Any]:
        """`general_meta_data_raw` of the caller side: the collector's caller-side marker
        with the ids, plus the scenario (no testing variables)."""
        meta = caller_side_metadata(
            result_id=self.result_id, run_id=self.run_id, scenario_id=self.scenario_id
        )
        simulation = meta["simulation"]
        if self.suite:
            simulation["suite"] = self.suite
        simulation["scripted"] = self.scripted
        return meta

    def persona(self) -> str:
        """The caller's instructions: the scenario, caller-only facts and the rules."""
        return build_persona(self)


RULES = (
    "You are the CALLER on a phone call. The other party is a company's voice assistant. "
    "You are NOT the assistant: never offer help, never answer as the assistant would, and "
    "never describe what the assistant should do.",
    "Stay in character for the whole call. Never say that you are an AI, a simulation or a test.",
    "Speak like a person on the phone: short, natural sentences, one thing at a time. "
    "Answer what you are asked; share the facts above when they are needed, not all at once.",
    "If the assistant has not said anything yet, open the call by saying why you are calling.",
    "When your goal is met, or it clearly cannot be met, say a short goodbye and then call "
    "the hang_up tool. Do not hang up before you have said goodbye.",
)


def _fact(key: str, value: Any) -> str:
    name = key.replace("_", " ").strip()
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"- {name}: {text}"


def build_persona(brief: CallerBrief) -> str:
    scenario = brief.scenario
    parts: list[str] = []
    if scenario.label:
        parts.append(f"Scenario: {scenario.label}")
    if scenario.instructions.strip():
        parts.append(f"Who you are and why you are calling:\n{scenario.instructions.strip()}")
    if brief.testing_variables:
        facts = "\n".join(_fact(k, v) for k, v in brief.testing_variables.items())
        parts.append(f"Facts about you (only you know these):\n{facts}")
    if scenario.turns:
        lines = "\n".join(f"{i}. {turn}" for i, turn in enumerate(scenario.turns, start=1))
        parts.append(f"Your scripted lines, in order:\n{lines}")
    rules = "\n".join(f"- {rule}" for rule in RULES)
    parts.append(f"Rules:\n{rules}")
    if brief.caller.language and brief.caller.language.lower() not in ("en", "en-us", "en-gb"):
        parts.append(f"Speak in this language: {brief.caller.language}.")
    return "\n\n".join(parts)


__all__ = [
    "CALLER_CALL_ID_SUFFIX",
    "OFFLINE",
    "CallerBrief",
    "CallerBriefError",
    "CallerModels",
    "ScenarioBrief",
    "build_persona",
]
