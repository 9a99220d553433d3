"""Reading a canonical Create Call body (the agent's view of the call)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HEARD_LATENCY = "heard_latency"
"""Measured on the simulated caller's side: from the end of each caller turn to the start of
the agent's next speech as the caller heard it (ms). What a person on the phone waits."""
AGENT_METRICS = ("e2e_latency", "llm_node_ttft", "tts_node_ttfb", "stt_node_ttfb")
"""Reported by the agent's own integration on its turns."""
LATENCY_METRICS = (*AGENT_METRICS, HEARD_LATENCY)


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
        for metric in AGENT_METRICS:
            value = metadata.get(metric)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                samples.setdefault(metric, []).append(float(value))
    return samples


def heard_latency_samples(caller: Mapping[str, Any]) -> list[float]:
    """`heard_latency` of every caller turn the agent answered, from the caller's recording
    (where the caller's own lines are `agent` turns and the agent's are `user` turns)."""
    samples: list[float] = []
    caller_done: float | None = None
    for s in _segments(caller):
        role, start, end = s.get("role"), s.get("start_ms"), s.get("end_ms")
        if role == "agent":
            caller_done = float(end) if isinstance(end, (int, float)) else None
        elif role == "user" and caller_done is not None:
            if isinstance(start, (int, float)) and start >= caller_done:
                samples.append(float(start) - caller_done)
            caller_done = None
    return samples


def call_latency_samples(
    agent: Mapping[str, Any] | None, caller: Mapping[str, Any] | None
) -> dict[str, list[float]]:
    """Every latency sample of one call: the agent side's metrics and the caller side's
    `heard_latency`."""
    samples = latency_samples(agent) if agent is not None else {}
    heard = heard_latency_samples(caller) if caller is not None else []
    if heard:
        samples[HEARD_LATENCY] = heard
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
