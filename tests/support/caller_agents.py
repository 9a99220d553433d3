"""Agents and scripted LLM brains for the simulated-caller and text-transport tests."""

from __future__ import annotations

from typing import Any

from livekit.agents import Agent, function_tool, llm

from ringback.livekit.testing import Reply, ScriptedLLM, ToolCall


def _last(chat_ctx: llm.ChatContext) -> Any:
    return chat_ctx.items[-1] if chat_ctx.items else None


def support_brain(chat_ctx: llm.ChatContext) -> Reply:
    """A deterministic support agent: looks up an order it hears about, reports it, says
    goodbye to a goodbye, and otherwise offers help."""
    last = _last(chat_ctx)
    if getattr(last, "type", None) == "function_call_output":
        status = "shipped" if "shipped" in (last.output or "") else "not been found"
        return Reply(text=f"Your order has {status}.")
    text = (getattr(last, "text_content", None) or "").lower()
    if "a1001" in text:
        return Reply(tools=[ToolCall("lookup_order", {"order_id": "A1001"})])
    if "bye" in text:
        return Reply(text="Goodbye, have a nice day!")
    return Reply(text="Hi, this is support. How can I help?")


def support_llm(*_: object) -> ScriptedLLM:
    return ScriptedLLM(respond=support_brain, model="fake-support-llm")


class TextSupport(Agent):
    """A support agent bringing its own scripted LLM (a no-argument constructor)."""

    def __init__(self) -> None:
        super().__init__(instructions="You are a support agent.", llm=support_llm())

    @function_tool
    async def lookup_order(self, order_id: str) -> dict[str, str]:
        """Look up an order by its id."""
        return {"status": "shipped", "order_id": order_id}


class GreetingSupport(TextSupport):
    """Greets the caller first, as most phone agents do."""

    async def on_enter(self) -> None:
        self.session.say("Thanks for calling support, how can I help?")


def make_text_support() -> Agent:
    """A factory (`module:function`) returning the test agent."""
    return TextSupport()


class NeedsArguments(Agent):
    def __init__(self, name: str) -> None:
        super().__init__(instructions=f"I am {name}.")


class NotAnAgent:
    pass


def caller_brain(*replies: Reply) -> ScriptedLLM:
    """An improvising caller's LLM playing `replies` in order."""
    return ScriptedLLM(replies, model="fake-caller-llm")


def example_brain(chat_ctx: llm.ChatContext) -> Reply:
    """The LLM of examples/livekit_agent.py's Support agent in the text-transport tests: it
    looks orders up, ends the call itself (EndCallTool) on "bye!", and answers a plain
    goodbye without hanging up."""
    last = _last(chat_ctx)
    if getattr(last, "type", None) == "function_call_output":
        if last.name == "end_call":
            return Reply(text="Goodbye!")
        return Reply(text="Order A1001 has shipped.")
    text = (getattr(last, "text_content", None) or "").lower()
    if "bye!" in text:
        return Reply(tools=[ToolCall("end_call")])
    if "a1001" in text:
        return Reply(tools=[ToolCall("lookup_order", {"order_id": "A1001"})])
    if "goodbye" in text:
        return Reply(text="Goodbye, take care.")
    return Reply(text="How can I help?")


def not_an_agent() -> object:
    """A factory returning the wrong thing."""
    return NotAnAgent()
