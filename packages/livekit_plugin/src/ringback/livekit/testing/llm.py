"""`ScriptedLLM`: a LiveKit Agents `llm.LLM` that plays a `ringback.core.testing.Script`."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Iterable
from typing import Any

from livekit.agents import APIConnectOptions, APIError, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr
from ringback.core.testing import Reply, Script, ToolCall, Usage, UsagePolicy

DEFAULT_USAGE = Usage(input_tokens=10, output_tokens=5)
"""What a reply reports when neither it nor the LLM says otherwise."""

_NO_RETRY = APIConnectOptions(max_retry=0, retry_interval=0, timeout=5)


class ScriptedLLM(llm.LLM[Any]):
    """Answers each `chat()` with the next reply of its script: the queued `replies`, then
    `respond(chat_ctx)`'s, then an empty reply. Each answer streams as a real model's does
    (text chunks, tool calls, then token usage), `think_ms` after the request; with
    `tool_choice="none"` its tool calls are left out, as a real model would.

        session = AgentSession(llm=ScriptedLLM(["Hi, how can I help?"]))
    """

    def __init__(
        self,
        replies: Iterable[Reply | str] = (),
        *,
        respond: Callable[[llm.ChatContext], Reply | str | None] | None = None,
        usage: UsagePolicy = DEFAULT_USAGE,
        think_ms: float = 0.0,
        model: str = "scripted-llm",
        provider: str = "ringback",
    ) -> None:
        super().__init__()
        self.script: Script[llm.ChatContext] = Script(
            replies, respond=respond, usage=usage, think_ms=think_ms
        )
        self._model = model
        self._provider = provider

    @property
    def model(self) -> str:
        return self._model

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def requests(self) -> int:
        """How many times `chat()` was called."""
        return self.script.requests

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        reply = self.script.next(chat_ctx) or Reply()
        if tool_choice == "none":
            reply = dataclasses.replace(reply, tools=())
        return _ReplyStream(
            self, reply, self.script.request_id, chat_ctx=chat_ctx, tools=tools or []
        )


class _ReplyStream(llm.LLMStream):
    def __init__(
        self,
        owner: ScriptedLLM,
        reply: Reply,
        request_id: str,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
    ) -> None:
        super().__init__(owner, chat_ctx=chat_ctx, tools=tools, conn_options=_NO_RETRY)
        self._script = owner.script
        self._reply = reply
        self._request_id = request_id
        self._calls = reply.tool_calls(request_id)

    def _send(self, text: str | None, calls: list[ToolCall] | None = None) -> None:
        function_calls = [
            llm.FunctionToolCall(
                name=c.name, arguments=json.dumps(dict(c.arguments)), call_id=c.call_id or ""
            )
            for c in calls or []
        ]
        delta = llm.ChoiceDelta(role="assistant", content=text, tool_calls=function_calls)
        self._event_ch.send_nowait(llm.ChatChunk(id=self._request_id, delta=delta))

    async def _run(self) -> None:
        reply = self._reply
        if think_ms := self._script.think_ms_of(reply):
            await asyncio.sleep(think_ms / 1000)
        if reply.error is not None:
            raise APIError(reply.error, retryable=False)
        # The tool calls ride on the last text chunk, or alone: one chunk for a plain reply.
        chunks = reply.chunks or ("",)
        for chunk in chunks[:-1]:
            self._send(chunk)
        self._send(chunks[-1] or None, self._calls)
        if reply.hold is not None:
            await reply.hold.wait()
            if reply.more_chunks:
                for chunk in reply.more_chunks:
                    self._send(chunk)
            else:
                self._send(None)
        usage = self._script.usage_of(reply)
        if usage is None:
            return
        completion = llm.CompletionUsage(
            completion_tokens=usage.output_tokens,
            prompt_tokens=usage.input_tokens,
            prompt_cached_tokens=usage.cached_tokens,
            cache_creation_tokens=usage.cache_write_tokens,
            total_tokens=usage.total,
        )
        self._event_ch.send_nowait(llm.ChatChunk(id=self._request_id, usage=completion))


__all__ = ["DEFAULT_USAGE", "ScriptedLLM"]
