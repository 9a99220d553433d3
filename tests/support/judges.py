"""Judge LLMs a suite's `judge: {llm: support.judges:...}` can name in the tests."""

from __future__ import annotations

import json

from livekit.agents import llm

from .fake_llm import FakeLLM, Reply


def _verdict(chat_ctx: llm.ChatContext) -> Reply:
    question = chat_ctx.items[-1].text_content or ""
    transcript = question.split("Transcript:", 1)[-1]
    passed = "shipped" in transcript
    reasoning = "The agent said the order shipped." if passed else "Nothing shipped was said."
    return Reply(text=json.dumps({"passed": passed, "reasoning": reasoning}))


def shipped_judge(model: str = "judge-1") -> FakeLLM:
    """Passes a call when the agent's transcript mentions "shipped"."""
    return FakeLLM(respond=_verdict, model=model)


def not_an_llm() -> str:
    return "a string"


def failing_factory(api_key: str) -> llm.LLM:
    raise ValueError(f"the key {api_key} was refused")
