"""The published Create Call shapes are accepted unchanged and stored in canonical form."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest
from support.collector_calls import fixture_body
from support.collector_server import RunningCollector

from ringback.core.contract.schema import call_record_schema
from ringback.core.sample import one_hour_call, sample_call
from ringback.simulator.collector.normalise import EXTRA_FIELDS_KEY, normalise
from ringback.simulator.collector.prepare import prepare_call

SCHEMA = call_record_schema()


async def _post(
    http: httpx.AsyncClient, collector: RunningCollector, body: bytes | dict[str, Any], agent: str
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await http.post(
        collector.call_url(agent=agent),
        content=content,
        headers=collector.headers(**{"Content-Type": "application/json"}),
    )


async def _stored(collector: RunningCollector, agent: str, call_id: str) -> dict[str, Any]:
    call = await collector.store.find_call(1, agent, call_id)
    assert call is not None
    jsonschema.validate(call.body, SCHEMA)  # what is stored is the canonical shape
    return call.body


async def test_ringback_body_is_stored_as_sent(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    record = sample_call(8, call_id="rb-1")
    response = await _post(http, collector, record.to_json_bytes(), "support-bot")
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "is_new": True}
    stored = await collector.store.find_call(1, "support-bot", "rb-1")
    assert stored is not None
    assert stored.body == json.loads(record.to_json_bytes())
    assert stored.notes == []


async def test_a_one_hour_call_is_accepted(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    body = one_hour_call(call_id="long").to_json_bytes()  # ~0.4 MB, validated off the loop
    response = await _post(http, collector, body, "support-bot")
    assert response.status_code == 201
    stored = await collector.store.find_call(1, "support-bot", "long")
    assert stored is not None
    assert len(stored.body["transcript_with_tool_calls"]) > 1_900


async def test_livekit_client_shape(collector: RunningCollector, http: httpx.AsyncClient) -> None:
    body = fixture_body("livekit_client_call.json")
    response = await _post(http, collector, body, "lk-agent")
    assert response.status_code == 201, response.text
    stored = await _stored(collector, "lk-agent", body["call_id"])
    meta = stored["general_meta_data_raw"]
    assert stored["call_status"] == "call_ended"
    assert meta["call_status_raw"] == "completed"
    assert stored["agent_version"] == 4
    assert meta["ai_models"]["asr_model"] == "deepgram/nova-3"
    assert meta["usage_token"] == {
        "stt_duration_seconds": 31.4,
        "llm_token": 4821,
        "tts_characters_count": 212,
    }
    assert meta["room_name"] == "call-_+15105550100_abc123"  # free-form keys untouched
    tool_row = stored["transcript_with_tool_calls"][2]
    assert (tool_row["role"], tool_row["text"], tool_row["metadata"]) == ("agent_function", "", {})
    assert tool_row["end_ms"] is None
    assert stored["sip_headers"] == body["sip_headers"]  # header names kept as sent

    again = await _post(http, collector, body, "lk-agent")  # a retry of the variant shape
    assert (again.status_code, again.json()["id"]) == (200, response.json()["id"])


async def test_pipecat_client_shape(collector: RunningCollector, http: httpx.AsyncClient) -> None:
    body = fixture_body("pipecat_client_call.json")
    response = await _post(http, collector, body, "pc-agent")
    assert response.status_code == 201, response.text
    stored = await _stored(collector, "pc-agent", body["call_id"])
    rows = stored["transcript_with_tool_calls"]
    call, result = rows[3]["tool"], rows[4]["tool"]
    assert call["start_ms"] == 7120  # no start_ms in the client's tool: the row's
    assert call["is_error"] is False
    assert call["params"] == {"party_size": 4, "time": "20:00", "date": "tomorrow"}
    assert result["result"] == {"value": "available: 20:00, 20:30"}  # a string result, wrapped
    assert rows[0]["node"] == {"to": "greeting", "from": None, "reason": "flow initialised"}
    usage = stored["general_meta_data_raw"]["usage_token"]
    assert usage == {"stt_duration_seconds": 18.0, "llm_token": 2310, "tts_characters_count": 176}
    assert rows[1]["metadata"]["ttfb_ms"] == 212


async def test_unknown_fields_are_kept_not_refused(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    body = fixture_body("bridge_client_call.json")
    response = await _post(http, collector, body, "bridge")
    assert response.status_code == 201, response.text
    stored = await _stored(collector, "bridge", body["call_id"])
    meta = stored["general_meta_data_raw"]
    extra = meta[EXTRA_FIELDS_KEY]
    assert extra["call_analysis"] == body["call_analysis"]
    assert extra["metadata"] == {"customer_id": "cus_8812"}
    assert extra["general_meta_data_raw.usage_token.llm_cached_tokens"] == 1024
    assert (stored["call_status"], stored["disconnection_reason"]) == ("call_ended", "error")
    assert stored["agent_version"] == 12
    assert stored["sip_headers"]["X-Customer-Tier"] == "2"
    rows = stored["transcript_with_tool_calls"]
    assert rows[0]["end_ms"] == 2600
    assert rows[1]["metadata"][EXTRA_FIELDS_KEY]["words"][0] == {"w": "I", "s": 3100}
    assert rows[2]["tool"]["params"] == {"invoice": "INV-77"}
    assert rows[2]["tool"]["is_error"] is True


# ── the mappings, one by one ──────────────────────────────────────────────────
BASE: dict[str, Any] = {
    "call_id": "c",
    "call_type": "web_call",
    "start_timestamp": 10,
    "end_timestamp": 20,
    "duration_ms": 10_000,
}


@pytest.mark.parametrize(
    ("given", "expected", "raw"),
    [
        (
            {"call_status": "completed"},
            {"call_status": "call_ended"},
            {"call_status_raw": "completed"},
        ),
        (
            {"call_status": "error"},
            {"call_status": "call_ended", "disconnection_reason": "error"},
            {"call_status_raw": "error"},
        ),
        (
            {"call_status": "error", "disconnection_reason": "timeout"},
            {"disconnection_reason": "timeout"},
            {},
        ),
        ({"call_status": None}, {"call_status": "call_ended"}, {}),
        ({"agent_version": "7"}, {"agent_version": 7}, {}),
        ({"agent_version": "v7"}, {"agent_version": 7}, {}),
        ({"agent_version": "2024-06-rc1"}, {}, {"agent_version_raw": "2024-06-rc1"}),
        ({"disconnection_reason": "User_Hangup"}, {"disconnection_reason": "user_hangup"}, {}),
        (
            {"disconnection_reason": "customer-ended-call"},
            {"disconnection_reason": "unknown"},
            {"disconnection_reason_raw": "customer-ended-call"},
        ),
        ({"start_timestamp": 10.9, "end_timestamp": 20.2}, {"start_timestamp": 10}, {}),
        ({"duration_ms": 10_000.6}, {"duration_ms": 10_001}, {}),
        ({"transcript_with_tool_calls": None}, {"transcript_with_tool_calls": []}, {}),
        ({"sip_headers": {"X-A": None, "X-B": True}}, {"sip_headers": {"X-B": "true"}}, {}),
    ],
)
def test_top_level_mappings(
    given: dict[str, Any], expected: dict[str, Any], raw: dict[str, Any]
) -> None:
    call = prepare_call({**BASE, **given})
    stored = json.loads(call.canonical)
    for key, value in expected.items():
        assert stored[key] == value
    if "agent_version_raw" in raw:
        assert "agent_version" not in stored
    for key, value in raw.items():
        assert stored["general_meta_data_raw"][key] == value
    assert call.notes  # every mapping is recorded


def test_both_spellings_keep_the_canonical_one() -> None:
    meta = {
        "ai_models": {"stt_model": "a", "asr_model": "b"},
        "usage_token": {"asr_duration": 1.0, "stt_duration_seconds": 2.0},
    }
    out = normalise({**BASE, "general_meta_data_raw": meta}).body["general_meta_data_raw"]
    assert out["ai_models"]["asr_model"] == "b"
    assert out["usage_token"]["stt_duration_seconds"] == 2.0
    assert out[EXTRA_FIELDS_KEY] == {
        "general_meta_data_raw.ai_models.stt_model": "a",
        "general_meta_data_raw.usage_token.asr_duration": 1.0,
    }


def test_node_from_node_and_missing_tool_fields() -> None:
    rows = [
        {"role": "node_transition", "start_ms": 0, "node": {"from_node": "a", "to": "b"}},
        {"role": "agent_function", "start_ms": 5.4, "tool": {"name": "t", "params": None}},
    ]
    out = normalise({**BASE, "transcript_with_tool_calls": rows}).body
    node_row, tool_row = out["transcript_with_tool_calls"]
    assert node_row["node"] == {"from": "a", "to": "b"}
    assert tool_row["start_ms"] == 5
    assert tool_row["tool"] == {
        "name": "t",
        "params": {},
        "start_ms": 5,
        "request_id": "",
        "is_error": False,
    }


@pytest.mark.parametrize("extra", [{}, {"call_status": "completed"}], ids=["canonical", "variant"])
def test_nan_and_infinity_are_read_as_null(extra: dict[str, Any]) -> None:
    body = json.dumps({**BASE, **extra}).encode()[:-1] + (
        b', "general_meta_data_raw": {"score": NaN, "peak": Infinity}}'
    )
    stored = json.loads(prepare_call(body).canonical)["general_meta_data_raw"]
    assert (stored["score"], stored["peak"]) == (None, None)


def test_normalise_leaves_its_input_alone() -> None:
    body = fixture_body("bridge_client_call.json")
    before = json.dumps(body, sort_keys=True)
    normalise(body)
    assert json.dumps(body, sort_keys=True) == before
