"""The suite file: who to call, how to place the calls, and the scenarios to play."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from .assertions import Assertion
from .choices import Transport
from .durations import Duration

_SIP_URI = re.compile(r"^sips?:(?:[^@\s]+@)?(?P<host>[A-Za-z0-9.\-\[\]:]+?)(?::(?P<port>\d+))?$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SCENARIO_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MediaEncryption(str, Enum):
    DISABLE = "disable"
    ALLOW = "allow"
    REQUIRE = "require"


class AgentEndpoint(_Model):
    """The agent under test: a SIP URI (with optional digest auth), or a phone number reached
    through an existing LiveKit outbound trunk."""

    sip_uri: str | None = None
    """`sip:agent@pbx.example.com:5060`; Ringback keeps one outbound trunk per endpoint."""
    transport: Transport | None = None
    """udp, tcp or tls; LiveKit chooses when not set."""
    media_encryption: MediaEncryption = MediaEncryption.DISABLE
    username: str | None = None
    password: SecretStr | None = None
    phone_number: str | None = None
    """E.164 number to dial through `trunk_id`."""
    trunk_id: str | None = None
    """An existing outbound trunk to use instead of Ringback's managed one."""
    caller_number: str | None = None
    """The number the call comes from (`sip_number`)."""

    @field_validator("sip_uri")
    @classmethod
    def _check_uri(cls, value: str | None) -> str | None:
        if value is not None and not _SIP_URI.match(value.strip()):
            raise ValueError(
                f"{value!r} is not a SIP URI; write e.g. sip:agent@pbx.example.com:5060"
            )
        return value.strip() if value else value

    @field_validator("phone_number")
    @classmethod
    def _check_number(cls, value: str | None) -> str | None:
        if value is not None and not _E164.match(value):
            raise ValueError(f"{value!r} is not an E.164 number; write e.g. +15105550100")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> AgentEndpoint:
        if (self.sip_uri is None) == (self.phone_number is None):
            raise ValueError("give exactly one of `sip_uri` or `phone_number`")
        if self.phone_number is not None and self.trunk_id is None:
            raise ValueError("`phone_number` needs the `trunk_id` of an outbound trunk to dial it")
        if (self.username is None) != (self.password is None):
            raise ValueError("digest auth needs both `username` and `password`")
        return self

    @property
    def host(self) -> str | None:
        match = _SIP_URI.match(self.sip_uri or "")
        return match["host"] if match else None

    @property
    def dial_target(self) -> str:
        """What goes into `sip_call_to`: the number, or the URI's user part."""
        if self.phone_number:
            return self.phone_number
        assert self.sip_uri is not None
        rest = self.sip_uri.split(":", 1)[1]
        return rest.split("@", 1)[0] if "@" in rest else ""


class LiveKitSettings(_Model):
    """How Ringback uses LiveKit (the connection itself comes from `LIVEKIT_URL`,
    `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET`)."""

    caller_agent_name: str = "ringback-caller"
    """The `agent_name` the simulated-caller worker registers (`ringback-sim worker`)."""
    room_prefix: str = Field(default="ringback-", pattern=r"^[A-Za-z0-9_-]{0,32}$")


class CallerSettings(_Model):
    """The simulated caller's models: LiveKit Inference model strings, or `offline` for the
    STT and TTS: Ringback's offline voices (pocketsphinx and espeak-ng, no account)."""

    llm: str = "openai/gpt-4.1-mini"
    """Unused for scenarios with scripted `turns`."""
    stt: str = "deepgram/nova-3"
    tts: str = "cartesia/sonic-2"
    language: str = "en"
    hints: list[str] = Field(default_factory=list)
    """With `stt: offline`: phrases the caller expects to hear (the agent's lines); the
    offline recognizer is far more accurate on them."""


class JudgeSettings(_Model):
    """The LLM that judges each scenario's `agent_expectations`."""

    llm: str = Field(min_length=1)
    """A LiveKit Inference model (`openai/gpt-4.1-mini`, needs `LIVEKIT_API_KEY` and
    `LIVEKIT_API_SECRET`), or `module:attr` naming any livekit-agents LLM class or a function
    returning one (`livekit.plugins.openai:LLM`)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for it, e.g. `{model: gpt-4.1-mini, temperature: 0}`; write secrets
    as `${ENV_VAR}`."""


