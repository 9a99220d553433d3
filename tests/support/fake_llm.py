"""A scripted `llm.LLM` for driving real AgentSessions in text mode (no network)."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import APIConnectOptions, APIError, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr


@dataclass
class Reply:
    """One LLM answer: text and/or tool calls, with its token usage (or an error)."""

    text: str = ""
    tools: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(tool name, arguments) pairs; call ids are `call_<n>` in order of emission."""
    input_tokens: int = 10
    output_tokens: int = 5
    cached_tokens: int = 0
    error: str | None = None
    """Fail this request with a non-retryable `APIError` instead."""
    gate: asyncio.Event | None = None
    """Send `text`, then wait for this event before sending `more` (to interrupt mid-reply)."""
    more: str = ""


class FakeLLM(llm.LLM):
    """Answers each `chat()` with the next scripted `Reply`, or with `respond(chat_ctx)`."""

    def __init__(
        self,
        replies: Iterable[Reply] = (),
        *,
        respond: Callable[[llm.ChatContext], Reply] | None = None,
        model: str = "fake-llm-1",
    ) -> None:
        super().__init__()
        self.replies = deque(replies)
        self.respond = respond
        self._model = model
        self.calls = 0

    @property
    def model(self) -> str:
        return self._model

    @property
    def provider(self) -> str:
        return "fake"

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
        self.calls += 1
        if self.replies:
            reply = self.replies.popleft()
        elif self.respond is not None:
            reply = self.respond(chat_ctx)
        else:
            reply = Reply(text="")
        return _Stream(self, reply, self.calls, chat_ctx=chat_ctx, tools=tools or [])


class _Stream(llm.LLMStream):
    def __init__(
        self,
        owner: FakeLLM,
        reply: Reply,
        n: int,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
    ) -> None:
        conn = APIConnectOptions(max_retry=0, retry_interval=0, timeout=5)
        super().__init__(owner, chat_ctx=chat_ctx, tools=tools, conn_options=conn)
        self._reply = reply
        self._n = n

    async def _run(self) -> None:
        reply, rid = self._reply, f"req_{self._n}"
        if reply.error is not None:
            raise APIError(reply.error, retryable=False)
        calls = [
            llm.FunctionToolCall(name=name, arguments=json.dumps(args), call_id=f"call_{rid}_{i}")
            for i, (name, args) in enumerate(reply.tools)
        ]
        delta = llm.ChoiceDelta(role="assistant", content=reply.text or None, tool_calls=calls)
        self._event_ch.send_nowait(llm.ChatChunk(id=rid, delta=delta))
        if reply.gate is not None:
            await reply.gate.wait()
            more = llm.ChoiceDelta(role="assistant", content=reply.more or None)
            self._event_ch.send_nowait(llm.ChatChunk(id=rid, delta=more))
        usage = llm.CompletionUsage(
            completion_tokens=reply.output_tokens,
            prompt_tokens=reply.input_tokens,
            prompt_cached_tokens=reply.cached_tokens,
            total_tokens=reply.input_tokens + reply.output_tokens,
        )
        self._event_ch.send_nowait(llm.ChatChunk(id=rid, usage=usage))
