"""RingbackPlugin end to end: real AgentSessions in text mode, a SIP participant in the room,
a real Create Call API server; assertions on the exact JSON it received."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import AgentSession, CloseEvent, CloseReason
from support.create_call_server import CreateCallServer
from support.livekit_agents import (
    CALL_ID_FULL,
    CALLER_NUMBER,
    INBOUND,
    INT,
    ISO,
    RESULT_ID,
    RUN_ID,
    SCENARIO_ID,
    SIP_HEADERS,
    TRUNK_NUMBER,
    X_HEADERS,
    Support,
    closed,
    settings_kwargs,
)
from support.livekit_room import FakeRoom, job_context

from ringback.core.settings import Sink
from ringback.livekit import RingbackPlugin
from ringback.livekit.testing import Reply, ScriptedLLM, ToolCall, Usage

SUPPORT_SCRIPT = [
    Reply(tools=[ToolCall("lookup_order", {"order_id": "A1"})], usage=Usage(120, 12)),
    Reply(text="Order A1 has shipped.", usage=Usage(150, 8, cached_tokens=100)),
    Reply(tools=[ToolCall("transfer_to_billing")], usage=Usage(170, 9)),
    Reply(text="Billing here. Goodbye!", usage=Usage(90, 6)),
]


def tool(name: str, request_id: str, params: dict[str, Any], result: dict[str, Any]) -> dict:
    return {
        "name": name,
        "request_id": request_id,
        "params": params,
        "result": result,
        "is_error": False,
        "start_ms": INT,
    }


def segment(role: str, text: str = "", **extra: Any) -> dict[str, Any]:
    seg: dict[str, Any] = {"role": role, "text": text, "start_ms": INT, "metadata": {}}
    seg.update(extra)
    return seg


AGENT_TURN = {"llm_node_ttft": INT, "playback_latency": INT, "interrupted": False}


def assert_in_order(body: dict[str, Any]) -> None:
    starts = [s["start_ms"] for s in body["transcript_with_tool_calls"]]
    assert starts == sorted(starts)
    for s in body["transcript_with_tool_calls"]:
        if s["end_ms"] is not None:
            assert s["duration_ms"] == s["end_ms"] - s["start_ms"]


async def test_inbound_sip_call_exact_json(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    joined = time.time() - 3.0
    room = FakeRoom("call-_+15105550100_abc")
    caller = room.join(
        "sip_+15105550100",
        attributes={**INBOUND, **X_HEADERS},
        joined_at_ms=int(joined * 1000),
        emit=False,  # already in the room when the agent connected
    )
    with job_context(room, job_id="AJ_inbound") as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM(SUPPORT_SCRIPT))
        plugin = RingbackPlugin(
            session, ctx, agent_version=4, **settings_kwargs(create_call_server.url, tmp_path)
        )
        await session.start(Support())
        await session.run(user_input="Where is order A1?")
        await session.run(user_input="Can I talk to billing?")
        await session.run(user_input="Thanks, bye.")
        close = closed(session)
        left = time.time()
        room.leave(caller, rtc.DisconnectReason.CLIENT_INITIATED)
        await session.aclose()
        result = await plugin.finish()

    assert result is not None
    assert result.delivered
    # the call's own start and end: the SIP leg's join and the caller's hang-up
    ringback = create_call_server.requests[0].body["general_meta_data_raw"]["ringback"]
    assert datetime.fromisoformat(ringback["started_at"]).timestamp() == pytest.approx(
        joined, abs=0.002
    )
    ended = datetime.fromisoformat(ringback["ended_at"]).timestamp()
    # ended_at is kept to the millisecond; the session closes well under 1 ms after the leave
    assert left - 0.002 <= ended <= (await close).created_at + 0.001
    (request,) = create_call_server.requests
    assert request.query == {"workspace_id": "1", "agent_remote_identifier": "support-bot"}
    body = request.body
    assert_in_order(body)
    assert body == {
        "call_id": plugin.call_id,
        "call_type": "phone_call",
        "start_timestamp": int(joined),
        "end_timestamp": INT,
        "duration_ms": INT,
        "call_status": "call_ended",
        "agent_version": 4,
        "disconnection_reason": "user_hangup",
        "sip_call_id": CALL_ID_FULL,
        "sip_headers": SIP_HEADERS,
        "recipient": TRUNK_NUMBER,
        "transcript_with_tool_calls": [
            segment(
                "node_transition",
                end_ms=INT,
                duration_ms=0,
                node={"to": "support", "from": None, "reason": "start"},
            ),
            segment("user", "Where is order A1?", end_ms=None),
            segment(
                "agent_function",
                end_ms=INT,
                duration_ms=INT,
                tool=tool("lookup_order", "call_req_1_0", {"order_id": "A1"}, {}),
            ),
            segment(
                "agent_result",
                end_ms=INT,
                duration_ms=0,
                metadata={"tool_duration_ms": INT},
                tool=tool(
                    "lookup_order",
                    "call_req_1_0",
                    {"order_id": "A1"},
                    {"status": "shipped", "order_id": "A1"},
                ),
            ),
            segment(
                "agent", "Order A1 has shipped.", end_ms=INT, duration_ms=INT, metadata=AGENT_TURN
            ),
            segment("user", "Can I talk to billing?", end_ms=None),
            segment(
                "agent_function",
                end_ms=INT,
                duration_ms=INT,
                tool=tool("transfer_to_billing", "call_req_3_0", {}, {}),
            ),
            segment(
                "agent_result",
                end_ms=INT,
                duration_ms=0,
                metadata={"tool_duration_ms": INT},
                tool=tool("transfer_to_billing", "call_req_3_0", {}, {}),
            ),
            segment(
                "node_transition",
                end_ms=INT,
                duration_ms=0,
                node={"to": "billing", "from": "support", "reason": "handoff"},
            ),
            segment("user", "Thanks, bye.", end_ms=None),
            segment(
                "agent", "Billing here. Goodbye!", end_ms=INT, duration_ms=INT, metadata=AGENT_TURN
            ),
        ],
        "general_meta_data_raw": {
            "ai_models": {"asr_model": "", "llm_model": "scripted-llm", "tts_model": ""},
            "usage_token": {
                "stt_duration_seconds": None,
                "llm_token": 120 + 12 + 150 + 8 + 170 + 9 + 90 + 6,
                "tts_characters_count": None,
            },
            "usage": [
                {
                    "kind": "llm",
                    "model": "scripted-llm",
                    "provider": "ringback",
                    "input_tokens": 530,
                    "cached_input_tokens": 100,
                    "output_tokens": 35,
                }
            ],
            "livekit": {
                "agents_version": "1.8.9",
                "job_id": "AJ_inbound",
                "room": "call-_+15105550100_abc",
                "close_reason": "user_initiated",
                "caller_disconnect_reason": "CLIENT_INITIATED",
                "direction": "inbound",
                "remote_headers": "not_tried",
            },
            "ringback": {"started_at": ISO, "ended_at": ISO},
            "correlation": {
                "provider": "livekit",
                "run_id": RUN_ID,
                "scenario_id": SCENARIO_ID,
                "result_id": RESULT_ID,
                "caller": CALLER_NUMBER,
                "native_ids": {
                    "livekit.sip.callID": "SCL_8a9b7c6d5e4f",
                    "livekit.sip.trunkID": "ST_inbound",
                    "livekit.sip.ruleID": "SDR_support",
                },
                "sources": {
                    "sip_call_id": "livekit:sip.callIDFull",
                    "X-Run-Id": "livekit:sip.h.x-run-id",
                    "X-Scenario-Id": "livekit:sip.h.x-scenario-id",
                    "X-Result-Id": "livekit:sip.h.x-result-id",
                    "X-Correlation-Id": "livekit:sip.h.x-correlation-id",
                    "X-Customer-Tier": "livekit:sip.h.x-customer-tier",
                    "caller": "livekit:sip.phoneNumber",
                    "recipient": "livekit:sip.trunkPhoneNumber",
                    "run_id": "header X-Run-Id",
                    "scenario_id": "header X-Scenario-Id",
                    "result_id": "header X-Result-Id",
                },
            },
        },
    }


async def run_short_call(
    room: FakeRoom,
    server: CreateCallServer,
    outbox: Path,
    *,
    leave: rtc.RemoteParticipant | None = None,
    **plugin_kwargs: Any,
) -> tuple[RingbackPlugin, dict[str, Any]]:
    """One turn, then the caller (if given) leaves and the session closes."""
    with job_context(room) as ctx:
        session: AgentSession[None] = AgentSession(
            llm=ScriptedLLM([Reply(text="Hello, how can I help?")])
        )
        plugin = RingbackPlugin(
            session, ctx, **settings_kwargs(server.url, outbox, **plugin_kwargs)
        )
        await session.start(Support())
        await session.run(user_input="Hi")
        if leave is not None:
            room.leave(leave)
        await session.aclose()
        await plugin.finish()
    (request,) = server.requests
    return plugin, request.body


async def test_attributes_that_arrive_late_are_captured(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    with job_context(room) as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Support())
        # joins after the agent, with LiveKit's own attributes only
        caller = room.join("sip_caller", attributes={"sip.callID": "SCL_late"})
        await session.run(user_input="Hi")
        room.update_attributes(caller, INBOUND)  # headers_to_attributes lands later still
        room.update_attributes(caller, X_HEADERS)
        await session.aclose()
        await plugin.finish()
    body = create_call_server.requests[0].body
    assert body["sip_call_id"] == CALL_ID_FULL
    assert body["sip_headers"] == SIP_HEADERS
    assert body["recipient"] == TRUNK_NUMBER
    assert body["general_meta_data_raw"]["correlation"]["caller"] == CALLER_NUMBER
    assert "warnings" not in body["general_meta_data_raw"]["correlation"]
    # no X- headers when it joined, so the plugin asked LiveKit SIP (which did not support it)
    (rpc,) = room.local_participant.rpc_calls
    assert (rpc.destination_identity, rpc.method) == ("sip_caller", "lk.sip.GetRemoteHeaders")
    assert body["general_meta_data_raw"]["livekit"]["remote_headers"] == "unsupported"


async def test_get_remote_headers_fills_in_missing_headers(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    room.local_participant.rpc_answer = room.local_participant.headers_answer(
        {
            "Call-ID": CALL_ID_FULL,
            "From": "<sip:+15105550100@pstn.example.com>;tag=1928301774",
            "To": "<sip:+15105550199@livekit.example.com>",
            "Contact": "<sip:+15105550100@203.0.113.7:5060>",
            "X-Run-Id": RUN_ID,
            "X-Result-Id": RESULT_ID,
            "X-Correlation-Id": RESULT_ID,
        }
    )
    attributes = {k: v for k, v in INBOUND.items() if k != "sip.callIDFull"}
    room.join("sip_caller", attributes=attributes, emit=False)
    _, body = await run_short_call(room, create_call_server, tmp_path)

    (rpc,) = room.local_participant.rpc_calls
    assert rpc.method == "lk.sip.GetRemoteHeaders"
    assert rpc.response_timeout == 2.0
    assert body["sip_call_id"] == CALL_ID_FULL
    # only X- headers leave the agent: From/To/Contact (phone numbers) never do
    assert body["sip_headers"] == {
        "X-Run-Id": RUN_ID,
        "X-Result-Id": RESULT_ID,
        "X-Correlation-Id": RESULT_ID,
    }
    assert "203.0.113.7" not in create_call_server.requests[0].raw.decode()
    meta = body["general_meta_data_raw"]
    assert meta["livekit"]["remote_headers"] == "ok"
    assert meta["correlation"]["result_id"] == RESULT_ID
    assert "warnings" not in meta["correlation"]


async def test_sip_call_without_headers_warns_once_about_include_headers(
    create_call_server: CreateCallServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    room = FakeRoom()
    caller = room.join("sip_caller", attributes=INBOUND, emit=False)  # no sip.h.* at all
    with caplog.at_level("WARNING", logger="ringback"):
        _, body = await run_short_call(room, create_call_server, tmp_path, leave=caller)

    assert body["sip_call_id"] == CALL_ID_FULL
    assert "sip_headers" not in body
    assert body["call_type"] == "phone_call"
    (warning,) = body["general_meta_data_raw"]["correlation"]["warnings"]
    assert "include_headers=SIP_X_HEADERS" in warning
    assert "(unsupported)" in warning
    logged = [r for r in caplog.records if "include_headers" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].levelname == "WARNING"


async def test_a_get_remote_headers_timeout_is_reported(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    room.local_participant.rpc_answer = rtc.RpcError(
        rtc.RpcError.ErrorCode.RESPONSE_TIMEOUT, "Response timeout"
    )
    room.join("sip_caller", attributes=INBOUND, emit=False)
    _, body = await run_short_call(room, create_call_server, tmp_path)
    assert body["general_meta_data_raw"]["livekit"]["remote_headers"] == "timeout"
    assert "(timeout)" in body["general_meta_data_raw"]["correlation"]["warnings"][0]


async def test_a_hanging_get_remote_headers_does_not_hold_the_call(
    create_call_server: CreateCallServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ringback.livekit import plugin as plugin_module

    monkeypatch.setattr(plugin_module, "LOOKUP_WAIT", 0.01)
    room = FakeRoom()
    room.local_participant.rpc_answer = room.local_participant.HOLD  # never answers
    room.join("sip_caller", attributes=INBOUND, emit=False)
    plugin, body = await run_short_call(room, create_call_server, tmp_path)
    assert plugin.result is not None
    assert plugin.result.delivered
    # handed over without waiting for the RPC's own 2 s timeout
    assert body["general_meta_data_raw"]["livekit"]["remote_headers"] == "pending"
    assert "(still pending)" in body["general_meta_data_raw"]["correlation"]["warnings"][0]


async def test_the_scl_id_is_never_the_call_id(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    room.join("sip_caller", attributes={"sip.callID": "SCL_onlythis", "sip.ruleID": "SDR_1"})
    _, body = await run_short_call(room, create_call_server, tmp_path)
    assert "sip_call_id" not in body
    assert body["call_type"] == "phone_call"  # a SIP participant took part
    correlation = body["general_meta_data_raw"]["correlation"]
    assert correlation["native_ids"]["livekit.sip.callID"] == "SCL_onlythis"
    assert any("sip.callIDFull" in w for w in correlation["warnings"])


async def test_an_explicit_sip_correlation_id_wins(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    room.join("sip_caller", attributes={**INBOUND, **X_HEADERS}, emit=False)
    _, body = await run_short_call(
        room, create_call_server, tmp_path, sip_correlation_id="given-4711@sbc.example.com"
    )
    assert body["sip_call_id"] == "given-4711@sbc.example.com"
    assert body["sip_headers"] == SIP_HEADERS
    assert body["general_meta_data_raw"]["correlation"]["sources"]["sip_call_id"] == "explicit"


@pytest.mark.parametrize("direction", [None, "outbound"])
async def test_outbound_call_puts_the_dialled_number_in_recipient(
    direction: str | None, create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    # CreateSIPParticipant: no dispatch rule; the callee's number is sip.phoneNumber
    outbound = {k: v for k, v in INBOUND.items() if k != "sip.ruleID"}
    outbound["sip.callStatus"] = "ringing"
    callee = room.join("sip_callee", attributes=outbound)
    room.update_attributes(callee, {"sip.callStatus": "active"})  # answered
    kwargs: dict[str, Any] = {"direction": direction} if direction else {}
    _, body = await run_short_call(room, create_call_server, tmp_path, **kwargs)
    assert body["recipient"] == CALLER_NUMBER
    assert body["general_meta_data_raw"]["correlation"]["caller"] == TRUNK_NUMBER
    assert body["general_meta_data_raw"]["livekit"]["direction"] == "outbound"
    # the X- headers of a call the agent placed were its own: none missing to warn about
    warnings = body["general_meta_data_raw"]["correlation"].get("warnings", [])
    assert not [w for w in warnings if w.startswith("No X- headers reached")]


async def test_a_web_call_has_no_sip_fields(
    create_call_server: CreateCallServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    room = FakeRoom()
    user = room.join("web-user", kind=rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD)
    with caplog.at_level("WARNING", logger="ringback"):
        _, body = await run_short_call(room, create_call_server, tmp_path, leave=user)
    assert body["call_type"] == "web_call"
    assert body["disconnection_reason"] == "user_hangup"
    for key in ("sip_call_id", "sip_headers", "recipient"):
        assert key not in body
    assert "correlation" not in body["general_meta_data_raw"]
    assert not room.local_participant.rpc_calls
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


async def test_a_second_sip_leg_does_not_replace_the_callers_correlation(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    room.join("sip_caller", attributes={**INBOUND, **X_HEADERS}, emit=False)
    # a transfer target dialled by the agent joins later with its own Call-ID
    room.join(
        "sip_transfer",
        attributes={"sip.callID": "SCL_other", "sip.callIDFull": "other@pbx.example.com"},
    )
    _, body = await run_short_call(room, create_call_server, tmp_path)
    assert body["sip_call_id"] == CALL_ID_FULL
    assert body["recipient"] == TRUNK_NUMBER


async def test_a_caller_already_in_the_room_when_the_job_connects(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom(connected=False)
    room.join("sip_caller", attributes={**INBOUND, **X_HEADERS})
    with job_context(room) as ctx:
        # fake_job_context marks the job connected (tests usually own the room); undo that so
        # JobContext.connect() runs as in a worker, as session.start(room=...) would run it
        ctx._connected = False
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        assert not room.remote_participants  # nothing to read yet
        await ctx.connect()  # the caller appears without a participant_connected event
        await session.start(Support())
        await session.run(user_input="Hi")
        await session.aclose()
        await plugin.finish()
    body = create_call_server.requests[0].body
    assert body["sip_call_id"] == CALL_ID_FULL
    assert body["sip_headers"] == SIP_HEADERS
    assert body["call_type"] == "phone_call"


async def test_start_and_end_are_the_calls_own(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    joined = time.time() - 30.0  # the caller was on the line before the agent's job began
    room = FakeRoom()
    caller = room.join(
        "sip_caller", attributes=INBOUND, joined_at_ms=round(joined * 1000), emit=False
    )
    with job_context(room) as ctx:
        session: AgentSession[None] = AgentSession()
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        left = time.time()
        room.leave(caller, rtc.DisconnectReason.CLIENT_INITIATED)
        # the session only reports its close a minute later
        session.emit("close", CloseEvent(reason=CloseReason.USER_INITIATED, created_at=left + 60))
        await plugin.finish()
    body = create_call_server.requests[0].body
    assert body["start_timestamp"] == int(joined)
    assert body["duration_ms"] == pytest.approx((left - joined) * 1000, abs=50)
    assert body["disconnection_reason"] == "user_hangup"  # the caller hung up first


async def test_extra_sinks_get_every_call_as_with_the_pipecat_observer(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    room = FakeRoom()
    user = room.join("web-user", kind=rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD)
    async with CreateCallServer() as mirror:
        plugin, body = await run_short_call(
            room,
            create_call_server,
            tmp_path,
            leave=user,
            request_timeout=5,
            extra_sinks=[Sink(name="mirror", base_url=mirror.url)],
        )
        assert plugin.result is not None
        assert [o.sink for o in plugin.result.outcomes] == ["primary", "mirror"]
        assert plugin.result.delivered
        (copy,) = mirror.requests
    assert copy.body["call_id"] == body["call_id"] == plugin.call_id


async def test_a_malformed_extra_sinks_setting_costs_no_call(
    create_call_server: CreateCallServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_EXTRA_SINKS", '[{"base_url": "https://backup.example.com"}]')
    room = FakeRoom()
    with job_context(room) as ctx:
        session: AgentSession[None] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
        plugin = RingbackPlugin(session, ctx, **settings_kwargs(create_call_server.url, tmp_path))
        await session.start(Support())
        await session.run(user_input="Hi")
        await session.aclose()
        result = await plugin.finish()  # recorded nothing before: the sinks raised

    assert result is not None
    assert result.delivered
    assert [o.sink for o in result.outcomes] == ["primary"]
    (request,) = create_call_server.requests
    assert [
        s["text"] for s in request.body["transcript_with_tool_calls"] if s["role"] == "user"
    ] == ["Hi"]
