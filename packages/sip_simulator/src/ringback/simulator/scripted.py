"""`ScriptedBrain`: an offline `llm.LLM` whose every answer comes from a Python function.

The demo agent and scripted simulated callers think with it, so neither needs a model or the
network. Each answer is streamed as one chunk (text and/or tool calls), optionally followed by
token usage.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import APIConnectOptions, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr


@dataclass
class Answer:
    """One LLM answer: text and/or (tool name, arguments) calls."""

    text: str = ""
    tools: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class ScriptedBrain(llm.LLM[Any]):
    """Answers each `chat()` with `respond(chat_ctx)`, after `think_s` (a model's first token),
    reporting made-up token usage when `report_usage`. With `tool_choice="none"` the answer's
    tool calls are left out, as a real model would."""

    def __init__(
        self,
        respond: Callable[[llm.ChatContext], Answer],
        *,
        model: str = "scripted-brain",
        provider: str = "ringback",
        think_s: float = 0.02,
        report_usage: bool = True,
    ) -> None:
        super().__init__()
        self.respond = respond
        self.think_s = think_s
        self.report_usage = report_usage
        self._model = model
        self._provider = provider
        self._ids = itertools.count(1)

    @property
    def model(self) -> str:
        return self._model

    @property
    def provider(self) -> str:
        return self._provider

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
        answer = self.respond(chat_ctx)
        if tool_choice == "none":
            answer = Answer(text=answer.text)
        request_id = f"{self._model}-{next(self._ids)}"
        return _AnswerStream(self, answer, request_id, chat_ctx=chat_ctx, tools=tools or [])


class _AnswerStream(llm.LLMStream):
    def __init__(
        self,
        owner: ScriptedBrain,
        answer: Answer,
        request_id: str,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
    ) -> None:
        conn = APIConnectOptions(max_retry=0, retry_interval=0, timeout=5)
        super().__init__(owner, chat_ctx=chat_ctx, tools=tools, conn_options=conn)
        self._owner = owner
        self._answer = answer
        self._request_id = request_id

    async def _run(self) -> None:
        if self._owner.think_s:
            await asyncio.sleep(self._owner.think_s)
        rid, answer = self._request_id, self._answer
        calls = [
            llm.FunctionToolCall(name=name, arguments=json.dumps(args), call_id=f"{rid}-{i}")
            for i, (name, args) in enumerate(answer.tools)
        ]
        delta = llm.ChoiceDelta(role="assistant", content=answer.text or None, tool_calls=calls)
        self._event_ch.send_nowait(llm.ChatChunk(id=rid, delta=delta))
        if not self._owner.report_usage:
            return
        words = len(answer.text.split()) + 8 * len(calls)
        usage = llm.CompletionUsage(
            completion_tokens=words, prompt_tokens=120, total_tokens=120 + words
        )
        self._event_ch.send_nowait(llm.ChatChunk(id=rid, usage=usage))


__all__ = ["Answer", "ScriptedBrain"]
