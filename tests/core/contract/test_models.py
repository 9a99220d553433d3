"""The Create Call request models: shapes, documented choices, conversion, clear errors."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import ValidationError

from ringback.core.contract import (
    CallRecord,
    DisconnectionReason,
    Role,
    Segment,
    ToolInvocation,
    to_jsonable,
)


def minimal(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "call_id": "c1",
        "call_type": "phone_call",
        "start_timestamp": 1_700_000_000,
        "end_timestamp": 1_700_000_060,
        "duration_ms": 60_000,
        "transcript_with_tool_calls": [],
        "general_meta_data_raw": {},
    }
    body.update(overrides)
    return body


def test_minimal_call_always_carries_ai_models_and_usage_token() -> None:
    body = json.loads(CallRecord.model_validate(minimal()).to_json_bytes())
    assert body["general_meta_data_raw"] == {
        "ai_models": {"asr_model": "", "llm_model": "", "tts_model": ""},
        "usage_token": {
            "stt_duration_seconds": None,
            "llm_token": None,
            "tts_characters_count": None,
        },
    }
    assert body["call_status"] == "call_ended"
    # absent optional fields are left out, not sent as null
    for absent in ("recording_url", "sip_call_id", "sip_headers", "call_cost", "agent_version"):
        assert absent not in body


def test_reference_example_round_trips_exactly() -> None:
    body = minimal(
        recording_url="https://example.com/rec.wav",
        disconnection_reason="user_hangup",
        call_cost=12.5,
        agent_version=3,
        sip_call_id="a84b4c76e66710@pbx.example.com",
        sip_headers={"X-Correlation-Id": "9f2c4e1a7b3d4c5e8f6a0b1c2d3e4f5a"},
        recipient="+15105550100",
        recording_file_extension="wav",
        recording_s3_multi_channel=True,
        recording_s3_caller_channel=0,
        transcript_with_tool_calls=[
            {
                "role": "user",
                "text": "I want a refund",
                "start_ms": 0,
                "end_ms": 1200,
                "duration_ms": 1200,
                "metadata": {"transcript_confidence": 0.93},
            },
            {
                "role": "agent_function",
                "text": "",
                "start_ms": 1500,
                "end_ms": 1700,
                "duration_ms": 200,
                "metadata": {},
                "tool": {
                    "name": "issue_refund",
                    "request_id": "call_1",
                    "params": {"order": "4417"},
                    "result": {},
                    "is_error": False,
                    "start_ms": 1500,
                },
            },
            {
                "role": "node_transition",
                "text": "",
                "start_ms": 1800,
                "end_ms": 1800,
                "duration_ms": 0,
                "metadata": {},
                "node": {"to": "refunds", "from": "greeting", "reason": "refund asked"},
            },
        ],
        general_meta_data_raw={
            "ai_models": {"asr_model": "nova-3", "llm_model": "gpt-4.1", "tts_model": "sonic"},
            "usage_token": {
                "stt_duration_seconds": 12.5,
                "llm_token": 1200,
                "tts_characters_count": 340,
            },
            "outcome": "refunded",
        },
    )
    record = CallRecord.model_validate(body)
    assert json.loads(record.to_json_bytes()) == {**body, "call_status": "call_ended"}


def test_enums_hold_the_documented_values() -> None:
    assert [r.value for r in Role] == [
        "user",
        "agent",
        "agent_function",
        "agent_result",
        "node_transition",
    ]
    assert [r.value for r in DisconnectionReason] == [
        "user_hangup",
        "agent_hangup",
        "error",
        "timeout",
        "unknown",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1}, {"a": 1}),
        ("plain text", {"value": "plain text"}),
        ([1, 2], {"value": [1, 2]}),
        (42, {"value": 42}),
        (None, {}),
    ],
)
def test_tool_params_and_result_are_always_objects(value: object, expected: object) -> None:
    tool = ToolInvocation(name="t", request_id="r", params=value, result=value, start_ms=0)
    dumped = json.loads(tool.model_dump_json())
    assert dumped["params"] == expected
    assert dumped["result"] == expected


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def test_metadata_that_json_cannot_hold_is_converted_never_crashes() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    record = CallRecord.model_validate(
        minimal(
            transcript_with_tool_calls=[
                {
                    "role": "user",
                    "start_ms": 0,
                    "metadata": {
                        "when": when,
                        "amount": Decimal("1.50"),
                        "id": UUID(int=1),
                        "path": Path("/tmp/x"),
                        "nan": math.nan,
                        "tags": {"a"},
                        3: "int key",
                        "obj": object(),
                        "bad": Unprintable(),
                        "raw": b"\xff\x00",
                    },
                }
            ],
            general_meta_data_raw={"started": when, "weird": Unprintable()},
        )
    )
    body = json.loads(record.to_json_bytes())
    meta = body["transcript_with_tool_calls"][0]["metadata"]
    assert datetime.fromisoformat(meta["when"]) == when
    assert meta["amount"] == "1.50"
    assert meta["id"] == "00000000-0000-0000-0000-000000000001"
    assert meta["nan"] is None
    assert meta["tags"] == ["a"]
    assert meta["3"] == "int key"
    assert meta["obj"].startswith("<object object")
    assert meta["bad"] == "<unserialisable Unprintable: RuntimeError>"
    assert meta["raw"] == "_wA="  # not UTF-8: sent as base64 rather than failing
    assert datetime.fromisoformat(body["general_meta_data_raw"]["started"]) == when


def test_to_jsonable_bounds_depth_and_long_reprs() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(100):
        child: list[object] = []
        node.append(child)
        node = child
    text = json.dumps(to_jsonable(deep))
    assert "<max depth reached>" in text

    class Long:
        def __repr__(self) -> str:
            return "x" * 10_000

    assert len(str(to_jsonable(Long()))) <= 501


def test_segment_shape_errors_say_what_to_fix() -> None:
    with pytest.raises(ValidationError, match=r"end_ms \(5\) is before start_ms \(10\)"):
        Segment(role="user", start_ms=10, end_ms=5)
    with pytest.raises(ValidationError, match="needs a `tool` object"):
        Segment(role="agent_function", start_ms=0)
    with pytest.raises(ValidationError, match="needs a `node` object"):
        Segment(role="node_transition", start_ms=0)
    with pytest.raises(ValidationError, match="role"):
        Segment(role="narrator", start_ms=0)


def test_call_errors_name_the_field() -> None:
    with pytest.raises(ValidationError, match=r"end_timestamp .* is before start_timestamp"):
        CallRecord.model_validate(minimal(end_timestamp=1))
    with pytest.raises(ValidationError, match="call_type"):
        CallRecord.model_validate(minimal(call_type="carrier_pigeon"))
    with pytest.raises(ValidationError, match="unknown_field"):
        CallRecord.model_validate(minimal(unknown_field=1))


def test_node_from_is_accepted_by_alias_and_by_name() -> None:
    by_alias = Segment.model_validate(
        {"role": "node_transition", "start_ms": 0, "node": {"to": "b", "from": "a"}}
    )
    by_name = Segment(role="node_transition", start_ms=0, node={"to": "b", "from_": "a"})
    assert by_alias == by_name
    assert json.loads(by_name.model_dump_json())["node"] == {"to": "b", "from": "a", "reason": None}


def test_duration_is_derived_from_end() -> None:
    assert Segment(role="agent", start_ms=100, end_ms=350).duration_ms == 250
    assert Segment(role="agent", start_ms=100).duration_ms is None
