"""Reading a canonical Create Call body (the agent's view of the call)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LATENCY_METRICS = ("e2e_latency", "llm_node_ttft", "tts_node_ttfb", "stt_node_ttfb")


@dataclass(frozen=True)
class Turn:
    role: str
    text: str
    start_ms: float


@dataclass(frozen=True)
class ToolCall:
    name: str
    params: Any
    start_ms: float
    is_error: bool = False


@dataclass(frozen=True)
class NodeVisit:
    name: str
    start_ms: float


def _segments(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    segments = body.get("transcript_with_tool_calls") or []
    return [s for s in segments if isinstance(s, Mapping)]


def _ms(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def turns(body: Mapping[str, Any], role: str | None = None) -> list[Turn]:
    """Spoken turns (`user` / `agent`), optionally of one role, in call order."""
    return [
        Turn(s["role"], str(s.get("text") or ""), _ms(s.get("start_ms")))
        for s in _segments(body)
        if s.get("role") in ("user", "agent") and (role is None or s.get("role") == role)
    ]


def parse_params(value: Any) -> Any:
    """Tool arguments as an object: a JSON string is parsed, and so is an object that only
    wraps one (`{"value": "{...}"}`, `{"raw": "{...}"}`)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, inner),) = value.items()
        if key in ("value", "raw", "arguments") and isinstance(inner, str):
            parsed = parse_params(inner)
            if isinstance(parsed, Mapping):
                return parsed
    return value


def tool_calls(body: Mapping[str, Any]) -> list[ToolCall]:
    """Each tool call once: its `agent_function` row, or its `agent_result` row when the call
    row is missing."""
    calls: list[ToolCall] = []
    seen: set[str] = set()
    for role in ("agent_function", "agent_result"):
        for s in _segments(body):
            tool = s.get("tool")
            if s.get("role") != role or not isinstance(tool, Mapping):
                continue
            request_id = str(tool.get("request_id") or "")
            if role == "agent_result" and request_id and request_id in seen:
                continue
            seen.add(request_id)
            calls.append(
                ToolCall(
                    name=str(tool.get("name") or ""),
                    params=parse_params(tool.get("params") or {}),
                    start_ms=_ms(tool.get("start_ms", s.get("start_ms"))),
                    is_error=bool(tool.get("is_error")),
                )
            )
    return sorted(calls, key=lambda c: c.start_ms)


def nodes(body: Mapping[str, Any]) -> list[NodeVisit]:
    """Every node or agent the call moved to, in order."""
    visits = []
    for s in _segments(body):
        node = s.get("node")
        if s.get("role") == "node_transition" and isinstance(node, Mapping) and node.get("to"):
            visits.append(NodeVisit(str(node["to"]), _ms(s.get("start_ms"))))
    return visits


def latency_samples(body: Mapping[str, Any]) -> dict[str, list[float]]:
    """Per metric, the value reported by every agent turn that has it (ms)."""
    samples: dict[str, list[float]] = {}
    for s in _segments(body):
        metadata = s.get("metadata")
        if s.get("role") != "agent" or not isinstance(metadata, Mapping):
            continue
        for metric in LATENCY_METRICS:
            value = metadata.get(metric)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                samples.setdefault(metric, []).append(float(value))
    return samples


def general(body: Mapping[str, Any]) -> Mapping[str, Any]:
    value = body.get("general_meta_data_raw")
    return value if isinstance(value, Mapping) else {}


def errors(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = general(body).get("errors") or []
    return [e if isinstance(e, Mapping) else {"message": str(e)} for e in value]


def percentile(values: list[float], q: float) -> float:
    """The q-th quantile (0..1) with linear interpolation between closest ranks."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def seconds(ms: float) -> str:
    """`12.4 s`."""
    return f"{ms / 1000:.1f} s"


def millis(ms: float) -> str:
    """`1,830 ms`."""
    return f"{round(ms):,} ms"
