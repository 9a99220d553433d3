"""`ScriptedBrain`: an offline `llm.LLM` whose every answer comes from a Python function.

The demo agent and scripted simulated callers think with it, so neither needs a model or the
network. It is `ringback.livekit.testing.ScriptedLLM` answering with `respond(chat_ctx)`
only, `think_s` after each request, reporting made-up token usage
(`ringback.core.testing.estimate_usage`) when `report_usage`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import llm

from ringback.core.testing import Reply, ToolCall, estimate_usage
from ringback.livekit.testing import ScriptedLLM


@dataclass
class Answer:
    """One LLM answer: text and/or (tool name, arguments) calls."""

    text: str = ""
    tools: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def reply(self) -> Reply:
        return Reply(text=self.text, tools=[ToolCall(name, args) for name, args in self.tools])


class ScriptedBrain(ScriptedLLM):
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
        super().__init__(
            respond=lambda chat_ctx: respond(chat_ctx).reply(),
            usage=estimate_usage if report_usage else None,
            think_ms=think_s * 1000,
            model=model,
            provider=provider,
        )


__all__ = ["Answer", "ScriptedBrain"]
