"""LiveKit conversation items -> Timeline rows.

Items arrive through `conversation_item_added` (messages, agent handoffs) and
`function_tools_executed` (tool calls with their outputs); at the end of the call the session's
`history` is walked once more, so items the events did not carry (a tool call cut short by the
hang-up, anything from before the plugin was attached) are not lost. Each item is recorded once,
by id.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from typing import Any

from livekit.agents import llm
from ringback.core.contract import JsonValue, json_object
from ringback.core.timeline import Timeline, TurnLatency

ROLES = {"user": "user", "assistant": "agent"}
"""LiveKit chat roles that are turns of the call (system and developer messages are not)."""

LATENCY = {
    "e2e_latency": "e2e_latency",
    "llm_node_ttft": "llm_node_ttft",
    "tts_node_ttfb": "tts_node_ttfb",
    "end_of_turn_delay": "eou_delay",
}
"""`ChatMessage.metrics` keys (seconds) -> the Create Call API's known latency keys (ms)."""

EXTRA_MS = (
    "transcription_delay",
    "on_user_turn_completed_delay",
    "playback_latency",
    "llm_node_ttfs",
)
"""Other `ChatMessage.metrics` durations, kept under their own names in milliseconds."""

_LITERAL_LIMIT = 64 * 1024


def tool_payload(text: str | None) -> dict[str, JsonValue]:
    """A tool's arguments or output as a JSON object.

    LiveKit hands both over as strings: arguments are JSON; an output is `str()` of whatever
    the tool returned, so a returned dict arrives as a Python literal (`{'a': 1}`), which is
    read back with `ast.literal_eval` (literals only, size-bounded). Anything else is kept as
    `{"value": text}`.
    """
    if not text:
        return {}
    try:
        return json_object(json.loads(text))
    except (ValueError, TypeError):
        pass
    stripped = text.strip()
    if len(stripped) <= _LITERAL_LIMIT and stripped[:1] in ("{", "["):
        try:
            return json_object(ast.literal_eval(stripped))
        except Exception:  # not a literal (or one too deep): keep the text
            pass
    return {"value": text}


def _seconds(metrics: Mapping[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def turn_latency(metrics: Mapping[str, Any]) -> TurnLatency | None:
    """The turn's latency figures from `ChatMessage.metrics`, if any."""
    found = {ours: _seconds(metrics, theirs) for theirs, ours in LATENCY.items()}
    found = {k: v for k, v in found.items() if v is not None}
    return TurnLatency.from_seconds(**found) if found else None


def extra_metadata(metrics: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in EXTRA_MS:
        value = _seconds(metrics, key)
        if value is not None:
            out[key] = round(value * 1000)
    return out


class HistoryRecorder:
    """Writes each LiveKit conversation item into a `Timeline` once."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.first_at: float | None = None
        """Unix seconds of the earliest item seen (the session was running by then)."""
        self._seen: set[str] = set()

    def _first(self, item_id: str, created_at: float) -> bool:
        if item_id in self._seen:
            return False
        self._seen.add(item_id)
        if self.first_at is None or created_at < self.first_at:
            self.first_at = created_at
        return True

    def add(self, item: Any) -> None:
        """Record any chat item (other item types are ignored)."""
        if isinstance(item, llm.ChatMessage):
            self.message(item)
        elif isinstance(item, llm.AgentHandoff):
            self.handoff(item)
        elif isinstance(item, llm.FunctionCall):
            self.tool_call(item)
        elif isinstance(item, llm.FunctionCallOutput):
            self.tool_output(item)

    def reconcile(self, items: Iterable[Any]) -> None:
        """Record what the events missed, from the session's history."""
        for item in items:
            if getattr(item, "id", None) not in self._seen:
                self.add(item)

    def message(self, msg: llm.ChatMessage) -> None:
        role = ROLES.get(msg.role)
        if role is None or not self._first(msg.id, msg.created_at):
            return
        text = (msg.text_content or "").strip()
        if not text:
            return
        metrics: Mapping[str, Any] = msg.metrics or {}
        clock = self.timeline.clock
        started = _seconds(metrics, "started_speaking_at") or msg.created_at
        stopped = _seconds(metrics, "stopped_speaking_at")
        self.timeline.add_turn(
            role,
            text,
            start_ms=clock.from_wall(started),
            end_ms=clock.from_wall(stopped) if stopped is not None and stopped >= started else None,
            latency=turn_latency(metrics),
            interrupted=msg.interrupted if role == "agent" else None,
            confidence=msg.transcript_confidence if role == "user" else None,
            metadata=extra_metadata(metrics),
        )
        for kind in ("llm", "tts", "stt"):
            meta = metrics.get(f"{kind}_metadata")
            name = meta.get("model_name") if isinstance(meta, Mapping) else None
            if isinstance(name, str) and name and name != "unknown":
                self.timeline.models.note(**{kind: name})

    def handoff(self, item: llm.AgentHandoff) -> None:
        if not self._first(item.id, item.created_at):
            return
        self.timeline.transition(
            item.new_agent_id,
            at_ms=self.timeline.clock.from_wall(item.created_at),
            from_=item.old_agent_id,
            reason="handoff" if item.old_agent_id else "start",
        )

    def tool_call(self, call: llm.FunctionCall) -> None:
        if not self._first(call.id, call.created_at):
            return
        self.timeline.tool_called(
            call.call_id,
            call.name,
            tool_payload(call.arguments),
            at_ms=self.timeline.clock.from_wall(call.created_at),
        )

    def tool_output(self, out: llm.FunctionCallOutput) -> None:
        if not self._first(out.id, out.created_at):
            return
        self.timeline.tool_returned(
            out.call_id,
            tool_payload(out.output),
            at_ms=self.timeline.clock.from_wall(out.created_at),
            is_error=out.is_error,
            error=out.output if out.is_error else None,
            name=out.name or None,
        )
