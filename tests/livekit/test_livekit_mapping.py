"""The LiveKit -> Create Call API mappings, item by item: close reasons, chat items with
speech metrics (what only audio sessions produce), usage totals, tool payloads, SIP headers."""

from __future__ import annotations

import json

import pytest
from livekit import rtc
from livekit.agents import CloseReason, llm
from livekit.agents.metrics import AgentSessionUsage, LLMModelUsage, STTModelUsage, TTSModelUsage
from support.livekit_room import FakeRoom

from ringback.core.contract import DisconnectionReason
from ringback.core.timeline import CallClock, Timeline
from ringback.livekit.close_reason import disconnection_reason
from ringback.livekit.history import HistoryRecorder, tool_payload
from ringback.livekit.sip_participant import CallerTracker, headers_from_rpc
from ringback.livekit.usage import apply_usage

T0 = 1_750_000_000.0
DR = rtc.DisconnectReason
USER, AGENT, ERROR, UNKNOWN = (
    DisconnectionReason.USER_HANGUP,
    DisconnectionReason.AGENT_HANGUP,
    DisconnectionReason.ERROR,
    DisconnectionReason.UNKNOWN,
)


@pytest.mark.parametrize(
    ("close", "departure", "shutdown", "expected"),
    [
        (CloseReason.PARTICIPANT_DISCONNECTED, None, None, USER),
        (CloseReason.USER_INITIATED, None, None, AGENT),  # session.shutdown() / aclose()
        (CloseReason.TASK_COMPLETED, None, None, AGENT),
        (CloseReason.JOB_SHUTDOWN, None, None, AGENT),  # drain, ctx.shutdown()
        (CloseReason.ERROR, None, None, ERROR),
        (CloseReason.ERROR, DR.CLIENT_INITIATED, None, ERROR),
        (CloseReason.USER_INITIATED, DR.CLIENT_INITIATED, None, USER),  # caller left first
        (CloseReason.PARTICIPANT_DISCONNECTED, DR.ROOM_DELETED, None, AGENT),  # delete_room()
        (CloseReason.PARTICIPANT_DISCONNECTED, DR.USER_REJECTED, None, USER),  # busy callee
        (CloseReason.JOB_SHUTDOWN, DR.PARTICIPANT_REMOVED, None, AGENT),
        (CloseReason.USER_INITIATED, DR.SIP_TRUNK_FAILURE, None, ERROR),
        (CloseReason.USER_INITIATED, DR.MEDIA_FAILURE, None, ERROR),
        (CloseReason.USER_INITIATED, DR.MIGRATION, None, AGENT),  # says nothing: close decides
        (None, None, "job crashed", ERROR),
        (None, None, "simulation completed", USER),
        (None, None, "parent process shutdown", AGENT),
        (None, None, "room disconnected", AGENT),
        (None, DR.CLIENT_INITIATED, "room disconnected", USER),
        (None, None, None, UNKNOWN),
    ],
)
def test_disconnection_reason(
    close: CloseReason | None, departure: int | None, shutdown: str | None, expected: str
) -> None:
    assert disconnection_reason(close=close, departure=departure, shutdown=shutdown) == expected


def build(timeline: Timeline) -> dict:
    return timeline.build(call_id="c").model_dump(mode="json", exclude_none=True)


def test_speech_metrics_confidence_and_interruption() -> None:
    timeline = Timeline(clock=CallClock(wall_origin=T0))
    items = HistoryRecorder(timeline)
    user = llm.ChatMessage(
        role="user",
        content=["I want a refund"],
        transcript_confidence=0.87654,
        created_at=T0 + 2.6,
        metrics={
            "started_speaking_at": T0 + 1.0,
            "stopped_speaking_at": T0 + 2.5,
            "transcription_delay": 0.12,
            "end_of_turn_delay": 0.4,
            "on_user_turn_completed_delay": 0.003,
            "stt_metadata": {"model_name": "nova-3", "model_provider": "deepgram"},
        },
    )
    agent = llm.ChatMessage(
        role="assistant",
        content=["Sure, let me check "],
        interrupted=True,
        created_at=T0 + 3.2,
        metrics={
            "started_speaking_at": T0 + 3.3,
            "stopped_speaking_at": T0 + 4.0,
            "llm_node_ttft": 0.35,
            "tts_node_ttfb": 0.21,
            "e2e_latency": 0.8,
            "playback_latency": 0.01,
            "llm_metadata": {"model_name": "gpt-4.1-mini", "model_provider": "openai"},
            "tts_metadata": {"model_name": "sonic-2", "model_provider": "cartesia"},
        },
    )
    system = llm.ChatMessage(role="system", content=["You are..."], created_at=T0)
    for item in (system, user, agent, agent):  # the same item twice is recorded once
        items.add(item)
    record = build(timeline)
    assert record["transcript_with_tool_calls"] == [
        {
            "role": "user",
            "text": "I want a refund",
            "start_ms": 1000,
            "end_ms": 2500,
            "duration_ms": 1500,
            "metadata": {
                "eou_delay": 400,
                "transcript_confidence": 0.8765,
                "transcription_delay": 120,
                "on_user_turn_completed_delay": 3,
            },
        },
        {
            "role": "agent",
            "text": "Sure, let me check",
            "start_ms": 3300,
            "end_ms": 4000,
            "duration_ms": 700,
            "metadata": {
                "e2e_latency": 800,
                "llm_node_ttft": 350,
                "tts_node_ttfb": 210,
                "interrupted": True,
                "playback_latency": 10,
            },
        },
    ]
    assert record["general_meta_data_raw"]["ai_models"] == {
        "asr_model": "nova-3",
        "llm_model": "gpt-4.1-mini",
        "tts_model": "sonic-2",
    }


