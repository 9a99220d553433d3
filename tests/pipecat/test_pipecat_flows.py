"""Pipecat Flows node transitions, read through the FlowManager's public `current_node`: the
first node, an edge function's transition and one made in code, each with from/to/reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipecat.flows.manager import FlowManager
from pipecat.flows.types import FlowArgs, FlowsFunctionSchema, NodeConfig
from pipecat.frames.frames import TTSSpeakFrame
from support.create_call_server import CreateCallServer

from ringback.pipecat import RingbackObserver
from ringback.pipecat.testing import ManualClock, Reply, ScriptedCall, ToolCall, call_clock


async def choose_refund(args: FlowArgs, flow_manager: FlowManager) -> tuple[Any, NodeConfig]:
    return {"reason": args["reason"]}, REFUND


GREETING: NodeConfig = {
    "name": "greeting",
    "task_messages": [
        {"role": "developer", "content": "Greet the caller, find out what they need."}
    ],
    "functions": [
        FlowsFunctionSchema(
            name="choose_refund",
            description="The caller wants a refund.",
            properties={"reason": {"type": "string"}},
            required=["reason"],
            handler=choose_refund,
        )
    ],
}
REFUND: NodeConfig = {
    "name": "refund",
    "task_messages": [{"role": "developer", "content": "Process the refund."}],
}
GOODBYE: NodeConfig = {
    "name": "goodbye",
    "task_messages": [{"role": "developer", "content": "Say goodbye."}],
    "respond_immediately": False,
}


def transition(at: int, to: str, from_: str | None, reason: str) -> dict[str, Any]:
    return {
        "role": "node_transition",
        "text": "",
        "start_ms": at,
        "end_ms": at,
        "duration_ms": 0,
        "metadata": {},
        "node": {"to": to, "from": from_, "reason": reason},
    }


async def test_flow_transitions_are_recorded_with_from_to_and_reason(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = RingbackObserver(
        call_id="flow-1", base_url=create_call_server.url, outbox_dir=outbox_dir, clock=call_clock()
    )
    clock = ManualClock()
    steps = [
        Reply(tools=[ToolCall("choose_refund", {"reason": "damaged"}, "edge1")], think_ms=200),
        Reply(text=["Let's get your refund sorted."], think_ms=250),
    ]
    call = ScriptedCall([observer], replies=steps, clock=clock, user_aggregator=True)
    flow = FlowManager(llm=call.llm, context_aggregator=call.aggregators, worker=call.worker)
    observer.watch_flow(flow)
    async with call:
        clock.set_ms(100)
        await flow.initialize(GREETING)
        await call.bot_spoke(1)
        clock.set_ms(2000)
        await flow.set_node_from_config(GOODBYE)
        await call.worker.queue_frame(TTSSpeakFrame("Bye now."))  # after the node's frames
        await call.bot_spoke(2)
        await call.end(at_ms=3000)

    await observer.flush()
    transcript = create_call_server.requests[0].body["transcript_with_tool_calls"]
    transitions = [row for row in transcript if row["role"] == "node_transition"]
    assert transitions == [
        transition(100, "greeting", None, "initial"),
        transition(300, "refund", "greeting", "function:choose_refund"),
        transition(2000, "goodbye", "refund", "set_node"),
    ]
    assert [(row["role"], row["start_ms"]) for row in transcript] == [
        ("node_transition", 100),
        ("agent_function", 300),
        ("agent_result", 300),
        ("node_transition", 300),
        ("agent", 550),
        ("node_transition", 2000),
        ("agent", 2000),
    ]
    assert transcript[2]["tool"]["result"] == {"reason": "damaged"}
    assert [row["text"] for row in transcript if row["role"] == "agent"] == [
        "Let's get your refund sorted.",
        "Bye now.",
    ]
