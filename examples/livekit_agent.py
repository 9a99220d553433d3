"""A LiveKit Agents worker whose every call is synced by Ringback.

    uv run python examples/livekit_agent.py dev      # or: start

A support agent looks up orders and hands billing questions to a billing agent, which can
refund and hang up. `RingbackPlugin` records each call (turns with latency, tool calls, the
handoff, usage, the SIP caller's Call-ID and X- headers) and syncs it when the call ends.

The models run on LiveKit Inference (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET). Calls go
to the local collector (`ringback-sim serve`, http://127.0.0.1:7450) unless RINGBACK_BASE_URL,
RINGBACK_API_KEY and RINGBACK_WORKSPACE_ID point elsewhere. For SIP calls, set
`include_headers=SIP_X_HEADERS` on the inbound trunk so X- headers reach the agent.
"""

from __future__ import annotations

from livekit.agents import (
    Agent,
    AgentServer,
    AgentSession,
    JobContext,
    RunContext,
    ToolError,
    cli,
    function_tool,
)
from livekit.agents.beta.tools import EndCallTool

from ringback.core.timeline import CostInputs
from ringback.livekit import RingbackPlugin

ORDERS = {
    "A1001": {"status": "shipped", "total_usd": 59.0},
    "A1002": {"status": "processing", "total_usd": 120.0},
}


class Billing(Agent):
    def __init__(self) -> None:
        super().__init__(
            instructions="You handle refunds. Confirm the order id before refunding, then say "
            "goodbye and end the call.",
            tools=[EndCallTool()],
        )

    @function_tool
    async def issue_refund(self, order_id: str, reason: str) -> dict[str, object]:
        """Refund an order.

        Args:
            order_id: The order to refund, e.g. A1001.
            reason: Why the customer wants the refund.
        """
        order = ORDERS.get(order_id)
        if order is None:
            raise ToolError(f"no order {order_id}")
        return {"order_id": order_id, "refunded_usd": order["total_usd"], "reason": reason}


class Support(Agent):
    def __init__(self) -> None:
        super().__init__(
            instructions="You are a friendly support agent for an online shoe store. Look up "
            "orders; hand refund and billing questions to billing.",
            tools=[EndCallTool()],
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

    @function_tool
    async def transfer_to_billing(self, context: RunContext) -> tuple[Agent, str]:
        """Hand the caller to billing for refunds and payment questions."""
        return Billing(), "Transferring you to billing."


def build_session() -> AgentSession:
    return AgentSession(stt="deepgram/nova-3", llm="openai/gpt-4.1-mini", tts="cartesia/sonic-3")


def call_cost(inputs: CostInputs) -> float:
    """Cents: $0.40 per 1M LLM tokens and $0.01 per started minute (illustrative prices)."""
    tokens = inputs.totals.llm_token or 0
    minutes = -(-inputs.duration_ms // 60_000)
    return round(tokens * 0.4 / 10_000 + minutes * 1.0, 4)


server = AgentServer(shutdown_process_timeout=10.0)


@server.rtc_session(agent_name="support-bot")
async def entrypoint(ctx: JobContext) -> None:
    session = build_session()

    async def recording_url() -> str:
        # Where your egress (or SIP trunk) recording for this room ends up.
        return f"https://recordings.example.com/{ctx.room.name}.ogg"

    RingbackPlugin(
        session,
        ctx,
        agent_version=3,
        recording_url=recording_url,
        metadata={"team": "support", "region": "eu-west"},
        cost_calculator=call_cost,
    )
    await session.start(Support(), room=ctx.room)
    await session.generate_reply(instructions="Greet the caller and ask how you can help.")


if __name__ == "__main__":
    cli.run_app(server)