def test_tool_rows_from_history_items() -> None:
    timeline = Timeline(clock=CallClock(wall_origin=T0))
    items = HistoryRecorder(timeline)
    ok = llm.FunctionCall(call_id="c1", name="lookup", arguments='{"id": 7}', created_at=T0 + 1)
    ok_out = llm.FunctionCallOutput(
        call_id="c1",
        name="lookup",
        output="{'found': True, 'items': [1, 2]}",
        is_error=False,
        created_at=T0 + 1.25,
    )
    bad = llm.FunctionCall(call_id="c2", name="refund", arguments="{}", created_at=T0 + 2)
    bad_out = llm.FunctionCallOutput(
        call_id="c2",
        name="refund",
        output="An internal error occurred",
        is_error=True,
        created_at=T0 + 2.5,
    )
    cut = llm.FunctionCall(call_id="c3", name="transfer", arguments="{}", created_at=T0 + 3)
    items.reconcile([ok, ok_out, bad, bad_out, cut])
    rows = build(timeline)["transcript_with_tool_calls"]
    assert [(r["role"], r["tool"]["name"], r["start_ms"]) for r in rows] == [
        ("agent_function", "lookup", 1000),
        ("agent_result", "lookup", 1250),
        ("agent_function", "refund", 2000),
        ("agent_result", "refund", 2500),
        ("agent_function", "transfer", 3000),
    ]
    assert rows[1]["tool"]["params"] == {"id": 7}
    assert rows[1]["tool"]["result"] == {"found": True, "items": [1, 2]}
    assert rows[1]["metadata"] == {"tool_duration_ms": 250}
    assert rows[3]["tool"]["is_error"] is True
    assert rows[3]["tool"]["error"] == "An internal error occurred"
    assert rows[4]["metadata"] == {"completed": False}  # cut short by the hang-up


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("[1, 2]", {"value": [1, 2]}),
        ("{'a': None, 'b': (1, 2)}", {"a": None, "b": [1, 2]}),  # str() of a returned dict
        ("done", {"value": "done"}),
        ("{not python}", {"value": "{not python}"}),
        ("{__import__('os').system('x')}", {"value": "{__import__('os').system('x')}"}),
        ("", {}),
        (None, {}),
    ],
)
def test_tool_payload(text: str | None, expected: dict) -> None:
    assert tool_payload(text) == expected


def test_usage_totals_replace_instead_of_adding() -> None:
    timeline = Timeline()
    first = AgentSessionUsage(
        model_usage=[
            LLMModelUsage(
                provider="openai", model="gpt-4.1-mini", input_tokens=100, output_tokens=10
            ),
        ]
    )
    later = AgentSessionUsage(
        model_usage=[
            LLMModelUsage(
                provider="openai",
                model="gpt-4.1-mini",
                input_tokens=300,
                input_cached_tokens=120,
                output_tokens=30,
            ),
            STTModelUsage(provider="deepgram", model="nova-3", audio_duration=42.5),
            TTSModelUsage(provider="cartesia", model="sonic-2", characters_count=512),
        ]
    )
    for usage in (first, later, later):
        apply_usage(timeline, usage)
    general = build(timeline)["general_meta_data_raw"]
    assert general["usage_token"] == {
        "stt_duration_seconds": 42.5,
        "llm_token": 330,
        "tts_characters_count": 512,
    }
    assert general["ai_models"] == {
        "asr_model": "nova-3",
        "llm_model": "gpt-4.1-mini",
        "tts_model": "sonic-2",
    }
    assert general["usage"][0] == {
        "kind": "llm",
        "model": "gpt-4.1-mini",
        "provider": "openai",
        "input_tokens": 300,
        "cached_input_tokens": 120,
        "output_tokens": 30,
    }


def test_get_remote_headers_answer_keeps_only_x_headers_and_call_id() -> None:
    answer = json.dumps(
        {
            "headers": {
                "Call-ID": "abc@pbx",
                "X-Run-Id": "r1",
                "x-customer-tier": "gold",
                "From": "<sip:+15105550100@pstn>",
                "P-Asserted-Identity": "<sip:+15105550100@pstn>",
            }
        }
    )
    assert headers_from_rpc(answer) == {
        "sip.h.call-id": "abc@pbx",
        "sip.h.x-run-id": "r1",
        "sip.h.x-customer-tier": "gold",
    }
    with pytest.raises(ValueError, match="headers object"):
        headers_from_rpc('{"error": "nope"}')


def test_the_first_sip_participant_is_the_caller() -> None:
    room = FakeRoom()
    tracker = CallerTracker()
    web = room.join("web", kind=rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD)
    agent = room.join("other-agent", kind=rtc.ParticipantKind.PARTICIPANT_KIND_AGENT)
    sip = room.join("sip", attributes={"sip.callIDFull": "a@b", "sip.ruleID": "SDR_1"})
    second = room.join("sip2", attributes={"sip.callIDFull": "c@d"})
    for participant in (web, agent, sip, second):
        tracker.observe(participant, now=T0)
    assert tracker.caller is not None
    assert tracker.caller.identity == "sip"
    assert "other-agent" not in tracker.parties
    correlation = tracker.correlation()
    assert correlation is not None
    assert correlation.sip_call_id == "a@b"
    assert tracker.call_direction() == "inbound"
    assert tracker.departed(second, now=T0 + 5) is None  # not the caller
    room.leave(sip, DR.CLIENT_INITIATED)
    left = tracker.departed(sip, now=T0 + 9)
    assert left is not None
    assert (left.left_at, left.departure) == (T0 + 9, DR.CLIENT_INITIATED)
