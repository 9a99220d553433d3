"""`ScriptedTurns`: an `llm.LLM` that says a scenario's scripted caller turns in order.

Each request answers with the next turn: the n-th turn when the caller has said n-1 things so
far (its own `assistant` messages in the chat context), so one turn goes out per agent reply.
After the last turn it calls the `hang_up` tool. It needs no model and no network, which is
why scripted scenarios run offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from livekit.agents import APIConnectOptions, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr

HANG_UP_TOOL = "hang_up"


class ScriptedTurns(llm.LLM):
    """Plays `turns`, then hangs up."""

    def __init__(self, turns: Sequence[str], *, hang_up_tool: str = HANG_UP_TOOL) -> None:
        super().__init__()
        self.turns = list(turns)
        self.hang_up_tool = hang_up_tool

    @property
    def model(self) -> str:
        return "scripted-turns"

    @property
    def provider(self) -> str:
        return "ringback"

    def next_step(self, chat_ctx: llm.ChatContext) -> tuple[str | None, bool]:
        """(the text to say, whether to hang up) for a request with this context."""
        said = 0
        for item in chat_ctx.items:
            if item.type == "function_call" and item.name == self.hang_up_tool:
                return None, False  # already hanging up: nothing more to say
            if item.type == "message" and item.role == "assistant" and item.text_content:
                said += 1
        if said < len(self.turns):
            return self.turns[said], False
        return None, True

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
        text, hang_up = self.next_step(chat_ctx)
        can_hang_up = hang_up and tool_choice != "none"
        return _ScriptStream(
            self,
            chat_ctx=chat_ctx,
            tools=tools or [],
            conn_options=conn_options,
            text=text,
            hang_up=can_hang_up,
        )


class _ScriptStream(llm.LLMStream):
    def __init__(
        self,
        owner: ScriptedTurns,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
        text: str | None,
        hang_up: bool,
    ) -> None:
        super().__init__(owner, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._owner = owner
        self._text = text
        self._hang_up = hang_up

    async def _run(self) -> None:
        request_id = f"script-{id(self):x}"
        calls = []
        if self._hang_up:
            calls.append(
                llm.FunctionToolCall(
                    name=self._owner.hang_up_tool, arguments="{}", call_id=f"{request_id}-hangup"
                )
            )
        delta = llm.ChoiceDelta(role="assistant", content=self._text, tool_calls=calls)
        self._event_ch.send_nowait(llm.ChatChunk(id=request_id, delta=delta))


__all__ = ["HANG_UP_TOOL", "ScriptedTurns"]
