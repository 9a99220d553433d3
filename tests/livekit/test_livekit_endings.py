"""How calls end (agent hang-up, errors, interruptions) and what the plugin does when things
around it break: a failing backend, broken callbacks, a bug in a handler, concurrent calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import Agent, AgentSession, RunResult
from livekit.agents.beta.tools import EndCallTool
from livekit.agents.voice.agent_session import SessionConnectOptions
from support.create_call_server import CreateCallServer, Fault
from support.livekit_agents import (
    INBOUND,
    INT,
    X_HEADERS,
    Support,
    closed,
    pending_entries,
    settings_kwargs,
    state_reached,
)
from support.livekit_room import FakeRoom, job_context

from ringback.core.delivery import entry_key
from ringback.livekit import RingbackPlugin
from ringback.livekit.history import HistoryRecorder
from ringback.livekit.testing import Reply, ScriptedLLM, ToolCall


class Concierge(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Help, then end the call.", tools=[EndCallTool()])


async def test_the_agent_hanging_up_is_an_agent_hangup(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    room.join("sip_caller", attributes={**INBOUND, **X_HEADERS}, emit=False)
    llm = ScriptedLLM(
        [Reply(tools=[ToolCall("end_call")]), Reply(text="Goodbye, have a nice day!")]
    )
    with job_context(room) as ctx:
        session: AgentSession[None] = AgentSession(llm=llm)
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Concierge())
        close = closed(session)
        await session.run(user_input="That's all, thanks.")
        assert (await close).reason.value == "user_initiated"  # EndCallTool: session.shutdown()
        await plugin.finish()
    body = create_call_server.requests[0].body
    assert body["disconnection_reason"] == "agent_hangup"
    assert [s["role"] for s in body["transcript_with_tool_calls"]] == [
        "node_transition",
        "user",
        "agent_function",
        "agent_result",
        "agent",
    ]
    result_row = body["transcript_with_tool_calls"][3]
    assert result_row["tool"]["name"] == "end_call"
    assert result_row["tool"]["result"] == {"value": "say goodbye to the user"}
    assert body["transcript_with_tool_calls"][4]["text"] == "Goodbye, have a nice day!"
    assert body["general_meta_data_raw"]["livekit"]["close_reason"] == "user_initiated"


async def test_a_reason_set_by_the_agent_beats_the_one_read_from_the_close(
    create_call_server: CreateCallServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    room = FakeRoom()
    room.join("sip_caller", attributes={**INBOUND, **X_HEADERS}, emit=False)
    llm = ScriptedLLM([Reply(tools=[ToolCall("end_call")]), Reply(text="Goodbye!")])
    with job_context(room) as ctx:
        session: AgentSession[None] = AgentSession(llm=llm)
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Concierge())
        plugin.set_disconnection_reason("timeout")
        with caplog.at_level(logging.ERROR, logger="ringback"):
            plugin.set_disconnection_reason("caller_got_bored")  # ignored, with an error
        await session.run(user_input="That's all, thanks.")
        await plugin.finish()
    assert create_call_server.requests[0].body["disconnection_reason"] == "timeout"
    assert "'caller_got_bored' is not a disconnection reason (" in caplog.text


async def test_an_unrecoverable_error_ends_the_call_as_error(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    llm = ScriptedLLM([Reply(text="Sure."), Reply(error="upstream 500")])
    with job_context(FakeRoom()) as ctx:
        session: AgentSession[None] = AgentSession(
            llm=llm, conn_options=SessionConnectOptions(max_unrecoverable_errors=0)
        )
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Support())
        await session.run(user_input="Hi")
        close = closed(session)
        with contextlib.suppress(RuntimeError):  # the run ends with the session
            await session.run(user_input="And?")
        assert (await close).reason.value == "error"
        await plugin.finish()
    body = create_call_server.requests[0].body
    assert body["disconnection_reason"] == "error"
    errors = body["general_meta_data_raw"]["errors"]
    assert errors == [
        {
            "at_ms": INT,
            "message": "APIError: upstream 500 (unrecoverable)",
            "fatal": False,
            "source": "ringback.livekit.testing.llm.ScriptedLLM",
        },
        {
            "at_ms": INT,
            "message": "APIError: upstream 500",
            "fatal": True,
            "source": "ringback.livekit.testing.llm.ScriptedLLM",
        },
    ]


async def test_an_interrupted_agent_turn_is_marked(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    llm = ScriptedLLM(
        [Reply(text="Our refund policy has five sections. ", hold=gate, more="One...")]
    )
    with job_context(FakeRoom()) as ctx:
        session: AgentSession[None] = AgentSession(llm=llm)
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Support())
        speaking = state_reached(session, "speaking")
        run: RunResult[None] = session.run(user_input="What is the refund policy?")
        await speaking
        await session.interrupt()  # the caller talks over the agent
        gate.set()
        await run
        await session.aclose()
        await plugin.finish()
    agent = create_call_server.requests[0].body["transcript_with_tool_calls"][-1]
    assert agent["role"] == "agent"
    assert agent["text"] == "Our refund policy has five sections."
    assert agent["metadata"]["interrupted"] is True


async def test_delivery_never_holds_up_the_session(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    create_call_server.script(Fault(hold=True))  # the backend accepts, then hangs
    with job_context(FakeRoom()) as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Support())
        await session.run(user_input="Hi")
        await session.aclose()  # returns while the upload hangs
        assert plugin.result is None
        (held,) = await create_call_server.wait_for_requests(1)
        assert held.status is None
        # on disk before the first network attempt
        assert [e.key for e in pending_entries(tmp_path)] == [entry_key(str(plugin.call_id))]
        create_call_server.release()
        result = await plugin.finish()
    assert result is not None
    assert result.delivered
    assert pending_entries(tmp_path) == []


async def test_a_down_backend_leaves_the_call_for_the_next_worker(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    down = "http://127.0.0.1:9"
    with job_context(FakeRoom()) as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
        kwargs = settings_kwargs(down, tmp_path, delivery_deadline=0.2)
        first = RingbackPlugin(session, ctx, **kwargs)
        await session.start(Support())
        await session.run(user_input="Hi")
        await session.aclose()
        result = await first.finish()
    assert result is not None
    assert result.persisted
    assert result.pending
    assert [e.key for e in pending_entries(tmp_path)] == [entry_key(str(first.call_id))]

    # the next job (worker start) with the backend up sends what the first one left
    with job_context(FakeRoom()) as ctx:
        later: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello again!")]))
        second = RingbackPlugin(later, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        (request,) = await create_call_server.wait_for_requests(1)
        assert request.call_id == first.call_id
        await later.start(Support())
        await later.aclose()
        await second.finish()
    assert {r.call_id for r in create_call_server.requests} == {first.call_id, second.call_id}
    await create_call_server.wait_until(
        lambda: all(r.status == 201 for r in create_call_server.requests)
    )
    assert pending_entries(tmp_path) == []


async def test_broken_user_callbacks_do_not_lose_the_call(
    create_call_server: CreateCallServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_url() -> str:
        raise RuntimeError("storage offline")

    def broken_cost(_: Any) -> float:
        raise ZeroDivisionError("no price list")

    with job_context(FakeRoom()) as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
        plugin = RingbackPlugin(
            session,
            ctx,
            recording_url=broken_url,
            cost_calculator=broken_cost,
            call_type="carrier_pigeon",  # invalid: logged and ignored
            metadata={"team": "support", "opaque": object()},
            **settings_kwargs(create_call_server.url, tmp_path),
        )
        await session.start(Support())
        await session.run(user_input="Hi")
        await session.aclose()
        result = await plugin.finish()
    assert result is not None
    assert result.delivered
    body = create_call_server.requests[0].body
    assert "recording_url" not in body
    assert "call_cost" not in body
    assert body["call_type"] == "web_call"
    assert body["general_meta_data_raw"]["team"] == "support"
    assert body["general_meta_data_raw"]["opaque"].startswith("<object object at")
    assert "recording URL resolver failed" in caplog.text
    assert "cost calculator failed" in caplog.text
    assert "option call_type is invalid" in caplog.text


async def test_a_failing_handler_stays_inside_the_plugin(
    create_call_server: CreateCallServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(self: HistoryRecorder, item: Any) -> None:
        raise RuntimeError("bug in the plugin")

    monkeypatch.setattr(HistoryRecorder, "message", explode)
    with job_context(FakeRoom()) as ctx:
        session: AgentSession[None] = AgentSession(
            llm=ScriptedLLM([Reply(text="One."), Reply(text="Two.")])
        )
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Support())
        first: RunResult[None] = await session.run(user_input="Hi")
        second: RunResult[None] = await session.run(user_input="Again")
        await session.aclose()
        result = await plugin.finish()
    # the agent never noticed
    first.expect.contains_message(role="assistant")
    second.expect.contains_message(role="assistant")
    assert result is not None
    assert result.delivered
    roles = [s["role"] for s in create_call_server.requests[0].body["transcript_with_tool_calls"]]
    assert roles == ["node_transition"]  # the handoff still made it; messages could not
    logged = [r for r in caplog.records if "error handling conversation_item_added" in r.message]
    assert len(logged) == 1  # once, not once per item


async def test_the_api_key_never_reaches_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with CreateCallServer(api_key="tr_api_the_right_one") as server:
        with caplog.at_level(logging.DEBUG), job_context(FakeRoom()) as ctx:
            session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
            plugin = RingbackPlugin(
                session,
                ctx,
                api_key="tr_api_wrong_secret_1234",
                **settings_kwargs(server.url, tmp_path),
            )
            await session.start(Support())
            await session.run(user_input="Hi")
            await session.aclose()
            result = await plugin.finish()
    assert result is not None
    assert result.outcomes[0].status.value == "auth_failed"
    assert server.requests[0].headers["authorization"] == "Bearer tr_api_wrong_secret_1234"
    assert "wrong_secret" not in caplog.text
    assert "auth_failed" in caplog.text


@pytest.mark.parametrize("how", ["keyword", "env"])
async def test_disabled_does_nothing(
    how: str,
    create_call_server: CreateCallServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kwargs = settings_kwargs(create_call_server.url, tmp_path)
    if how == "keyword":
        kwargs["enabled"] = False
    else:
        monkeypatch.setenv("RINGBACK_ENABLED", "false")
    room = FakeRoom()
    room.join("sip_caller", attributes=INBOUND, emit=False)
    with job_context(room) as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
        plugin = RingbackPlugin(session, ctx, **kwargs)
        await session.start(Support())
        await session.run(user_input="Hi")
        await session.aclose()
        assert await plugin.finish() is None
    assert not plugin.enabled
    assert plugin.call_id is None
    assert not create_call_server.requests
    assert not room.local_participant.rpc_calls
    assert not tmp_path.joinpath("pending").exists()


async def one_call(name: str, server: CreateCallServer, outbox: Path, turns: int) -> RingbackPlugin:
    room = FakeRoom(f"room-{name}")
    caller = room.join(
        f"sip_{name}",
        attributes={**INBOUND, "sip.callIDFull": f"{name}@pbx.example.com", "sip.h.x-run-id": name},
        emit=False,
    )
    replies = [Reply(text=f"{name} answer {i}") for i in range(turns)]
    with job_context(room, job_id=f"job-{name}") as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM(replies))
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(server.url, outbox))
        await session.start(Support())
        for i in range(turns):
            await session.run(user_input=f"{name} question {i}")
        room.leave(caller, rtc.DisconnectReason.CLIENT_INITIATED)
        await session.aclose()
        await plugin.finish()
    return plugin


async def test_concurrent_calls_in_one_process_each_produce_their_own_call(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    names = ["alpha", "bravo", "charlie"]
    plugins = await asyncio.gather(
        *(one_call(n, create_call_server, tmp_path, turns=3 + i) for i, n in enumerate(names))
    )
    by_call = {r.call_id: r.body for r in create_call_server.requests}
    assert len(by_call) == 3
    for i, (name, plugin) in enumerate(zip(names, plugins, strict=True)):
        body = by_call[plugin.call_id]
        texts = [s["text"] for s in body["transcript_with_tool_calls"] if s["text"]]
        expected: list[str] = []
        for turn in range(3 + i):
            expected += [f"{name} question {turn}", f"{name} answer {turn}"]
        assert texts == expected
        assert body["sip_call_id"] == f"{name}@pbx.example.com"
        assert body["sip_headers"] == {"X-Run-Id": name}
        assert body["general_meta_data_raw"]["livekit"]["job_id"] == f"job-{name}"


async def test_attached_after_start_still_records_the_whole_history(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    with job_context(FakeRoom()) as ctx:
        session: AgentSession[None] = AgentSession(
            llm=ScriptedLLM([Reply(text="Early."), Reply(text="Late.")])
        )
        await session.start(Support())
        await session.run(user_input="Before the plugin")
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.run(user_input="After the plugin")
        await session.aclose()
        await plugin.finish()
    rows = create_call_server.requests[0].body["transcript_with_tool_calls"]
    assert [(s["role"], s["text"]) for s in rows] == [
        ("node_transition", ""),
        ("user", "Before the plugin"),
        ("agent", "Early."),
        ("user", "After the plugin"),
        ("agent", "Late."),
    ]


async def test_works_without_a_job_context(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
    plugin = RingbackPlugin(session, **settings_kwargs(create_call_server.url, tmp_path))
    await session.start(Support())
    await session.run(user_input="Hi")
    await session.aclose()
    result = await plugin.finish()
    assert result is not None
    assert result.delivered
    body = create_call_server.requests[0].body
    assert body["call_type"] == "web_call"
    assert body["disconnection_reason"] == "agent_hangup"
    assert "job_id" not in body["general_meta_data_raw"]["livekit"]
