"""The Timeline builder: order, turns, tools, transitions, usage, cost, bounds, times."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from ringback.core.contract import CallRecord, Limits
from ringback.core.timeline import CallClock, CostInputs, Timeline, TurnLatency

WALL = 1_800_000_000.25


def timeline(**kwargs: Any) -> Timeline:
    return Timeline(clock=CallClock(wall_origin=WALL, mono_origin_ns=0), **kwargs)


def body(record: CallRecord) -> dict[str, Any]:
    return json.loads(record.to_json_bytes())


def rows(record: CallRecord) -> list[dict[str, Any]]:
    return body(record)["transcript_with_tool_calls"]


def test_turns_carry_times_latency_and_flags_and_come_out_sorted() -> None:
    t = timeline()
    t.add_turn(
        "agent",
        "Hello, how can I help?",
        start_ms=2_000.4,
        end_ms=3_499.6,
        latency=TurnLatency(
            e2e_latency=812.4,
            llm_node_ttft=301,
            tts_node_ttfb=120,
            stt_node_ttfb=95,
            eou_delay=180,
        ),
        interrupted=True,
    )
    t.add_turn("user", "Hi", start_ms=500, end_ms=1_200, confidence=0.91234)
    t.mark_end(4_000)
    assert rows(t.build(call_id="c")) == [
        {
            "role": "user",
            "text": "Hi",
            "start_ms": 500,
            "end_ms": 1200,
            "duration_ms": 700,
            "metadata": {"transcript_confidence": 0.9123},
        },
        {
            "role": "agent",
            "text": "Hello, how can I help?",
            "start_ms": 2000,
            "end_ms": 3500,
            "duration_ms": 1500,
            "metadata": {
                "e2e_latency": 812,
                "llm_node_ttft": 301,
                "tts_node_ttfb": 120,
                "stt_node_ttfb": 95,
                "eou_delay": 180,
                "interrupted": True,
            },
        },
    ]


def test_latency_from_seconds() -> None:
    latency = TurnLatency.from_seconds(e2e_latency=0.8125, llm_node_ttft=None)
    assert latency.as_metadata() == {"e2e_latency": 812}


def test_equal_start_times_keep_insertion_order() -> None:
    t = timeline()
    for n in range(5):
        t.add_turn("user" if n % 2 else "agent", str(n), start_ms=100)
    assert [r["text"] for r in rows(t.build(call_id="c"))] == ["0", "1", "2", "3", "4"]


def test_turn_role_must_be_user_or_agent() -> None:
    with pytest.raises(ValueError, match="'user' or 'agent'"):
        timeline().add_turn("agent_function", "x", start_ms=0)


def test_tool_call_and_result_are_paired_by_request_id() -> None:
    t = timeline()
    t.tool_called("req-1", "lookup_order", '{"order_id": "4417"}', at_ms=1_000)
    t.tool_called("req-2", "send_sms", {"to": "+1555"}, at_ms=1_100)
    t.tool_called("req-1", "lookup_order", '{"order_id": "4417"}', at_ms=1_050)  # seen twice
    t.tool_returned("req-2", None, at_ms=1_300, error="SMS gateway down")
    t.tool_returned("req-1", {"status": "shipped"}, at_ms=1_400)
    result = rows(t.build(call_id="c"))
    assert [(r["role"], r["tool"]["request_id"]) for r in result] == [
        ("agent_function", "req-1"),
        ("agent_function", "req-2"),
        ("agent_result", "req-2"),
        ("agent_result", "req-1"),
    ]
    call_1, call_2, result_2, result_1 = result
    assert call_1["end_ms"] == 1400
    assert call_1["tool"]["params"] == {"value": '{"order_id": "4417"}'}
    assert result_1["tool"] == {
        "name": "lookup_order",
        "request_id": "req-1",
        "params": {"value": '{"order_id": "4417"}'},
        "result": {"status": "shipped"},
        "is_error": False,
        "start_ms": 1000,
    }
    assert result_1["metadata"] == {"tool_duration_ms": 400}
    assert result_2["tool"]["is_error"] is True
    assert result_2["tool"]["error"] == "SMS gateway down"
    assert result_2["tool"]["result"] == {}
    assert call_2["end_ms"] == 1300


def test_result_without_a_seen_call_keeps_both_rows() -> None:
    t = timeline()
    t.tool_returned("r9", [1, 2], at_ms=700, name="late_tool", params={"q": 1})
    result = rows(t.build(call_id="c"))
    assert [r["role"] for r in result] == ["agent_function", "agent_result"]
    assert result[1]["tool"]["result"] == {"value": [1, 2]}
    assert result[1]["tool"]["params"] == {"q": 1}


def test_tool_still_running_at_the_end_is_marked() -> None:
    t = timeline()
    t.tool_called("r1", "slow", {}, at_ms=100)
    (row,) = rows(t.build(call_id="c"))
    assert row["end_ms"] is None
    assert row["metadata"] == {"completed": False}


def test_transitions_track_the_previous_node() -> None:
    t = timeline()
    t.transition("greeting", at_ms=0)
    t.transition("greeting", at_ms=10)  # no change: ignored
    t.transition("billing", at_ms=500, reason="asked about invoice")
    t.transition("escalation", at_ms=900, from_="manual")
    nodes = [r["node"] for r in rows(t.build(call_id="c"))]
    assert nodes == [
        {"to": "greeting", "from": None, "reason": None},
        {"to": "billing", "from": "greeting", "reason": "asked about invoice"},
        {"to": "escalation", "from": "manual", "reason": None},
    ]
    assert t.current_node == "escalation"


def test_usage_never_counts_cached_tokens_twice() -> None:
    t = timeline()
    # OpenAI style: cached tokens are part of the prompt tokens.
    t.usage.add_llm(input_tokens=1_000, cached_input_tokens=800, output_tokens=50, model="gpt")
    # Anthropic style: cache reads are reported beside the input tokens.
    t.usage.add_llm(
        input_tokens=200,
        cached_input_tokens=800,
        cached_included_in_input=False,
        output_tokens=50,
        model="claude",
    )
    general = body(t.build(call_id="c"))["general_meta_data_raw"]
    assert general["usage_token"]["llm_token"] == 1_000 + 50 + 200 + 800 + 50
    assert general["usage_token"]["stt_duration_seconds"] is None
    assert general["usage"][0] == {
        "kind": "llm",
        "model": "gpt",
        "input_tokens": 1000,
        "cached_input_tokens": 800,
        "output_tokens": 50,
        "requests": 1,
    }


def test_running_totals_replace_instead_of_adding() -> None:
    t = timeline()
    for total in (100, 250, 400):  # cumulative reports, e.g. LiveKit's session_usage_updated
        t.usage.set_llm(input_tokens=total, output_tokens=10, model="m", provider="p")
        t.usage.set_stt(audio_seconds=total / 100, model="s")
        t.usage.set_tts(characters=total, model="v")
    t.usage.add_tts(characters=5, model="other-voice")
    totals = t.usage.totals()
    assert totals.llm_token == 410
    assert totals.stt_duration_seconds == 4.0
    assert totals.tts_characters_count == 405


def test_models_first_used_is_reported_and_all_are_listed() -> None:
    t = timeline()
    t.models.note(llm="gpt-4.1-mini", stt="nova-3")
    t.models.note(llm="gpt-4.1", tts="sonic-2")
    t.models.note(llm="gpt-4.1-mini")
    general = body(t.build(call_id="c"))["general_meta_data_raw"]
    assert general["ai_models"] == {
        "asr_model": "nova-3",
        "llm_model": "gpt-4.1-mini",
        "tts_model": "sonic-2",
    }
    assert general["models"]["llm"] == ["gpt-4.1-mini", "gpt-4.1"]


def test_cost_hook_gets_usage_and_duration() -> None:
    seen: list[CostInputs] = []

    def cost(inputs: CostInputs) -> float:
        seen.append(inputs)
        return inputs.duration_ms / 60_000 * 7 + (inputs.totals.llm_token or 0) / 1000

    t = timeline()
    t.usage.add_llm(input_tokens=3_000, output_tokens=0)
    t.mark_end(120_000)
    record = t.build(call_id="c", cost_calculator=cost)
    assert record.call_cost == pytest.approx(17.0)
    assert seen[0].duration_ms == 120_000
    assert seen[0].usage[0].input_tokens == 3_000


@pytest.mark.parametrize("bad", [RuntimeError("pricing table missing"), "free", -3.0])
def test_a_failing_cost_hook_never_fails_the_call(
    bad: object, caplog: pytest.LogCaptureFixture
) -> None:
    def cost(_: CostInputs) -> Any:
        if isinstance(bad, Exception):
            raise bad
        return bad

    with caplog.at_level(logging.WARNING, logger="ringback.timeline"):
        record = timeline().build(call_id="c", cost_calculator=cost)
    assert record.call_cost is None


def test_start_end_and_offsets_are_the_calls() -> None:
    t = timeline()
    t.add_turn("user", "before the call started", start_ms=-50, end_ms=20)
    t.mark_start(-100)  # e.g. the SIP participant joined before the agent did
    t.add_turn("agent", "hi", start_ms=1_000, end_ms=2_000)
    t.mark_end(5_900)
    t.mark_end(9_000)  # the first end wins
    record = t.build(call_id="c")
    assert [r.start_ms for r in record.transcript_with_tool_calls] == [50, 1100]
    assert record.duration_ms == 6_000
    assert record.start_timestamp == int(WALL - 0.1)
    assert record.end_timestamp == int(WALL + 5.9)
    ringback = body(record)["general_meta_data_raw"]["ringback"]
    assert ringback["started_at"] == "2027-01-15T08:00:00.150+00:00"
    assert ringback["ended_at"] == "2027-01-15T08:00:06.150+00:00"


def test_a_row_past_the_marked_end_extends_the_call() -> None:
    t = timeline()
    t.mark_end(1_000)
    t.add_turn("agent", "goodbye", start_ms=900, end_ms=1_700)
    assert t.build(call_id="c").duration_ms == 1_700


def test_clock_conversions() -> None:
    clock = CallClock(wall_origin=1_000.0, mono_origin_ns=5_000_000_000)
    assert clock.from_wall(1_002.5) == 2_500
    assert clock.from_monotonic_ns(5_250_000_000) == 250
    assert clock.to_wall(1_500) == 1_001.5


def test_call_type_and_reason_defaults() -> None:
    t = timeline()
    assert t.build(call_id="c").call_type == "web_call"
    assert t.build(call_id="c").disconnection_reason == "unknown"
    t.record_error("LLM provider returned 500", at_ms=10, source="llm", fatal=True)
    record = t.build(call_id="c", call_type="phone_call")
    assert record.call_type == "phone_call"
    assert record.disconnection_reason == "error"
    assert body(record)["general_meta_data_raw"]["errors"] == [
        {"at_ms": 10, "message": "LLM provider returned 500", "fatal": True, "source": "llm"}
    ]


def test_metadata_is_merged_and_made_json_safe() -> None:
    t = timeline()
    t.set_metadata("outcome", {"resolved": True, "tags": ("refund",)})
    record = t.build(call_id="c", metadata={"customer": object()}, agent_version=4)
    general = body(record)["general_meta_data_raw"]
    assert general["outcome"] == {"resolved": True, "tags": ["refund"]}
    assert general["customer"].startswith("<object object")
    assert record.agent_version == 4


def test_long_text_is_cut_with_a_marker() -> None:
    t = timeline(limits=Limits(max_text_chars=100))
    t.add_turn("agent", "a" * 250, start_ms=0)
    record = t.build(call_id="c")
    text = record.transcript_with_tool_calls[0].text
    assert text == "a" * 100 + " …[truncated 150 chars]"
    assert body(record)["general_meta_data_raw"]["ringback"]["truncated"] == {
        "text_chars_dropped": 150
    }


def test_runaway_call_keeps_its_start_and_end_and_says_what_was_dropped() -> None:
    limits = Limits(max_segments=100)
    t = timeline(limits=limits)
    for n in range(1_000):
        t.add_turn("user", f"turn {n}", start_ms=n * 10)
        assert len(t._rows) <= 2 * limits.max_segments  # memory stays bounded too
    record = t.build(call_id="c")
    texts = [s.text for s in record.transcript_with_tool_calls]
    assert len(texts) == 100
    assert texts[0] == "turn 0"
    assert texts[-1] == "turn 999"
    truncated = body(record)["general_meta_data_raw"]["ringback"]["truncated"]
    assert truncated == {"segments_dropped": 900}


def test_huge_tool_payloads_are_replaced_by_a_marked_preview() -> None:
    t = timeline(limits=Limits(max_tool_payload_bytes=1_000))
    t.tool_called("r", "dump", {"rows": ["x" * 100] * 100}, at_ms=0)
    t.tool_returned("r", {"ok": True}, at_ms=5)
    params = rows(t.build(call_id="c"))[0]["tool"]["params"]
    assert params["truncated"] is True
    assert params["original_bytes"] > 10_000
    assert len(params["preview"]) == 500


def test_correlation_supplies_call_fields_and_metadata() -> None:
    class FakeCorrelation:
        def call_fields(self) -> dict[str, object]:
            return {"sip_call_id": "abc@host", "sip_headers": {"X-Run-Id": "r1"}}

        def metadata(self) -> dict[str, object]:
            return {"run_id": "r1"}

    record = timeline().build(call_id="c", correlation=FakeCorrelation())  # type: ignore[arg-type]
    assert record.call_type == "phone_call"
    assert record.sip_call_id == "abc@host"
    assert record.sip_headers == {"X-Run-Id": "r1"}
    assert body(record)["general_meta_data_raw"]["correlation"] == {"run_id": "r1"}
