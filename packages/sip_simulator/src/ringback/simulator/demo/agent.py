"""The demo's agent under test: a LiveKit support agent (like examples/livekit_agent.py) that
looks orders up and ends the call on "bye", thinking with a scripted offline brain.

It reads what it hears as a transcript would carry it (no punctuation, any case), so the same
brain answers typed text and the offline recognizer's transcripts of real speech.
"""

from __future__ import annotations

import re
from typing import Any

from livekit.agents import Agent, ToolError, function_tool, llm
from livekit.agents.beta.tools import EndCallTool

from ringback.core.testing import Reply, ToolCall, estimate_usage
from ringback.livekit.testing import ScriptedLLM

AGENT_NAME = "demo-support"
ORDERS = {"A1001": {"status": "shipped", "carrier": "DHL"}}
_ORDER_ID = re.compile(r"\b([A-Z]\d{4})\b", re.IGNORECASE)
_BYE = re.compile(r"\bbye\b", re.IGNORECASE)
"""A plain "bye" (not "goodbye") ends the call."""


GREETING = "Hi, this is demo support. How can I help?"
SHIPPED = "Your order has shipped with DHL."
NOT_FOUND = "Sorry, I could not find that order. Please check the number."
FAREWELL = "Goodbye, take care."
HUNG_UP = "Goodbye!"
LINES = (GREETING, SHIPPED, NOT_FOUND, FAREWELL, HUNG_UP)
"""Everything the demo agent says (what a caller's recognizer may be hinted with)."""


def support_brain(chat_ctx: llm.ChatContext) -> Reply:
    """Looks up an order id it hears, reports it, hangs up on "bye", else offers help."""
    last: Any = chat_ctx.items[-1] if chat_ctx.items else None
    if getattr(last, "type", None) == "function_call_output":
        if last.name == "end_call":
            return Reply(text=HUNG_UP)
        return Reply(text=NOT_FOUND if last.is_error else SHIPPED)
    text = getattr(last, "text_content", None) or ""
    if _BYE.search(text):
        return Reply(tools=[ToolCall("end_call", {})])
    if found := _ORDER_ID.search(text):
        return Reply(tools=[ToolCall("lookup_order", {"order_id": found.group(1).upper()})])
    if "goodbye" in text.lower():
        return Reply(text=FAREWELL)
    return Reply(text=GREETING)


class DemoSupport(Agent):
    """A support agent with an order lookup tool and the end-call tool."""

    def __init__(self) -> None:
        super().__init__(
            instructions="You are a support agent for an online shoe store.",
            tools=[EndCallTool()],
            llm=ScriptedLLM(
                respond=support_brain,
                usage=estimate_usage,
                think_ms=20,
                model="demo-support-brain",
                provider="ringback-demo",
            ),
        )

    @function_tool
    async def lookup_order(self, order_id: str) -> dict[str, object]:
        """Look up an order's status.

        Args:
            order_id: The order id, e.g. A1001.
        """
        order = ORDERS.get(order_id)
        if order is None:
            raise ToolError(f"no order {order_id}")
        return {"order_id": order_id, **order}


__all__ = ["AGENT_NAME", "LINES", "DemoSupport", "support_brain"]
