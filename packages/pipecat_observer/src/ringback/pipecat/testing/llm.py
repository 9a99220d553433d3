"""`ScriptedLLMService`: a Pipecat `LLMService` that plays a `ringback.core.testing.Script`."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from pipecat.frames.frames import (
    Frame,
    FunctionCallFromLLM,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
)
from pipecat.metrics.metrics import LLMTokenUsage
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings
from ringback.core.testing import Reply, Script, Usage, UsagePolicy

from .clock import ManualClock

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SettingsT = TypeVar("SettingsT", bound="DataclassInstance")


def complete_settings(settings_cls: type[SettingsT], **values: Any) -> SettingsT:
    """A Pipecat service settings object with every field given, `values` or None (Pipecat
    warns about missing ones)."""
    names = [f.name for f in dataclasses.fields(settings_cls) if f.name != "extra"]
    return settings_cls(**{name: values.get(name) for name in names})


def token_usage(usage: Usage) -> LLMTokenUsage:
    """Pipecat's form of a reply's usage (cache counts left unset when zero)."""
    return LLMTokenUsage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total,
        cache_read_input_tokens=usage.cached_tokens or None,
        cache_creation_input_tokens=usage.cache_write_tokens or None,
    )


class ScriptedLLMService(LLMService[Any]):
    """Answers each `LLMContextFrame` with the next reply of its script (the queued
    `replies`, then `respond(context)`'s; nothing once both are exhausted), the way a
    streaming LLM does: `LLMFullResponseStartFrame`, TTFB metrics `think_ms` long, the text
    chunks, usage metrics, the tool calls through Pipecat's own function calling (register
    handlers with `register_function`), `LLMFullResponseEndFrame`.

    With a `ManualClock` the think time advances it (no waiting) and metrics use its fake
    wall clock; without one the service really waits. A reply's `error` is pushed as a
    non-fatal `ErrorFrame` instead of an answer.

        llm = ScriptedLLMService(["Hi, how can I help?"], think_ms=20)
    """

    def __init__(
        self,
        replies: Iterable[Reply | str] = (),
        *,
        respond: Callable[[LLMContext], Reply | str | None] | None = None,
        usage: UsagePolicy = None,
        think_ms: float = 0.0,
        clock: ManualClock | None = None,
        model: str = "scripted-llm",
        name: str = "llm",
    ) -> None:
        super().__init__(settings=complete_settings(LLMSettings, model=model), name=name)
        self.script: Script[LLMContext] = Script(
            replies, respond=respond, usage=usage, think_ms=think_ms
        )
        self.clock = clock

    @property
    def requests(self) -> int:
        """How many `LLMContextFrame`s it was asked to answer."""
        return self.script.requests

    def can_generate_metrics(self) -> bool:
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            reply = self.script.next(frame.context)
            if reply is not None:
                await self._respond(reply, frame.context)
        else:
            await self.push_frame(frame, direction)

    async def _think(self, reply: Reply) -> None:
        think_ms = self.script.think_ms_of(reply)
        if self.clock is None:
            await self.start_ttfb_metrics()
            await asyncio.sleep(think_ms / 1000)
            await self.stop_ttfb_metrics()
            return
        await self.start_ttfb_metrics(start_time=self.clock.wall())
        self.clock.advance_ms(think_ms)
        await self.stop_ttfb_metrics(end_time=self.clock.wall())

    async def _respond(self, reply: Reply, context: LLMContext) -> None:
        await self.push_frame(LLMFullResponseStartFrame())
        await self._think(reply)
        if reply.error is not None:
            await self.push_error(reply.error)
            await self.push_frame(LLMFullResponseEndFrame())
            return
        for chunk in reply.chunks:
            await self._push_llm_text(chunk)
        if reply.hold is not None:
            await reply.hold.wait()
            for chunk in reply.more_chunks:
                await self._push_llm_text(chunk)
        usage = self.script.usage_of(reply)
        if usage is not None:
            await self.start_llm_usage_metrics(token_usage(usage))
        calls = reply.tool_calls(self.script.request_id)
        if calls:
            await self.run_function_calls(
                [
                    FunctionCallFromLLM(
                        function_name=call.name,
                        tool_call_id=call.call_id or "",
                        arguments=dict(call.arguments),
                        context=context,
                    )
                    for call in calls
                ]
            )
        await self.push_frame(LLMFullResponseEndFrame())


__all__ = ["ScriptedLLMService", "complete_settings", "token_usage"]
