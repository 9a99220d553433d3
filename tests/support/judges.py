"""Judge LLMs a suite's `judge: {llm: support.judges:...}` can name in the tests."""

from __future__ import annotations

import json
from typing import ClassVar

from livekit.agents import llm

from ringback.livekit.testing import Reply, ScriptedLLM


def _verdict(chat_ctx: llm.ChatContext) -> Reply:
    question = chat_ctx.items[-1].text_content or ""
    transcript = question.split("Transcript:", 1)[-1]
    passed = "shipped" in transcript
    reasoning = "The agent said the order shipped." if passed else "Nothing shipped was said."
    return Reply(text=json.dumps({"passed": passed, "reasoning": reasoning}))


class ShippedJudge(ScriptedLLM):
    """Passes a call when the agent's transcript mentions "shipped"; remembers every
    instance and whether it was closed."""

    made: ClassVar[list[ShippedJudge]] = []

    def __init__(self, model: str) -> None:
        super().__init__(respond=_verdict, model=model)
        self.closed = False
        ShippedJudge.made.append(self)

    async def aclose(self) -> None:
        self.closed = True
        await super().aclose()


def shipped_judge(model: str = "judge-1") -> ScriptedLLM:
    """A `ShippedJudge` (a factory, as a suite's `judge.llm` names it)."""
    return ShippedJudge(model)


def not_an_llm() -> str:
    return "a string"


def failing_factory(api_key: str = "", client: dict[str, str] | None = None) -> llm.LLM:
    secret = api_key or (client or {}).get("api_key", "")
    raise ValueError(f"the key {secret} was refused")


def shortening_factory(api_key: str) -> llm.LLM:
    """Fails like a validation library that shortens long values in its messages."""
    raise ValueError(f"api_key: input_value='{api_key[:12]}...' is not valid")


def typo_factory(model: str = "") -> llm.LLM:
    raise TypeError("typo_factory() got an unexpected keyword argument 'modle'")
