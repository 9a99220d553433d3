"""Agents, SIP attributes and helpers shared by the LiveKit plugin tests."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from livekit.agents import Agent, AgentSession, AgentStateChangedEvent, CloseEvent, function_tool

from ringback.core.delivery import EntryRef, Outbox

CALL_ID_FULL = "a84b4c76e66710@pbx.example.com"
RUN_ID = "0123456789abcdef0123456789abcdef"
SCENARIO_ID = "fedcba9876543210fedcba9876543210"
RESULT_ID = "00112233445566778899aabbccddeeff"
CALLER_NUMBER = "+15105550100"
TRUNK_NUMBER = "+15105550199"

INBOUND = {
    "sip.callID": "SCL_8a9b7c6d5e4f",
    "sip.callIDFull": CALL_ID_FULL,
    "sip.callStatus": "active",
    "sip.phoneNumber": CALLER_NUMBER,
    "sip.trunkPhoneNumber": TRUNK_NUMBER,
    "sip.trunkID": "ST_inbound",
    "sip.ruleID": "SDR_support",
}
"""An inbound SIP participant's own attributes (no headers)."""

X_HEADERS = {
    "sip.h.x-run-id": RUN_ID,
    "sip.h.x-scenario-id": SCENARIO_ID,
    "sip.h.x-result-id": RESULT_ID,
    "sip.h.x-correlation-id": RESULT_ID,
    "sip.h.x-customer-tier": "premium",
}
"""What `include_headers=SIP_X_HEADERS` adds."""

SIP_HEADERS = {
    "X-Run-Id": RUN_ID,
    "X-Scenario-Id": SCENARIO_ID,
    "X-Result-Id": RESULT_ID,
    "X-Correlation-Id": RESULT_ID,
    "X-Customer-Tier": "premium",
}
"""The same headers as the Create Call API body carries them."""


class Billing(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You handle billing questions.")


class Support(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are a support agent.")

    @function_tool
    async def lookup_order(self, order_id: str) -> dict[str, str]:
        """Look up an order by its id."""
        if order_id == "missing":
            raise ValueError("no such order")
        return {"status": "shipped", "order_id": order_id}

    @function_tool
    async def transfer_to_billing(self) -> Agent:
        """Hand the caller over to billing."""
        return Billing()


class Int:
    """Equals any non-negative int (times and durations in an exact-JSON assertion)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int) and not isinstance(other, bool) and other >= 0

    def __repr__(self) -> str:
        return "<int>"


INT = Int()


class Iso:
    """Equals any ISO 8601 timestamp string."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        try:
            datetime.fromisoformat(other)
        except ValueError:
            return False
        return True

    def __repr__(self) -> str:
        return "<iso time>"


ISO = Iso()


def settings_kwargs(url: str, outbox: Path, **extra: Any) -> dict[str, Any]:
    """Plugin keywords pointing at a test server and outbox."""
    return {"base_url": url, "outbox_dir": outbox, "agent_id": "support-bot", **extra}


def state_reached(session: AgentSession[Any], state: str) -> asyncio.Future[None]:
    """A future set when the agent enters `state` (e.g. `speaking`); listens from now on."""
    reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_state(ev: AgentStateChangedEvent) -> None:
        if ev.new_state == state and not reached.done():
            reached.set_result(None)
            session.off("agent_state_changed", on_state)

    session.on("agent_state_changed", on_state)
    return reached


def closed(session: AgentSession[Any]) -> asyncio.Future[CloseEvent]:
    """A future set with the session's close event; listens from now on."""
    done: asyncio.Future[CloseEvent] = asyncio.get_running_loop().create_future()

    def on_close(ev: CloseEvent) -> None:
        if not done.done():
            done.set_result(ev)

    session.once("close", on_close)
    return done


def pending_entries(outbox: Path) -> list[EntryRef]:
    """Calls waiting in the outbox."""
    return Outbox(outbox).entries()
