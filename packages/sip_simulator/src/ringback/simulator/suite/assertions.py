"""What a scenario asserts about the call (evaluated once the call has been synced back).

Each assertion is a one-key mapping in YAML, e.g. `- tool_called: {name: issue_refund}`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from .durations import Duration


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from exc
    return value


class ToolCalledSpec(_Spec):
    name: str
    arguments: dict[str, Any] | None = None
    """A subset the call's arguments must contain."""


class ToolNotCalledSpec(_Spec):
    name: str


class SaidSpec(_Spec):
    role: Literal["user", "agent"] = "agent"
    pattern: str
    _check = field_validator("pattern")(_regex)


class NodeReachedSpec(_Spec):
    name: str
    """A flow node or agent name."""


class LatencySpec(_Spec):
    metric: Literal[
        "e2e_latency", "llm_node_ttft", "tts_node_ttfb", "stt_node_ttfb", "heard_latency"
    ] = "e2e_latency"
    """The agent's own metrics, or `heard_latency`: measured on the simulated caller's side,
    from the end of each caller turn to the agent's next speech as the caller heard it."""
    p50_ms: float | None = Field(default=None, gt=0)
    p95_ms: float | None = Field(default=None, gt=0)
    max_ms: float | None = Field(default=None, gt=0)


class DurationSpec(_Spec):
    min: Duration | None = None
    max: Duration | None = None


class ToolCalled(_Spec):
    tool_called: ToolCalledSpec


class ToolNotCalled(_Spec):
    tool_not_called: ToolNotCalledSpec


class Said(_Spec):
    said: SaidSpec


class NeverSaid(_Spec):
    never_said: SaidSpec


class NodeReached(_Spec):
    node_reached: NodeReachedSpec


class Latency(_Spec):
    latency: LatencySpec


class CallDuration(_Spec):
    duration: DurationSpec


class HungUpBy(_Spec):
    hung_up_by: Literal["user", "agent", "either"]


class NoErrors(_Spec):
    no_errors: Literal[True]


class Linked(_Spec):
    linked: Literal[True]


_KINDS = {
    "tool_called": ToolCalled,
    "tool_not_called": ToolNotCalled,
    "said": Said,
    "never_said": NeverSaid,
    "node_reached": NodeReached,
    "latency": Latency,
    "duration": CallDuration,
    "hung_up_by": HungUpBy,
    "no_errors": NoErrors,
    "linked": Linked,
}

ASSERTION_KINDS = tuple(_KINDS)


def _kind(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in _KINDS else None
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


Assertion = Annotated[
    Annotated[ToolCalled, Tag("tool_called")]
    | Annotated[ToolNotCalled, Tag("tool_not_called")]
    | Annotated[Said, Tag("said")]
    | Annotated[NeverSaid, Tag("never_said")]
    | Annotated[NodeReached, Tag("node_reached")]
    | Annotated[Latency, Tag("latency")]
    | Annotated[CallDuration, Tag("duration")]
    | Annotated[HungUpBy, Tag("hung_up_by")]
    | Annotated[NoErrors, Tag("no_errors")]
    | Annotated[Linked, Tag("linked")],
    Discriminator(
        _kind,
        custom_error_type="unknown_assertion",
        custom_error_message=(
            "each assertion is a mapping with exactly one of: " + ", ".join(_KINDS)
        ),
    ),
]
"""One scenario assertion."""
