"""`--transport text`, programmatically: the planned calls of a suite played in-process
against examples/livekit_agent.py's agent. Both sides of every call reach a real Create Call
API server with the exact linking data, and the outcomes reach the sink as for dialled calls."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from support.caller_agents import example_brain
from support.create_call_server import CreateCallServer
from test_caller_brief import TEXT_SUITE

from ringback.livekit.testing import Reply, ScriptedLLM, ToolCall
from ringback.simulator.batch import BatchRunner
from ringback.simulator.batch.outcome import FailureKind, OutcomeStatus
from ringback.simulator.batch.sink import MemorySink
from ringback.simulator.plan import PlannedCall, RunPlan, plan_run
from ringback.simulator.store.linking import AGENT_SIDE, CALLER_SIDE, LinkedBy, link_keys
from ringback.simulator.suite import Suite, load_suite
from ringback.simulator.text import (
    TextCallSettings,
    TextTransport,
    load_agent,
    run_text_call,
    synthetic_call_id,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "livekit_agent.py"


def suite() -> Suite:
    return load_suite(TEXT_SUITE).suite


def settings(server: CreateCallServer, outbox: Path, **extra: Any) -> TextCallSettings:
    options: dict[str, Any] = {
        "agent": load_agent(f"{EXAMPLE}:Support"),
        "agent_llm": lambda call: ScriptedLLM(respond=example_brain),
        "agent_name": "support-bot",
        "ringback": {"base_url": server.url, "outbox_dir": outbox},
    }
    options.update(extra)
    return TextCallSettings(**options)


def texts(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (s["role"], s["text"])
        for s in body["transcript_with_tool_calls"]
        if s["role"] in ("user", "agent")
    ]


def sides(server: CreateCallServer) -> dict[tuple[str, str], dict[str, Any]]:
    """(result id, side) -> stored body, read with the collector's own linking rules."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for request in server.requests:
        body = request.body
        keys = link_keys(
            body["general_meta_data_raw"], body.get("sip_headers"), body.get("sip_call_id")
        )
        assert keys.result_ref is not None
        assert (keys.result_ref, keys.side) not in found
        found[(keys.result_ref, keys.side)] = body
    return found


