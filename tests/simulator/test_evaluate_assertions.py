"""Every assertion kind, passing and failing, with the reason a person reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringback.core.contract import CallType, DisconnectionReason
from ringback.core.sample import sample_call
from ringback.core.timeline import CallClock, Timeline, TurnLatency
from ringback.simulator.evaluate import JUDGE_SKIPPED, evaluate_call
from ringback.simulator.suite.models import Scenario


def scenario(*assertions: dict[str, Any], expectations: str | None = None) -> Scenario:
    return Scenario.model_validate(
        {
            "id": "refund",
            "instructions": "Ask for a refund.",
            "agent_expectations": expectations,
            "assertions": list(assertions),
        }
    )


def sample_body() -> dict[str, Any]:
    """Six exchanges: issue_refund at 19.1 s, node refunds at 10.9 s, e2e 650..850 ms, 48 s,
    the user hangs up."""
    return json.loads(sample_call(6, call_id="sample-1").to_json_bytes())


def troubled_body() -> dict[str, Any]:
    """A short call with errors, a JSON-string tool argument, and the agent hanging up."""
    timeline = Timeline(clock=CallClock(wall_origin=1_700_000_000.0, mono_origin_ns=0))
    timeline.add_turn("user", "My card number is 4111 1111.", start_ms=500, end_ms=2_000)
    timeline.tool_called(
        "c1", "update_card", json.dumps({"card": {"last4": "1111", "type": "visa"}}), at_ms=2_200
    )
    timeline.tool_returned("c1", {"ok": True}, at_ms=2_300)
    timeline.add_turn(
        "agent",
        "I have saved your credit card number.",
        start_ms=12_400,
        end_ms=14_000,
        latency=TurnLatency(e2e_latency=1_830, llm_node_ttft=900),
    )
    timeline.record_error("LLM request timed out", at_ms=3_200, source="llm")
    timeline.record_error("TTS stream closed", at_ms=9_000)
    timeline.mark_end(15_000)
    record = timeline.build(
        call_id="troubled-1",
        call_type=CallType.PHONE_CALL,
        disconnection_reason=DisconnectionReason.AGENT_HANGUP,
    )
    return json.loads(record.to_json_bytes())


def check(assertion: dict[str, Any], body: dict[str, Any] | None) -> tuple[bool | None, str]:
    (result,) = evaluate_call(scenario(assertion), body, None).assertions
    return result.passed, result.reason


CASES: list[tuple[dict[str, Any], str, bool, str]] = [
    (
        {"tool_called": {"name": "issue_refund"}},
        "sample",
        True,
        "tool issue_refund called at 19.1 s",
    ),
    (
        {"tool_called": {"name": "issue_refund", "arguments": {"order_id": "4417"}}},
        "sample",
        True,
        'tool issue_refund called at 19.1 s with {"order_id": "4417"}',
    ),
    (
        {"tool_called": {"name": "cancel_order"}},
        "sample",
        False,
        "tool cancel_order was never called; tools called: issue_refund",
    ),
    (
        {"tool_called": {"name": "issue_refund", "arguments": {"amount": 90}}},
        "sample",
        False,
        'tool issue_refund was called once but never with arguments {"amount": 90} '
        "(amount: expected 90, got 89.0)",
    ),
    (
        {"tool_called": {"name": "update_card", "arguments": {"card": {"last4": "1111"}}}},
        "troubled",
        True,
        'tool update_card called at 2.2 s with {"card": {"last4": "1111"}}',
    ),
    (
        {"tool_called": {"name": "update_card", "arguments": {"card": {"last4": "0000"}}}},
        "troubled",
        False,
        'tool update_card was called once but never with arguments {"card": {"last4": "0000"}} '
        '(card.last4: expected "0000", got "1111")',
    ),
    (
        {"tool_called": {"name": "update_card", "arguments": {"card": {"cvv": "1"}}}},
        "troubled",
        False,
        'tool update_card was called once but never with arguments {"card": {"cvv": "1"}} '
        "(card.cvv: missing)",
    ),
    (
        {"tool_not_called": {"name": "cancel_order"}},
        "sample",
        True,
        "tool cancel_order was never called",
    ),
    (
        {"tool_not_called": {"name": "issue_refund"}},
        "sample",
        False,
        "tool issue_refund was called once (first at 19.1 s, with "
        '{"amount": 89.0, "order_id": "4417"})',
    ),
    (
        {"said": {"pattern": r"refund of \d+ euros"}},
        "sample",
        True,
        "agent said 'refund of 89 euros' at 19.5 s",
    ),
    (
        {"said": {"pattern": "(?i)store credit"}},
        "sample",
        False,
        "agent never said anything matching /(?i)store credit/ in 6 agent turns",
    ),
    (
        {"said": {"role": "user", "pattern": "order 4417"}},
        "sample",
        True,
        "user said 'order 4417' at 8.4 s",
    ),
    (
        {"never_said": {"pattern": "credit card number"}},
        "troubled",
        False,
        "agent said 'credit card number' at 12.4 s",
    ),
    (
        {"never_said": {"role": "user", "pattern": "lawyer"}},
        "sample",
        True,
        "user never said anything matching /lawyer/ in 6 user turns",
    ),
    ({"node_reached": {"name": "refunds"}}, "sample", True, "node refunds reached at 10.9 s"),
    (
        {"node_reached": {"name": "billing"}},
        "sample",
        False,
        "node billing was never reached; nodes reached: greeting, refunds",
    ),
    (
        {"latency": {"p50_ms": 800, "p95_ms": 900, "max_ms": 1000}},
        "sample",
        True,
        "p50 e2e_latency 750 ms <= 800 ms, p95 e2e_latency 840 ms <= 900 ms, "
        "max e2e_latency 850 ms <= 1,000 ms over 6 agent turns",
    ),
    (
        {"latency": {"p50_ms": 700, "p95_ms": 800}},
        "sample",
        False,
        "p50 e2e_latency 750 ms > 700 ms; p95 e2e_latency 840 ms > 800 ms over 6 agent turns",
    ),
    (
        {"latency": {"p95_ms": 1500}},
        "troubled",
        False,
        "p95 e2e_latency 1,830 ms > 1,500 ms over 1 agent turn",
    ),
    (
        {"latency": {"metric": "llm_node_ttft", "max_ms": 400}},
        "sample",
        True,
        "max llm_node_ttft 358 ms <= 400 ms over 6 agent turns",
    ),
    (
        {"latency": {"metric": "tts_node_ttfb", "max_ms": 400}},
        "troubled",
        False,
        "no agent turn reported tts_node_ttfb; the agent's integration sends no latency "
        "metrics, or the agent never spoke",
    ),
    ({"duration": {"min": "30s", "max": "1m"}}, "sample", True, "call lasted 48.0 s"),
    (
        {"duration": {"max": "40s"}},
        "sample",
        False,
        "call lasted 48.0 s, longer than the maximum 40.0 s",
    ),
    (
        {"duration": {"min": "30s"}},
        "troubled",
        False,
        "call lasted 15.0 s, shorter than the minimum 30.0 s",
    ),
    ({"hung_up_by": "user"}, "sample", True, "the user hung up (disconnection_reason user_hangup)"),
    (
        {"hung_up_by": "either"},
        "troubled",
        True,
        "the agent hung up (disconnection_reason agent_hangup)",
    ),
    (
        {"hung_up_by": "user"},
        "troubled",
        False,
        "the agent hung up (disconnection_reason agent_hangup); expected the user to",
    ),
    ({"no_errors": True}, "sample", True, "no errors recorded"),
    (
        {"no_errors": True},
        "troubled",
        False,
        "2 errors: 'LLM request timed out' at 3.2 s (llm), 'TTS stream closed' at 9.0 s",
    ),
    ({"linked": True}, "sample", True, "agent side linked (call_id sample-1)"),
]


@pytest.mark.parametrize(("assertion", "which", "passed", "reason"), CASES)
def test_assertion_verdicts_and_reasons(
    assertion: dict[str, Any], which: str, passed: bool, reason: str
) -> None:
    body = sample_body() if which == "sample" else troubled_body()
    assert check(assertion, body) == (passed, reason)


def test_every_assertion_kind_is_covered_passing_and_failing() -> None:
    from ringback.simulator.suite.assertions import ASSERTION_KINDS

    outcomes = {(next(iter(a)), passed) for a, _, passed, _ in CASES}
    missing_failures = {k for k in ASSERTION_KINDS if (k, False) not in outcomes} - {"linked"}
    assert missing_failures == set()
    assert {k for k in ASSERTION_KINDS if (k, True) not in outcomes} == set()


def test_a_missing_agent_side_fails_linked_and_every_other_assertion() -> None:
    evaluation = evaluate_call(
        scenario({"linked": True}, {"no_errors": True}, expectations="Be polite."), None, None
    )
    linked, no_errors, expectations = evaluation.assertions
    assert (linked.passed, no_errors.passed) == (False, False)
    assert linked.reason.startswith("no agent side is linked to this call: the agent under test")
    assert no_errors.reason == "no agent side is linked to this call, so this could not be checked"
    assert (expectations.passed, expectations.reason) == (None, JUDGE_SKIPPED)
    assert not evaluation.passed
    assert evaluation.failure_reasons()[0].startswith("linked: no agent side is linked")


def test_an_unlinked_call_fails_even_without_assertions() -> None:
    evaluation = evaluate_call(scenario(), None, None)
    assert not evaluation.passed
    assert evaluation.failure_reasons() == [
        "linked: no agent side is linked to this call: the agent under test never synced it "
        "(is the Ringback plugin installed and pointed at this collector?)"
    ]


def test_disconnection_errors_and_caller_side_hangups() -> None:
    body = sample_body()
    body["disconnection_reason"] = "error"
    assert check({"no_errors": True}, body) == (
        False,
        "the call ended with disconnection_reason error",
    )
    body["disconnection_reason"] = "unknown"
    assert check({"hung_up_by": "either"}, body) == (
        False,
        "the call ended with disconnection_reason unknown, not a hang-up by the user or the agent",
    )
    # the caller side's "agent" is the simulated caller: its agent_hangup is the user hanging up
    caller = {"disconnection_reason": "agent_hangup"}
    (result,) = evaluate_call(scenario({"hung_up_by": "user"}), body, caller).assertions
    assert (result.passed, result.reason) == (
        True,
        "the user hung up (agent side unknown; caller side agent_hangup)",
    )


def test_json_string_params_and_result_rows_without_their_call_row() -> None:
    body = sample_body()
    segments = body["transcript_with_tool_calls"]
    body["transcript_with_tool_calls"] = [s for s in segments if s["role"] != "agent_function"]
    for s in body["transcript_with_tool_calls"]:
        if s["role"] == "agent_result":
            s["tool"]["params"] = json.dumps({"order_id": "4417", "amount": 89.0})
    assertion = {"tool_called": {"name": "issue_refund", "arguments": {"amount": 89}}}
    assert check(assertion, body) == (
        True,
        'tool issue_refund called at 19.1 s with {"amount": 89}',
    )


def test_a_passing_call_is_json_serialisable() -> None:
    evaluation = evaluate_call(
        scenario({"tool_called": {"name": "issue_refund"}}, {"linked": True}), sample_body(), None
    )
    data = json.loads(evaluation.model_dump_json())
    assert data["passed"] is True
    assert data["latency_samples"]["e2e_latency"] == [650, 690, 730, 770, 810, 850]
    assert data["assertions"][0]["spec"] == {"name": "issue_refund", "arguments": None}


def caller_body(*turns: tuple[str, int, int]) -> dict[str, Any]:
    """The simulated caller's recording: its own lines are `agent` turns, what it heard of
    the agent under test `user` turns."""
    timeline = Timeline(clock=CallClock(wall_origin=1_700_000_000.0, mono_origin_ns=0))
    for role, start, end in turns:
        timeline.add_turn(role, f"{role} at {start}", start_ms=start, end_ms=end)
    timeline.mark_end(20_000)
    return json.loads(timeline.build(call_id="sample-1-caller").to_json_bytes())


def test_heard_latency_is_measured_on_the_caller_side() -> None:
    caller = caller_body(
        ("user", 0, 1_500),  # the agent's greeting: no caller turn before it
        ("agent", 2_000, 3_000),  # the caller speaks ...
        ("user", 3_900, 5_000),  # ... and hears the agent 900 ms after it stopped
        ("agent", 6_000, 7_000),
        ("user", 8_300, 9_000),  # 1,300 ms
        ("user", 9_500, 9_900),  # the same answer going on: no second sample
        ("agent", 11_000, 12_000),  # never answered
    )
    evaluation = evaluate_call(
        scenario({"latency": {"metric": "heard_latency", "p50_ms": 1_200, "max_ms": 1_500}}),
        sample_body(),
        caller,
    )
    assert evaluation.latency_samples["heard_latency"] == [900, 1_300]
    assert evaluation.latency_samples["e2e_latency"] == [650, 690, 730, 770, 810, 850]
    (result,) = evaluation.assertions
    assert (result.passed, result.reason) == (
        True,
        "p50 heard_latency 1,100 ms <= 1,200 ms, max heard_latency 1,300 ms <= 1,500 ms "
        "over 2 caller turns",
    )


def test_heard_latency_needs_the_caller_side() -> None:
    (result,) = evaluate_call(
        scenario({"latency": {"metric": "heard_latency", "p95_ms": 2_000}}), sample_body(), None
    ).assertions
    assert (result.passed, result.reason) == (
        False,
        "no heard_latency: the simulated caller's side of the call is not linked",
    )
