"""`Timeline`: the one builder both framework integrations feed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ringback.core import ending
from ringback.core.contract import (
    DEFAULT_LIMITS,
    CallRecord,
    CallType,
    DisconnectionReason,
    JsonValue,
    Limits,
    Role,
    json_object,
    to_jsonable,
)
from ringback.core.contract.limits import bound_object, truncate_text

from .clock import CallClock
from .latency import TurnLatency
from .usage import CostCalculator, CostInputs, ModelNames, UsageMeter

if TYPE_CHECKING:
    from ringback.core.correlation import Correlation

logger = logging.getLogger("ringback.timeline")

MAX_ERRORS = 50


@dataclass(slots=True)
class _Row:
    seq: int
    role: Role
    text: str
    start: float
    end: float | None
    metadata: dict[str, JsonValue]
    tool: dict[str, Any] | None = None
    node: dict[str, str | None] | None = None


class Timeline:
    """Collects one call's turns, tool calls, transitions, usage and errors, and builds its
    `CallRecord`.

    Every time is an offset in milliseconds on the timeline's `clock` (see `CallClock`); rows
    may be added in any order and are sorted when the call is built. Text, tool payloads and the
    number of rows are bounded by `limits`, with explicit truncation markers.
    """

    def __init__(self, *, clock: CallClock | None = None, limits: Limits = DEFAULT_LIMITS):
        self.clock = clock or CallClock()
        self.limits = limits
        self.usage = UsageMeter()
        self.models = ModelNames()
        self._rows: list[_Row] = []
        self._seq = 0
        self._open_tools: dict[str, _Row] = {}
        self._node: str | None = None
        self._errors: list[dict[str, JsonValue]] = []
        self._metadata: dict[str, JsonValue] = {}
        self._start_ms = 0.0
        self._end_ms: float | None = None
        self._dropped_rows = 0
        self._truncated_chars = 0
        self._truncated_tool_payloads = 0

    # ── call bounds ────────────────────────────────────────────────────────────
    def mark_start(self, at_ms: float) -> None:
        """Set when the call really started (default: the clock's origin)."""
        self._start_ms = at_ms

    def mark_end(self, at_ms: float | None = None) -> None:
        """Set when the call ended (default: now). The first call wins."""
        if self._end_ms is None:
            self._end_ms = self.clock.now_ms() if at_ms is None else at_ms

    @property
    def ended(self) -> bool:
        return self._end_ms is not None

    @property
    def revision(self) -> int:
        """Changes whenever a row is added (snapshots are skipped when it has not)."""
        return self._seq

    @property
    def current_node(self) -> str | None:
        return self._node

    # ── rows ───────────────────────────────────────────────────────────────────
    def add_turn(
        self,
        role: Role | str,
        text: str,
        *,
        start_ms: float,
        end_ms: float | None = None,
        latency: TurnLatency | None = None,
        interrupted: bool | None = None,
        confidence: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Add a user or agent turn."""
        role = Role(role)
        if role not in (Role.USER, Role.AGENT):
            raise ValueError(f"add_turn takes role 'user' or 'agent', not {role.value!r}")
        meta: dict[str, JsonValue] = json_object(metadata) if metadata else {}
        if latency is not None:
            meta.update(latency.as_metadata())
        if interrupted is not None:
            meta["interrupted"] = interrupted
        if confidence is not None:
            meta["transcript_confidence"] = round(min(max(confidence, 0.0), 1.0), 4)
        self._append(role, text, start_ms, end_ms, meta)

    def tool_called(self, request_id: str, name: str, params: Any = None, *, at_ms: float) -> None:
        """Add an `agent_function` row; `tool_returned` with the same id completes it."""
        if request_id in self._open_tools:
            return  # the same call seen twice (e.g. once per pipeline hop)
        row = self._append(
            Role.AGENT_FUNCTION,
            "",
            at_ms,
            None,
            {},
            tool={
                "name": name,
                "request_id": request_id,
                "params": self._bound_tool(params),
                "start_ms": at_ms,
            },
        )
        self._open_tools[request_id] = row

    def tool_returned(
        self,
        request_id: str,
        result: Any = None,
        *,
        at_ms: float,
        error: str | None = None,
        is_error: bool | None = None,
        name: str | None = None,
        params: Any = None,
    ) -> None:
        """Add the `agent_result` row of a tool call, paired with its call by `request_id`.

        A result whose call was never seen gets its call row added too, so neither is lost.
        """
        call = self._open_tools.pop(request_id, None)
        if call is None:
            if name is None:
                name = "unknown"
            self.tool_called(request_id, name, params, at_ms=at_ms)
            call = self._open_tools.pop(request_id)
        call.end = max(at_ms, call.start)
        tool = dict(call.tool or {})
        failed = bool(error) if is_error is None else is_error
        tool["result"] = self._bound_tool(result)
        tool["is_error"] = failed
        if error:
            tool["error"] = truncate_text(error, self.limits.max_text_chars)[0]
        meta: dict[str, JsonValue] = {"tool_duration_ms": round(call.end - call.start)}
        self._append(Role.AGENT_RESULT, "", call.end, call.end, meta, tool=tool)

    def transition(
        self, to: str, *, at_ms: float, from_: str | None = None, reason: str | None = None
    ) -> None:
        """Add a `node_transition` row (a flow node or agent change).

        `from_` defaults to the node of the previous transition. A transition to the current
        node is ignored.
        """
        previous = self._node if from_ is None else from_
        if to == self._node and from_ is None:
            return
        self._node = to
        self._append(
            Role.NODE_TRANSITION,
            "",
            at_ms,
            at_ms,
            {},
            node={"to": to, "from": previous, "reason": reason},
        )

    def record_error(
        self, message: str, *, at_ms: float, source: str | None = None, fatal: bool = False
    ) -> None:
        """Note an error seen during the call (kept in `general_meta_data_raw["errors"]`)."""
        if len(self._errors) >= MAX_ERRORS:
            return
        entry: dict[str, JsonValue] = {
            "at_ms": round(max(at_ms - self._start_ms, 0)),
            "message": truncate_text(message, 2_000)[0],
            "fatal": fatal,
        }
        if source:
            entry["source"] = source
        self._errors.append(entry)

    @property
    def has_fatal_error(self) -> bool:
        return any(e.get("fatal") for e in self._errors)

    def set_metadata(self, key: str, value: Any) -> None:
        """Set a free-form `general_meta_data_raw` key (converted to JSON-safe values)."""
        self._metadata[key] = to_jsonable(value)

    def _bound_tool(self, value: Any) -> dict[str, JsonValue]:
        obj, cut = bound_object(json_object(value), self.limits.max_tool_payload_bytes)
        self._truncated_tool_payloads += cut
        return obj

    def _append(
        self,
        role: Role,
        text: str,
        start: float,
        end: float | None,
        metadata: dict[str, JsonValue],
        *,
        tool: dict[str, Any] | None = None,
        node: dict[str, str | None] | None = None,
    ) -> _Row:
        text, cut = truncate_text(str(text), self.limits.max_text_chars)
        self._truncated_chars += cut
        if end is not None and end < start:
            end = start
        row = _Row(self._seq, role, text, start, end, metadata, tool, node)
        self._seq += 1
        self._rows.append(row)
        if len(self._rows) > 2 * self.limits.max_segments:
            self._rows = self._bounded_rows()
        return row

    def _bounded_rows(self) -> list[_Row]:
        """Sorted rows; past `max_segments` the middle of the call is dropped."""
        rows = sorted(self._rows, key=lambda r: (r.start, r.seq))
        limit = self.limits.max_segments
        if len(rows) <= limit:
            return rows
        head = limit // 2
        tail = limit - head
        self._dropped_rows += len(rows) - limit
        return rows[:head] + rows[-tail:]

    # ── output ─────────────────────────────────────────────────────────────────
    def build(
        self,
        *,
        call_id: str,
        call_type: CallType | str | None = None,
        disconnection_reason: DisconnectionReason | str | None = None,
        correlation: Correlation | None = None,
        recording_url: str | None = None,
        agent_version: int | None = None,
        cost_calculator: CostCalculator | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> CallRecord:
        """Build the call's `CallRecord`.

        `call_type` defaults to `phone_call` when the correlation carries a SIP Call-ID, X-
        headers or a recipient, else `web_call`; `disconnection_reason` to `error` after a fatal
        error, else `unknown` (the rules of `ringback.core.ending`). A failing
        `cost_calculator` is logged and leaves `call_cost` out; it never fails the build.
        """
        end = self._end_ms if self._end_ms is not None else self.clock.now_ms()
        start = self._start_ms
        rows = self._bounded_rows()
        self._rows = rows
        if rows:
            end = max(end, max((r.end if r.end is not None else r.start) for r in rows))
        duration_ms = round(max(end - start, 0))

        for row in self._open_tools.values():
            row.metadata["completed"] = False
        segments = [self._segment(r, start) for r in rows]

        totals = self.usage.totals()
        ai_models = self.models.ai_models()
        general: dict[str, Any] = {"ai_models": ai_models, "usage_token": totals}
        general.update(self._metadata)
        if metadata:
            general.update({k: to_jsonable(v) for k, v in metadata.items()})
        entries = self.usage.entries()
        if entries:
            general["usage"] = [e.as_dict() for e in entries]
        if any(len(n) > 1 for n in (self.models.stt, self.models.llm, self.models.tts)):
            general["models"] = {
                "stt": self.models.stt,
                "llm": self.models.llm,
                "tts": self.models.tts,
            }
        if self._errors:
            general["errors"] = self._errors
        wall_start = self.clock.to_wall(start)
        wall_end = self.clock.to_wall(start + duration_ms)
        ringback: dict[str, Any] = {
            "started_at": _iso(wall_start),
            "ended_at": _iso(wall_end),
        }
        truncation = {
            k: v
            for k, v in (
                ("segments_dropped", self._dropped_rows),
                ("text_chars_dropped", self._truncated_chars),
                ("tool_payloads_truncated", self._truncated_tool_payloads),
            )
            if v
        }
        if truncation:
            ringback["truncated"] = truncation
        general["ringback"] = ringback

        fields: dict[str, Any] = {}
        if correlation is not None:
            fields.update(correlation.call_fields())
            corr_meta = correlation.metadata()
            if corr_meta:
                general["correlation"] = corr_meta
        if call_type is None:
            call_type = ending.default_call_type(correlation)
        if disconnection_reason is None:
            disconnection_reason = ending.disconnection_reason(fatal_error=self.has_fatal_error)

        call_cost = None
        if cost_calculator is not None:
            call_cost = _safe_cost(
                cost_calculator, CostInputs(duration_ms, tuple(entries), totals, ai_models)
            )

        start_ts = int(wall_start)
        return CallRecord.model_validate(
            {
                "call_id": call_id,
                "call_type": call_type,
                "start_timestamp": start_ts,
                "end_timestamp": max(int(wall_end), start_ts),
                "duration_ms": duration_ms,
                "recording_url": recording_url,
                "transcript_with_tool_calls": segments,
                "general_meta_data_raw": general,
                "disconnection_reason": disconnection_reason,
                "call_cost": call_cost,
                "agent_version": agent_version,
                **fields,
            }
        )

    @staticmethod
    def _segment(row: _Row, start: float) -> dict[str, Any]:
        begin = round(max(row.start - start, 0))
        end = None if row.end is None else max(round(row.end - start), begin)
        seg: dict[str, Any] = {
            "role": row.role,
            "text": row.text,
            "start_ms": begin,
            "end_ms": end,
            "duration_ms": None if end is None else end - begin,
            "metadata": row.metadata,
        }
        if row.tool is not None:
            seg["tool"] = {**row.tool, "start_ms": round(max(row.tool["start_ms"] - start, 0))}
        if row.node is not None:
            seg["node"] = row.node
        return seg


def _iso(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, tz=timezone.utc).isoformat(timespec="milliseconds")


def _safe_cost(calculator: CostCalculator, inputs: CostInputs) -> float | None:
    try:
        cost = calculator(inputs)
    except Exception:
        logger.exception("ringback: the cost calculator failed; call_cost is left out")
        return None
    if cost is None:
        return None
    try:
        value = float(cost)
    except (TypeError, ValueError):
        logger.warning("ringback: the cost calculator returned %r, not a number", type(cost))
        return None
    return value if value >= 0 else None
