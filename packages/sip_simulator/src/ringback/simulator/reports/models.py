"""What reports are built from: the evaluation plus each call's synced bodies, as timelines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ringback.simulator.evaluate import body as B

"""Each format's file name inside the output folder."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallBodies(_Model):
    """The Create Call bodies synced for one result: the agent's side and the caller's."""

    agent: dict[str, Any] | None = None
    caller: dict[str, Any] | None = None


EventKind = Literal["turn", "tool", "transition"]


class TimelineEvent(_Model):
    """One row of a call's timeline (ms from the start of the call)."""

    kind: EventKind
    role: str
    """`user` / `agent` for turns, the tool or node row's role otherwise."""
    start_ms: float
    end_ms: float | None = None
    text: str = ""
    """What was said, the tool's name, or the node moved to."""
    detail: dict[str, Any] = Field(default_factory=dict)


def _ms(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _turn_latency(metadata: Any) -> dict[str, Any]:
    """A turn's own latency metrics (ms), as its integration reported them."""
    if not isinstance(metadata, Mapping):
        return {}
    return {k: v for k in B.AGENT_METRICS if (v := _ms(metadata.get(k))) is not None}


def timeline(body: Mapping[str, Any] | None) -> list[TimelineEvent]:
    """Turns, tool calls and node transitions of a call body, in time order."""
    if body is None:
        return []
    events: list[TimelineEvent] = []
    for row in body.get("transcript_with_tool_calls") or []:
        if not isinstance(row, Mapping):
            continue
        role = str(row.get("role") or "")
        start = _ms(row.get("start_ms")) or 0.0
        end = _ms(row.get("end_ms"))
        if role in ("user", "agent"):
            events.append(
                TimelineEvent(
                    kind="turn",
                    role=role,
                    start_ms=start,
                    end_ms=end,
                    text=str(row.get("text") or ""),
                    detail=_turn_latency(row.get("metadata")),
                )
            )
        elif role == "agent_function" and isinstance(row.get("tool"), Mapping):
            tool = row["tool"]
            events.append(
                TimelineEvent(
                    kind="tool",
                    role=role,
                    start_ms=_ms(tool.get("start_ms")) or start,
                    end_ms=end,
                    text=str(tool.get("name") or ""),
                    detail={
                        "request_id": str(tool.get("request_id") or ""),
                        "params": B.parse_params(tool.get("params") or {}),
                        "result": tool.get("result"),
                        "error": tool.get("error"),
                        "is_error": bool(tool.get("is_error")),
                    },
                )
            )
        elif role == "agent_result" and isinstance(row.get("tool"), Mapping):
            _attach_result(events, row["tool"], start, end)
        elif role == "node_transition" and isinstance(row.get("node"), Mapping):
            node = row["node"]
            events.append(
                TimelineEvent(
                    kind="transition",
                    role=role,
                    start_ms=start,
                    end_ms=end,
                    text=str(node.get("to") or ""),
                    detail={"from": node.get("from")},
                )
            )
    return sorted(events, key=lambda e: e.start_ms)


def _attach_result(
    events: list[TimelineEvent], tool: Mapping[str, Any], start: float, end: float | None
) -> None:
    """A tool's result row completes its call row (same request id), else stands alone."""
    request_id = str(tool.get("request_id") or "")
    for event in events:
        if event.kind == "tool" and request_id and event.detail.get("request_id") == request_id:
            event.detail["result"] = tool.get("result")
            event.detail["error"] = tool.get("error") or event.detail.get("error")
            event.detail["is_error"] = bool(tool.get("is_error")) or event.detail["is_error"]
            return
    events.append(
        TimelineEvent(
            kind="tool",
            role="agent_result",
            start_ms=_ms(tool.get("start_ms")) or start,
            end_ms=end,
            text=str(tool.get("name") or ""),
            detail={
                "result": tool.get("result"),
                "error": tool.get("error"),
                "is_error": bool(tool.get("is_error")),
            },
        )
    )
