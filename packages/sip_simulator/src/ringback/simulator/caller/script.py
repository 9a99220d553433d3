"""`ScriptedTurns`: an `llm.LLM` that says a scenario's scripted caller turns in order.

Each request answers with the next turn: the n-th turn when the caller has said n-1 things so
far (its own `assistant` messages in the chat context), so one turn goes out per agent reply.
After the last turn it calls the `hang_up` tool. It needs no model and no network, which is
why scripted scenarios run offline.
"""

from __future__ import annotations

from collections.abc import Sequence

from livekit.agents import llm

from ringback.core.testing import Reply, ToolCall
from ringback.livekit.testing import ScriptedLLM

HANG_UP_TOOL = "hang_up"


class ScriptedTurns(ScriptedLLM):
    """Plays `turns`, then hangs up."""

    def __init__(self, turns: Sequence[str], *, hang_up_tool: str = HANG_UP_TOOL) -> None:
        super().__init__(respond=self._answer, model="scripted-turns", usage=None)
        self.turns = list(turns)
        self.hang_up_tool = hang_up_tool

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

    def _answer(self, chat_ctx: llm.ChatContext) -> Reply:
        text, hang_up = self.next_step(chat_ctx)
        return Reply(text=text or "", tools=[ToolCall(self.hang_up_tool, {})] if hang_up else [])


__all__ = ["HANG_UP_TOOL", "ScriptedTurns"]