class DialRetry(_Model):
    attempts: int = Field(default=2, ge=1, le=10)
    """Dial attempts per call, the first included."""
    backoff: Duration = timedelta(seconds=5)
    on: list[str] = Field(default_factory=lambda: ["busy", "timeout", "unavailable"])
    """Which failures to retry: busy (486/600), timeout (408/480/487), unavailable (503),
    server_error (5xx)."""

    @field_validator("on")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        known = {"busy", "timeout", "unavailable", "server_error"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown failure kind {unknown}; use {sorted(known)}")
        return value


class RunSettings(_Model):
    repeat: int = Field(default=1, ge=1, le=1000)
    """Calls per scenario."""
    concurrency: int = Field(default=5, ge=1, le=1000)
    """Calls in progress at once."""
    calls_per_second: float = Field(default=1.0, gt=0, le=100)
    """Dialling rate limit."""
    ringing_timeout: Duration = timedelta(seconds=30)
    max_call_duration: Duration = timedelta(minutes=5)
    fail_under: float | None = Field(default=None, ge=0, le=1)
    """The pass rate the run must reach (0 to 1); without it, every call must pass."""
    link_timeout: Duration = timedelta(seconds=30)
    """After the last SIP call ends, how long to wait for the agent to sync the answered
    calls back before evaluating (the wait ends as soon as every one is linked)."""
    dial_retry: DialRetry = Field(default_factory=DialRetry)


class ProfileInformation(_Model):
    main_agent_variables: dict[
        str, Annotated[str, WithJsonSchema({"type": ["string", "number", "boolean"]})]
    ] = Field(default_factory=dict)
    """Keys starting with `X-` become SIP INVITE headers to the agent; others are ignored
    with a warning."""
    testing_agent_variables: dict[str, Any] = Field(default_factory=dict)
    """Given to the simulated caller only; never sent on the wire."""

    @field_validator("main_agent_variables", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v if isinstance(v, str) else _yaml_scalar(v) for k, v in value.items()}
        return value


def _yaml_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value  # anything else fails validation with a clear type error


class TestProfile(_Model):
    information: ProfileInformation = Field(default_factory=ProfileInformation)

    @property
    def invite_headers(self) -> dict[str, str]:
        return {
            k: v
            for k, v in self.information.main_agent_variables.items()
            if k.lower().startswith("x-")
        }


class Scenario(_Model):
    id: str
    """Letters, digits, `-` and `_` (1-64); sent as `X-Scenario-Id`."""
    label: str | None = None
    profile: str | None = None
    instructions: str = ""
    """What the simulated caller is told to do."""
    agent_expectations: str | None = None
    """What the agent should do; judged by an LLM when the suite configures one."""
    tags: list[str] = Field(default_factory=list)
    userdata: dict[str, Any] = Field(default_factory=dict)
    turns: list[str] = Field(default_factory=list)
    """Scripted caller turns, said in order instead of improvising."""
    max_duration: Duration | None = None
    assertions: list[Assertion] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not re.match(SCENARIO_ID, value):
            raise ValueError(
                f"scenario id {value!r} must be 1-64 letters, digits, '-' or '_', starting with "
                "a letter or digit (it is sent as the X-Scenario-Id header)"
            )
        return value

    @model_validator(mode="after")
    def _has_a_script(self) -> Scenario:
        if not self.instructions.strip() and not self.turns:
            raise ValueError("a scenario needs `instructions` for the caller, or scripted `turns`")
        return self


class Suite(_Model):
    """A suite file."""

    name: str = Field(min_length=1)
    agent: AgentEndpoint
    livekit: LiveKitSettings = Field(default_factory=LiveKitSettings)
    caller: CallerSettings = Field(default_factory=CallerSettings)
    run: RunSettings = Field(default_factory=RunSettings)
    judge: JudgeSettings | None = None
    """Judges `agent_expectations`; without it they are reported as skipped."""
    test_profiles: dict[str, TestProfile] = Field(default_factory=dict)
    scenarios: list[Scenario] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Suite:
        problems = self.consistency_problems()
        collected = (info.context or {}).get("problems")
        if isinstance(collected, list):  # the loader reports them with their lines
            collected.extend(problems)
        elif problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self

    def consistency_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Problems across fields: duplicate scenario ids, profiles that do not exist."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: set[str] = set()
        for i, scenario in enumerate(self.scenarios):
            if scenario.id in seen:
                problems.append(
                    (
                        ("scenarios", i, "id"),
                        f"scenario id {scenario.id!r} is used twice; ids must be unique",
                    )
                )
            seen.add(scenario.id)
            if scenario.profile is not None and scenario.profile not in self.test_profiles:
                defined = ", ".join(sorted(self.test_profiles)) or "none"
                problems.append(
                    (
                        ("scenarios", i, "profile"),
                        f"profile {scenario.profile!r} is not under test_profiles "
                        f"(defined: {defined})",
                    )
                )
        return problems

    def profile_of(self, scenario: Scenario) -> TestProfile:
        if scenario.profile is None:
            return TestProfile()
        return self.test_profiles[scenario.profile]

    def ignored_variables(self) -> list[tuple[str, str]]:
        """(profile, key) of `main_agent_variables` that are not X- headers and so not sent."""
        return [
            (name, key)
            for name, profile in self.test_profiles.items()
            for key in profile.information.main_agent_variables
            if not key.lower().startswith("x-")
        ]
