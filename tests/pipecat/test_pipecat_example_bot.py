"""examples/pipecat_bot.py, run offline: a Twilio Media Streams call over its FastAPI websocket
transport (a scripted Twilio peer), its pipeline with scripted services, synced by Ringback
with the SIP Call-ID and X- headers forwarded as stream parameters."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pipecat.turns.user_turn_strategies import ExternalUserTurnStrategies
from starlette.testclient import TestClient
from support.create_call_server import CreateCallServer
from support.examples import load_example
from support.pipecat_twilio import SpeechProbe, TurnDetectingSTT, TwilioSocket

from ringback.pipecat.testing import ManualClock, ScriptedLLMService, ScriptedTTSService

ROOT = Path(__file__).parents[2]
START = json.loads((ROOT / "tests/fixtures/correlation/twilio_media_stream_start.json").read_text())
TIME_KEYS = {"start_ms", "end_ms", "duration_ms", "e2e_latency", "eou_delay"}


@pytest.fixture(scope="module")
def bot() -> ModuleType:
    return load_example("pipecat_bot")


def timeless(value: Any) -> Any:
    """`value` without the fields that depend on how fast this machine ran the call."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def test_the_twiml_forwards_the_call_id_and_x_headers_only(bot: ModuleType) -> None:
    form = {
        "CallSid": "CA3ae75ffe1c5d8847e478556c07d07103",
        "From": "+14155550123",
        "SipCallId": "a1e5b8c0@203.0.113.45",
        "SipHeader_X-Result-Id": "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b",
        "SipHeader_User-Agent": "pbx/1.0",
    }
    assert bot.twiml_for(form, "wss://bot.example.com/ws") == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
        '<Stream url="wss://bot.example.com/ws">'
        '<Parameter name="SipCallId" value="a1e5b8c0@203.0.113.45"/>'
        '<Parameter name="X-Result-Id" value="9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"/>'
        "</Stream></Connect></Response>"
    )
    response = TestClient(bot.create_app()).post("/twiml", data=form)
    assert response.status_code == 200
    assert response.text == bot.twiml_for(form, "wss://testserver/ws")


async def test_the_example_bot_syncs_a_twilio_call(
    bot: ModuleType,
    create_call_server: CreateCallServer,
    outbox_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RINGBACK_BASE_URL", create_call_server.url)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(outbox_dir))
    start = copy.deepcopy(START)
    socket = TwilioSocket(start)
    clock = ManualClock()  # only the scripted services' metrics use it; the call runs in real time
    services = bot.BotServices(
        stt=TurnDetectingSTT(["Where is my order?"]),
        llm=ScriptedLLMService(["Hi, Acme here.", "It ships today."], think_ms=300, clock=clock),
        tts=ScriptedTTSService(clock, ms_per_word=40),
        user_turn_strategies=ExternalUserTurnStrategies(),
    )
    probe = SpeechProbe()

    call = asyncio.create_task(bot.run_bot(socket, services, observers=[probe]))
    await probe.bot_spoke(1)  # the greeting
    socket.caller_audio(ms=600)
    await probe.bot_spoke(2)  # the answer
    socket.hang_up()
    result = await asyncio.wait_for(call, 10)

    assert result is not None
    assert result.delivered
    assert any(message["event"] == "media" for message in socket.sent)  # the bot was heard
    (request,) = create_call_server.requests
    body = request.body
    assert timeless(body) == {
        "call_id": body["call_id"],
        "call_type": "phone_call",
        "start_timestamp": body["start_timestamp"],
        "end_timestamp": body["end_timestamp"],
        "call_status": "call_ended",
        "transcript_with_tool_calls": [
            {
                "role": "agent",
                "text": "Hi, Acme here.",
                "metadata": {"llm_node_ttft": 300, "tts_node_ttfb": 120, "interrupted": False},
            },
            {"role": "user", "text": "Where is my order?", "metadata": {"language": "en"}},
            {
                "role": "agent",
                "text": "It ships today.",
                "metadata": {"llm_node_ttft": 300, "tts_node_ttfb": 120, "interrupted": False},
            },
        ],
        "general_meta_data_raw": {
            "ai_models": {
                "asr_model": "scripted-flux",
                "llm_model": "scripted-llm",
                "tts_model": "scripted-tts",
            },
            "usage_token": {
                "stt_duration_seconds": body["general_meta_data_raw"]["usage_token"][
                    "stt_duration_seconds"
                ],
                "llm_token": None,
                "tts_characters_count": len("Hi, Acme here.") + len("It ships today."),
            },
            "pipecat": {"end_frame": "CancelFrame"},
            "usage": [
                {
                    "kind": "tts",
                    "model": "scripted-tts",
                    "provider": "ScriptedTTSService",
                    "characters": 29,
                    "requests": 2,
                },
                body["general_meta_data_raw"]["usage"][1],
            ],
            "ringback": body["general_meta_data_raw"]["ringback"],
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
                "sources": {  # the bot passed the Call-ID and headers in explicitly
                    "sip_call_id": "explicit",
                    "X-Run-Id": "explicit",
                    "X-Scenario-Id": "explicit",
                    "X-Result-Id": "explicit",
                    "X-Customer-Tier": "explicit",
                    "caller": "twilio:start.customParameters.from_number",
                    "recipient": "twilio:start.customParameters.to_number",
                    "run_id": "explicit",
                    "scenario_id": "explicit",
                    "result_id": "explicit",
                },
            },
        },
        "disconnection_reason": "user_hangup",
        "agent_version": 1,
        "sip_call_id": "a1e5b8c09d2f4e7b8c3a6d9e0f1b2c4d@203.0.113.45",
        "sip_headers": {
            "X-Run-Id": "01JQ8ZK6M4XB7C9D0EFGH3JKMN",
            "X-Scenario-Id": "refund-happy-path",
            "X-Result-Id": "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b",
            "X-Customer-Tier": "premium",
        },
        "recipient": "+14155550199",
    }
    rows = body["transcript_with_tool_calls"]
    assert [row["start_ms"] <= row["end_ms"] for row in rows] == [True, True, True]
    assert rows[0]["end_ms"] <= rows[1]["start_ms"] <= rows[2]["start_ms"]
    assert 0 < rows[2]["metadata"]["e2e_latency"] < 5000
    stt_usage = body["general_meta_data_raw"]["usage"][1]
    assert (stt_usage["kind"], stt_usage["model"]) == ("stt", "scripted-flux")
    assert stt_usage["audio_seconds"] == pytest.approx(0.6, abs=0.05)  # the caller's audio
