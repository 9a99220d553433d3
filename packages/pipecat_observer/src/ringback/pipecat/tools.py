"""Tool calls from Pipecat's function-call frames, each call recorded once.

An `LLMService` broadcasts `FunctionCallInProgressFrame`, `FunctionCallResultFrame` and
`FunctionCallCancelFrame` (one copy each way) and every processor passes them on; the observer
sees each frame's first push only, takes the downstream copy, and this tracker ignores any
repeat of a call it has already opened or settled.
"""

from __future__ import annotations

from typing import Any

from pipecat.frames.frames import (
    FunctionCallCancelFrame,
    FunctionCallInProgressFrame,
    FunctionCallResultFrame,
)
from ringback.core.contract import json_object_from_text
from ringback.core.timeline import Timeline


def _payload(value: Any) -> Any:
    """Tool arguments and results as Pipecat hands them over: usually objects, sometimes JSON
    text. Text that is a JSON object becomes that object; anything else is wrapped by the
    timeline as ``{"value": ...}``."""
    if isinstance(value, str):
        return json_object_from_text(value)
    return value


class ToolTracker:
    """Feeds `Timeline.tool_called` / `tool_returned` from function-call frames."""

    def __init__(self, timeline: Timeline) -> None:
        self._timeline = timeline
        self._opened: set[str] = set()
        self._settled: set[str] = set()
        self.last_edge: str | None = None
        """The last function whose result asked for no inference and a context callback: how
        Pipecat Flows' edge functions (the ones that change node) report."""

    def started(self, frame: FunctionCallInProgressFrame, at_ms: float) -> None:
        call_id = frame.tool_call_id
        if call_id in self._opened or call_id in self._settled:
            return
        self._opened.add(call_id)
        self._timeline.tool_called(
            call_id, frame.function_name, _payload(frame.arguments), at_ms=at_ms
        )

    def returned(self, frame: FunctionCallResultFrame, at_ms: float) -> None:
        properties = frame.properties
        if properties is not None and not properties.is_final:
            return  # an intermediate update of an async call; the final result settles it
        call_id = frame.tool_call_id
        if call_id in self._settled:
            return
        self._settled.add(call_id)
        error = frame.error or None
        self._timeline.tool_returned(
            call_id,
            _payload(frame.result),
            at_ms=at_ms,
            error=error,
            is_error=error is not None,
            name=frame.function_name,
            params=_payload(frame.arguments),
        )
        if (
            properties is not None
            and properties.on_context_updated is not None
            and properties.run_llm is False
        ):
            self.last_edge = frame.function_name

    def cancelled(self, frame: FunctionCallCancelFrame, at_ms: float) -> None:
        call_id = frame.tool_call_id
        if call_id in self._settled:
            return
        self._settled.add(call_id)
        # Only a call cancelled by its own timeout asks for inference afterwards.
        why = "cancelled: timed out" if frame.run_llm else "cancelled"
        self._timeline.tool_returned(
            call_id, None, at_ms=at_ms, error=why, is_error=True, name=frame.function_name
        )
