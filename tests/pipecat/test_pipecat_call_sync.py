"""A whole Pipecat call, synced: the exact Create Call body a real local server receives.

The pipeline is real (Pipecat's STT/LLM/TTS service base classes, its assistant context
aggregator, a real function call through `LLMService.run_function_calls`, an interruption),
driven in pipeline time by `ManualClock`, so every number below is exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipecat.frames.frames import (
    InterimTranscriptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    TranscriptionFrame,
)
from support.create_call_server import CreateCallServer

from ringback.core.timeline import CostInputs
from ringback.pipecat import RingbackObserver
from ringback.pipecat.testing import (
    ManualClock,
    Reply,
    ScriptedCall,
    ToolCall,
    Usage,
    call_clock,
    scripted_function,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "correlation"
TWILIO_START = json.loads((FIXTURES / "twilio_media_stream_start.json").read_text())

ORDER = {"order_id": "4417", "status": "delivered", "total": 42.5}
STEPS = [
    Reply(  # the greeting
        text=["Hi, this is Acme support. ", "How can I help?"],
        think_ms=250,
        usage=Usage(input_tokens=120, output_tokens=12, total_tokens=132),
    ),
    Reply(
        tools=[ToolCall("lookup_order", {"order_id": "4417"}, "call_lookup")],
        think_ms=300,
        usage=Usage(input_tokens=260, output_tokens=18, total_tokens=278, cached_tokens=128),
    ),
    Reply(
        text=["Your order was delivered on Monday. ", "I can refund the full amount."], think_ms=200
    ),
    Reply(
        tools=[ToolCall("issue_refund", {"order_id": "4417", "amount": 42.5}, "call_refund")],
        think_ms=280,
    ),
    Reply(text=["Done. ", "Your refund reference is REF-991."], think_ms=220),
]


def per_minute(inputs: CostInputs) -> float:
    return round(inputs.duration_ms / 60_000 * 10, 4)  # 10 cents a minute


def turn(role: str, text: str, start: int, end: int, **metadata: Any) -> dict[str, Any]:
    return {
        "role": role,
        "text": text,
        "start_ms": start,
        "end_ms": end,
        "duration_ms": end - start,
        "metadata": metadata,
    }


def tool_rows(
    name: str, call_id: str, params: dict[str, Any], result: dict[str, Any], start: int, end: int
) -> list[dict[str, Any]]:
    call = {"name": name, "request_id": call_id, "params": params, "start_ms": start}
    return [
        {
            **turn("agent_function", "", start, end),
            "tool": {**call, "result": {}, "is_error": False},
        },
        {
            **turn("agent_result", "", end, end, tool_duration_ms=end - start),
            "tool": {**call, "result": result, "is_error": False},
        },
    ]


async def test_a_refund_call_arrives_exactly(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = RingbackObserver(
        call_id="refund-call-1",
        agent_version=3,
        metadata={"team": "support"},
        cost_calculator=per_minute,
        telephony=TWILIO_START,
        base_url=create_call_server.url,
        agent_id="acme-support",
        outbox_dir=outbox_dir,
        clock=call_clock(),
    )
    clock = ManualClock()
    call = ScriptedCall(
        [observer],
        replies=STEPS,
        functions={
            "lookup_order": scripted_function(clock, ORDER, run_ms=250),
            "issue_refund": scripted_function(clock, "REF-991", run_ms=400),
        },
        hold_after_ms={2: 1000},  # the caller cuts the second utterance short
        clock=clock,
    )

    async with call:
        clock.set_ms(200)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.bot_spoke(1)
        await call.user_says("I'd like a refund for order 4417.", at_ms=3000, speech_ms=1800)
        await call.bot_holding(responses=2)
        await call.user_says("Yes, please.", at_ms=7100, speech_ms=600, interrupt=True)
        await call.bot_spoke(3)
        await call.end(at_ms=10_500)

    result = await observer.flush()
    assert result is not None
    assert result.delivered
    (request,) = create_call_server.requests
    assert request.query == {"workspace_id": "1", "agent_remote_identifier": "acme-support"}
    assert request.body == {
        "call_id": "refund-call-1",
        "call_type": "phone_call",
        "start_timestamp": 1_750_000_000,
        "end_timestamp": 1_750_000_010,
        "duration_ms": 10_500,
        "call_status": "call_ended",
        "transcript_with_tool_calls": [
            turn(
                "agent",
                "Hi, this is Acme support. How can I help?",
                450,
                2250,
                llm_node_ttft=250,
                tts_node_ttfb=120,
                interrupted=False,
            ),
            turn(
                "user",
                "I'd like a refund for order 4417.",
                3000,
                4800,
                language="en-US",
                stt_node_ttfb=350,
                eou_delay=450,
            ),
            *tool_rows("lookup_order", "call_lookup", {"order_id": "4417"}, ORDER, 5550, 5800),
            turn(
                "agent",
                "Your order was delivered on Monday.",  # what was playing when cut off
                6000,
                7300,
                e2e_latency=1200,
                llm_node_ttft=200,
                tts_node_ttfb=120,
                interrupted=True,
            ),
            turn(
                "user",
                "Yes, please.",
                7100,
                7700,
                language="en-US",
                stt_node_ttfb=350,
                eou_delay=450,
            ),
            *tool_rows(
                "issue_refund",
                "call_refund",
                {"order_id": "4417", "amount": 42.5},
                {"value": "REF-991"},
                8430,
                8830,
            ),
            turn(
                "agent",
                "Done. Your refund reference is REF-991.",
                9050,
                10_250,
                e2e_latency=1350,
                llm_node_ttft=220,
                tts_node_ttfb=120,
                interrupted=False,
            ),
        ],
        "general_meta_data_raw": {
            "ai_models": {
                "asr_model": "scripted-stt",
                "llm_model": "scripted-llm",
                "tts_model": "scripted-tts",
            },
            "usage_token": {
                "stt_duration_seconds": 2.4,
                "llm_token": 132 + 278,
                "tts_characters_count": 142,
            },
            "team": "support",
            "pipecat": {"end_frame": "EndFrame"},
            "usage": [
                {
                    "kind": "llm",
                    "model": "scripted-llm",
                    "provider": "ScriptedLLMService",
                    "input_tokens": 120 + 260,
                    "cached_input_tokens": 128,
                    "output_tokens": 12 + 18,
                    "requests": 2,
                },
                {
                    "kind": "tts",
                    "model": "scripted-tts",
                    "provider": "ScriptedTTSService",
                    "characters": 142,
                    "requests": 6,
                },
                {
                    "kind": "stt",
                    "model": "scripted-stt",
                    "provider": "ScriptedSTTService",
                    "audio_seconds": 2.4,
                    "requests": 1,
                },
            ],
            "ringback": {
                "started_at": "2025-06-15T15:06:40.000+00:00",
                "ended_at": "2025-06-15T15:06:50.500+00:00",
            },
            "correlation": {
                "provider": "twilio_stream",
                "run_id": "01JQ8ZK6M4XB7C9D0EFGH3JKMN",
                "scenario_id": "refund-happy-path",
                "result_id": "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b",
                "caller": "+14155550123",
                "native_ids": {
                    "twilio.callSid": "CA3ae75ffe1c5d8847e478556c07d07103",
                    "twilio.streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
                },
                "sources": {
                    "sip_call_id": "twilio:start.customParameters.SipCallId",
                    "X-Run-Id": "twilio:start.customParameters.X-Run-Id",
                    "X-Scenario-Id": "twilio:start.customParameters.X-Scenario-Id",
                    "X-Result-Id": "twilio:start.customParameters.X-Result-Id",
                    "X-Customer-Tier": "twilio:start.customParameters.X-Customer-Tier",
                    "caller": "twilio:start.customParameters.from_number",
                    "recipient": "twilio:start.customParameters.to_number",
                    "run_id": "header X-Run-Id",
                    "scenario_id": "header X-Scenario-Id",
                    "result_id": "header X-Result-Id",
                },
            },
        },
        "disconnection_reason": "agent_hangup",
        "call_cost": 1.75,
        "agent_version": 3,
        "sip_call_id": "a1e5b8c09d2f4e7b8c3a6d9e0f1b2c4d@203.0.113.45",
        "sip_headers": {
            "X-Run-Id": "01JQ8ZK6M4XB7C9D0EFGH3JKMN",
            "X-Scenario-Id": "refund-happy-path",
            "X-Result-Id": "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b",
            "X-Customer-Tier": "premium",
        },
        "recipient": "+14155550199",
    }
    assert not list((outbox_dir / "pending").rglob("*.json"))


async def test_a_text_pipeline_syncs_the_llm_text(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = RingbackObserver(
        call_id="chat-1", base_url=create_call_server.url, outbox_dir=outbox_dir, clock=call_clock()
    )
    clock = ManualClock()
    steps = [Reply(text=["Sure, ", "I can help ", "with that."], think_ms=400)]
    async with ScriptedCall([observer], replies=steps, clock=clock, voice=False) as call:
        clock.set_ms(1000)
        await call.send(
            InterimTranscriptionFrame("I need", "caller", "t"),
            TranscriptionFrame("I need help.", "caller", "t"),
        )
        clock.set_ms(1200)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.milestones.reached(LLMFullResponseEndFrame, 1)
        await call.end(at_ms=2000)

    assert (await observer.flush()) is not None
    (request,) = create_call_server.requests
    assert request.body == {
        "call_id": "chat-1",
        "call_type": "web_call",
        "start_timestamp": 1_750_000_000,
        "end_timestamp": 1_750_000_002,
        "duration_ms": 2000,
        "call_status": "call_ended",
        "transcript_with_tool_calls": [
            turn("user", "I need help.", 1000, 1000),
            turn(
                "agent",
                "Sure, I can help with that.",
                1200,
                1600,
                llm_node_ttft=400,
                interrupted=False,
            ),
        ],
        "general_meta_data_raw": {
            "ai_models": {"asr_model": "", "llm_model": "scripted-llm", "tts_model": ""},
            "usage_token": {
                "stt_duration_seconds": None,
                "llm_token": None,
                "tts_characters_count": None,
            },
            "pipecat": {"end_frame": "EndFrame"},
            "ringback": {
                "started_at": "2025-06-15T15:06:40.000+00:00",
                "ended_at": "2025-06-15T15:06:42.000+00:00",
            },
        },
        "disconnection_reason": "agent_hangup",
    }