async def test_every_call_syncs_both_sides_with_the_linking_data(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    plan = plan_run(suite())
    sink = MemorySink()
    runner = BatchRunner(
        suite(), TextTransport(settings(create_call_server, outbox_dir)), sink=sink
    )
    summary = await runner.run(plan)

    assert (summary.run_id, summary.planned, summary.completed) == (plan.run_id, 2, 2)
    assert summary.ok
    assert sink.plans[0].calls == plan.calls  # the same ids as a dialled run
    by_result = {o.result_id: o for o in sink.outcomes}
    assert set(by_result) == {c.result_id for c in plan.calls}
    assert {p.result_id for p in sink.placed} == set(by_result)

    stored = sides(create_call_server)
    assert len(create_call_server.requests) == 4
    for call in plan.calls:
        outcome = by_result[call.result_id]
        call_id = f"{call.result_id}@text.ringback.invalid"
        assert outcome.status is OutcomeStatus.COMPLETED
        assert outcome.end_reason == "hangup"
        assert outcome.sip_call_id == call_id == synthetic_call_id(call.result_id)
        assert (outcome.run_id, outcome.scenario_id) == (plan.run_id, call.scenario_id)
        assert outcome.answered_at is not None
        assert outcome.warnings == []

        agent = stored[(call.result_id, AGENT_SIDE)]
        assert agent["sip_call_id"] == call_id
        assert agent["sip_headers"] == call.headers  # exactly the planned X- headers
        assert agent["sip_headers"]["X-Result-Id"] == call.result_id
        keys = link_keys(agent["general_meta_data_raw"], agent["sip_headers"], agent["sip_call_id"])
        assert keys.result_ref_source is LinkedBy.X_RESULT_ID
        assert agent["general_meta_data_raw"]["simulation"] == {
            "side": "agent",
            "transport": "text",
        }
        assert "Jane Smith" not in json.dumps(agent)  # testing variables stay with the caller

        caller = stored[(call.result_id, CALLER_SIDE)]
        assert caller["call_id"] == f"{call.result_id}-caller"
        assert caller["sip_call_id"] == call_id
        simulation = caller["general_meta_data_raw"]["simulation"]
        assert simulation["side"] == "caller"
        assert (simulation["result_id"], simulation["run_id"]) == (call.result_id, plan.run_id)
        assert simulation["scenario_id"] == call.scenario_id
        assert simulation["transport"] == "text"

    agent_ids = {r.query["agent_remote_identifier"] for r in create_call_server.requests}
    assert agent_ids == {"support-bot", "ringback-caller"}
    # no telephony took part, though both sides carry the planned SIP facts
    assert {r.body["call_type"] for r in create_call_server.requests} == {"web_call"}


async def test_the_transcripts_and_who_hung_up(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    plan = plan_run(suite())
    await BatchRunner(
        suite(), TextTransport(settings(create_call_server, outbox_dir)), sink=MemorySink()
    ).run(plan)
    stored = sides(create_call_server)
    order = next(c for c in plan.calls if c.scenario_id == "order-status")
    agent = stored[(order.result_id, AGENT_SIDE)]
    # the agent does not greet, so the caller opens; "Bye!" makes the agent end the call
    assert texts(agent) == [
        ("user", "Hi, where is my order A1001?"),
        ("agent", "Order A1001 has shipped."),
        ("user", "Great, thanks. Bye!"),
        ("agent", "Goodbye!"),
    ]
    tools = [
        s["tool"]["name"]
        for s in agent["transcript_with_tool_calls"]
        if s["role"] == "agent_function"
    ]
    assert tools == ["lookup_order", "end_call"]
    assert agent["disconnection_reason"] == "agent_hangup"
    caller = stored[(order.result_id, CALLER_SIDE)]
    assert texts(caller) == [
        ("agent", "Hi, where is my order A1001?"),
        ("user", "Order A1001 has shipped."),
        ("agent", "Great, thanks. Bye!"),
    ]
    assert caller["disconnection_reason"] == "user_hangup"  # its peer, the agent, hung up

    talk = next(c for c in plan.calls if c.scenario_id == "small-talk")
    agent = stored[(talk.result_id, AGENT_SIDE)]
    assert texts(agent) == [
        ("user", "Hello there!"),
        ("agent", "How can I help?"),
        ("user", "That's all, goodbye."),
        ("agent", "Goodbye, take care."),
    ]
    assert agent["disconnection_reason"] == "user_hangup"  # the caller hung up on it
    caller = stored[(talk.result_id, CALLER_SIDE)]
    assert caller["disconnection_reason"] == "agent_hangup"  # the simulated caller hung up
    tools = [
        s["tool"]["name"]
        for s in caller["transcript_with_tool_calls"]
        if s["role"] == "agent_function"
    ]
    assert tools == ["hang_up"]


def one_call(scenario: str = "small-talk", **update: Any) -> PlannedCall:
    call = next(c for c in plan_run(suite()).calls if c.scenario_id == scenario)
    return call.model_copy(update=update)


def improvising(call: PlannedCall) -> PlannedCall:
    meta = call.caller_metadata
    return call.model_copy(
        update={"caller_metadata": {**meta, "scenario": {**meta["scenario"], "turns": []}}}
    )


async def test_the_max_duration_ends_a_call_that_would_not_end(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    call = improvising(one_call(max_duration_s=0.3))
    chatty = settings(
        create_call_server,
        outbox_dir,
        caller_llm=lambda call: ScriptedLLM(respond=lambda ctx: Reply(text="Tell me more.")),
    )
    outcome = await run_text_call(call, chatty)
    assert outcome.status is OutcomeStatus.COMPLETED
    assert outcome.end_reason == "max_duration"
    assert outcome.warnings == ["the call outlived its max duration (0.3s); Ringback hung it up"]
    stored = sides(create_call_server)
    assert stored[(call.result_id, CALLER_SIDE)]["disconnection_reason"] == "agent_hangup"
    assert stored[(call.result_id, AGENT_SIDE)]["disconnection_reason"] == "user_hangup"


async def test_a_side_that_was_not_delivered_is_a_warning_on_the_outcome(outbox_dir: Path) -> None:
    async with CreateCallServer(api_key="rbk_the-right-key") as server:
        refused = settings(server, outbox_dir)
        refused.ringback["api_key"] = "rbk_a-revoked-key"
        # time for both 401s even on a loaded machine (a deadline would end the wait first)
        refused.ringback["delivery_deadline"] = 60
        outcome = await run_text_call(one_call(), refused)
    assert outcome.status is OutcomeStatus.COMPLETED
    assert [w.split(":", 1)[0] for w in outcome.warnings] == [
        "the caller's side of the call",
        "the agent's side of the call",
    ]
    assert all("401" in w for w in outcome.warnings), outcome.warnings
    assert all("rbk_a-revoked-key" not in w for w in outcome.warnings)


async def test_an_improvising_caller_plays_against_the_agent(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    call = improvising(one_call())
    replies = [
        Reply(text="Hi, is my order A1001 there?"),
        Reply(text="Thanks, bye.", tools=[ToolCall("hang_up")]),
    ]
    outcome = await run_text_call(
        call,
        settings(create_call_server, outbox_dir, caller_llm=lambda c: ScriptedLLM(replies)),
    )
    assert (outcome.status, outcome.end_reason) == (OutcomeStatus.COMPLETED, "hangup")
    agent = sides(create_call_server)[(call.result_id, AGENT_SIDE)]
    assert texts(agent) == [
        ("user", "Hi, is my order A1001 there?"),
        ("agent", "Order A1001 has shipped."),
    ]


async def test_a_failing_caller_is_an_error_not_an_agent_failure(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    call = improvising(one_call())
    broken = settings(
        create_call_server,
        outbox_dir,
        caller_llm=lambda c: ScriptedLLM([Reply(error="caller model down")]),
    )
    outcome = await run_text_call(call, broken)
    assert outcome.status is OutcomeStatus.ERROR
    assert outcome.failure_kind is FailureKind.INTERNAL
    assert "the simulated caller failed" in (outcome.reason or "")
    assert "caller model down" in (outcome.reason or "")
    assert len(sides(create_call_server)) == 2  # both sides are still recorded


async def test_an_agent_that_cannot_be_created_fails_the_call(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    def broken() -> Any:
        raise RuntimeError("missing API key")

    outcome = await run_text_call(
        one_call(), settings(create_call_server, outbox_dir, agent=broken)
    )
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.reason == "the agent could not be created: RuntimeError: missing API key"
    assert outcome.sip_call_id == synthetic_call_id(outcome.result_id)
    assert create_call_server.requests == []


async def test_stopping_hangs_up_the_active_calls(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    plan = plan_run(suite())
    calls = [improvising(c).model_copy(update={"max_duration_s": 60}) for c in plan.calls]
    sink = MemorySink()

    def chatty(call: PlannedCall) -> ScriptedLLM:
        return ScriptedLLM(respond=lambda ctx: Reply(text="Tell me more."))

    runner = BatchRunner(
        suite(),
        TextTransport(settings(create_call_server, outbox_dir, caller_llm=chatty)),
        sink=sink,
    )
    running = asyncio.ensure_future(
        runner.run(RunPlan(run_id=plan.run_id, suite=plan.suite, calls=calls))
    )
    await sink.wait_until(lambda: len(sink.placed) == 2)
    runner.stop()
    summary = await asyncio.wait_for(running, 30)
    assert summary.stopped
    assert summary.cancelled == 2
    assert {o.status for o in sink.outcomes} == {OutcomeStatus.CANCELLED}
    assert len(create_call_server.requests) == 4  # what was said is still synced


async def test_the_concurrency_limit_holds(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    plan = plan_run(suite())
    active = 0
    peak = 0

    class Counting(MemorySink):
        async def call_placed(self, call: PlannedCall, placed: Any) -> None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await super().call_placed(call, placed)

        async def call_finished(self, call: PlannedCall, outcome: Any) -> None:
            nonlocal active
            active -= 1
            await super().call_finished(call, outcome)

    sink = Counting()
    runner = BatchRunner(
        suite(), TextTransport(settings(create_call_server, outbox_dir)), sink=sink, concurrency=1
    )
    summary = await runner.run(plan)
    assert summary.completed == 2
    assert peak == 1
