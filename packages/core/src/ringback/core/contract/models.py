"""Pydantic models of the Create Call request (shared/reference/create-call-api.md).

Where the published clients disagree, Ringback sends one shape, documented on the field:
`call_status` is `call_ended`; `agent_version` is an int; usage keys are
`stt_duration_seconds` / `llm_token` / `tts_characters_count`; model keys are
`asr_model` / `llm_model` / `tts_model`; tool rows carry `end_ms`, `text` and `metadata` like
every other row. Absent optional fields are omitted from the JSON rather than sent as null
(except inside `usage_token`, whose keys are always present and null when unknown).
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from .enums import CallStatus, CallType, DisconnectionReason, Role
from .jsonsafe import json_object, to_jsonable

JsonObject = dict[Any, Any]
"""A JSON object. Keys and values that JSON cannot hold are converted when serialised
(`CallRecord.to_json_bytes`), so free-form data never makes a call fail; validating it costs
nothing per row, which keeps a long call cheap to build."""


def _is_none(value: object) -> bool:
    return value is None


def _omit_none(**kwargs: Any) -> Any:
    return Field(default=None, exclude_if=_is_none, **kwargs)


def _json_object_field(value: Any, handler: ValidatorFunctionWrapHandler) -> JsonObject:
    """Keep a JSON object as is; wrap anything else as `{"value": ...}` instead of failing."""
    try:
        return handler(value)  # type: ignore[no-any-return]
    except ValidationError:
        return handler(json_object(value))  # type: ignore[no-any-return]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_enum_values=True,
        ser_json_bytes="base64",  # arbitrary bytes in metadata must not break serialisation
    )


class ToolInvocation(_Model):
    """The `tool` object of an `agent_function` or `agent_result` row."""

    name: str
    request_id: str
    params: JsonObject = Field(default_factory=dict)
    """The call's arguments; always a JSON object."""
    result: JsonObject = Field(default_factory=dict)
    """The tool's result; always a JSON object (anything else is wrapped as `{"value": ...}`)."""
    is_error: bool = False
    error: str | None = _omit_none()
    start_ms: int = Field(ge=0)

    @field_validator("params", "result", mode="wrap")
    @classmethod
    def _as_object(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> JsonObject:
        return _json_object_field(value, handler)


class NodeTransition(_Model):
    """The `node` object of a `node_transition` row: a flow node or agent change."""

    to: str
    from_: str | None = Field(default=None, alias="from")
    reason: str | None = None


class Segment(_Model):
    """One row of `transcript_with_tool_calls`."""

    role: Role
    text: str = ""
    start_ms: int = Field(ge=0)
    end_ms: int | None = None
    duration_ms: int | None = _omit_none(ge=0)
    metadata: JsonObject = Field(default_factory=dict)
    tool: ToolInvocation | None = _omit_none()
    node: NodeTransition | None = _omit_none()

    @field_validator("metadata", mode="wrap")
    @classmethod
    def _jsonable_metadata(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> JsonObject:
        return _json_object_field(value, handler)

    @model_validator(mode="after")
    def _check_shape(self) -> Segment:
        if self.end_ms is not None:
            if self.end_ms < self.start_ms:
                raise ValueError(
                    f"end_ms ({self.end_ms}) is before start_ms ({self.start_ms}); "
                    "offsets are milliseconds since the call started"
                )
            if self.duration_ms is None:
                object.__setattr__(self, "duration_ms", self.end_ms - self.start_ms)
        if self.role in (Role.AGENT_FUNCTION, Role.AGENT_RESULT) and self.tool is None:
            raise ValueError(f"a {self.role} row needs a `tool` object")
        if self.role == Role.NODE_TRANSITION and self.node is None:
            raise ValueError("a node_transition row needs a `node` object")
        return self


class AIModels(_Model):
    """Model names used on the call; empty when unknown."""

    asr_model: str = ""
    llm_model: str = ""
    tts_model: str = ""


class UsageToken(_Model):
    """Usage totals; every key is always sent, null when unknown."""

    stt_duration_seconds: float | None = None
    llm_token: int | None = None
    tts_characters_count: int | None = None


class GeneralMetadata(BaseModel):
    """`general_meta_data_raw`: `ai_models` and `usage_token` always, plus free-form keys.

    Free-form values are converted to JSON-safe values on the way in, so a stray object in
    metadata can never make the upload fail.
    """

    model_config = ConfigDict(extra="allow", ser_json_bytes="base64")

    ai_models: AIModels = Field(default_factory=AIModels)
    usage_token: UsageToken = Field(default_factory=UsageToken)

    @model_validator(mode="before")
    @classmethod
    def _jsonable_extras(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = cls.model_fields
        return {k: (v if k in known else to_jsonable(v)) for k, v in data.items()}


class CallRecord(_Model):
    """The body of `POST /api/v1/public/call`: one finished call."""

    call_id: str = Field(min_length=1, max_length=256)
    """Unique per call within the agent; the idempotency key, stable across retries."""
    call_type: CallType
    start_timestamp: int = Field(ge=0)
    """Unix seconds."""
    end_timestamp: int = Field(ge=0)
    """Unix seconds."""
    duration_ms: int = Field(ge=0)
    recording_url: str | None = _omit_none()
    call_status: CallStatus = CallStatus.CALL_ENDED
    transcript_with_tool_calls: list[Segment] = Field(default_factory=list)
    general_meta_data_raw: GeneralMetadata = Field(default_factory=GeneralMetadata)
    disconnection_reason: DisconnectionReason | None = _omit_none()
    call_cost: float | None = _omit_none(ge=0)
    """Cents."""
    agent_version: int | None = _omit_none()
    sip_call_id: str | None = _omit_none()
    """The SIP Call-ID header of the INVITE that reached the agent, never a provider-native id."""
    sip_headers: dict[str, str] | None = _omit_none()
    """X- headers only."""
    recipient: str | None = _omit_none()
    recording_file_extension: str | None = _omit_none()
    recording_s3_multi_channel: bool | None = _omit_none()
    recording_s3_caller_channel: int | None = _omit_none(ge=0)

    @model_validator(mode="after")
    def _check_times(self) -> CallRecord:
        if self.end_timestamp < self.start_timestamp:
            raise ValueError(
                f"end_timestamp ({self.end_timestamp}) is before start_timestamp "
                f"({self.start_timestamp}); both are unix seconds"
            )
        return self

    def to_json_bytes(self) -> bytes:
        """The request body as UTF-8 JSON."""
        return self.model_dump_json(fallback=to_jsonable).encode()
