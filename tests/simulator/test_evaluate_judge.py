"""`agent_expectations`: judged by an LLM when one is given, skipped (never passed) otherwise."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from ringback.core.sample import sample_call
from ringback.livekit.testing import Reply, ScriptedLLM
from ringback.simulator.evaluate import (
    EXPECTATIONS_KIND,
    JUDGE_SKIPPED,
    evaluate_call,
    judge_call,
    summarise,
)
from ringback.simulator.evaluate.gate import run_exit_code
from ringback.simulator.evaluate.judge import SYSTEM_PROMPT, transcript
from ringback.simulator.reports.junit import render_junit
from ringback.simulator.reports.markdown import render_markdown
from ringback.simulator.suite.models import Scenario, Suite

EXPECTATIONS = "The agent issues a refund for order 4417 and says when it arrives."


def scenario() -> Scenario:
    return Scenario.model_validate(
        {
            "id": "refund",
            "instructions": "Ask for a refund.",
            "agent_expectations": EXPECTATIONS,
            "assertions": [{"tool_called": {"name": "issue_refund"}}],
        }
    )


def body() -> dict[str, Any]:
    return json.loads(sample_call(6, call_id="sample-1").to_json_bytes())


def expectations_of(evaluation: Any) -> Any:
    (result,) = [a for a in evaluation.assertions if a.kind == EXPECTATIONS_KIND]
    return result


def test_without_a_judge_expectations_are_skipped_and_never_counted_as_passed() -> None:
    evaluation = evaluate_call(scenario(), body(), None)
    result = expectations_of(evaluation)
    assert (result.passed, result.reason) == (None, JUDGE_SKIPPED)
    assert result.passed is not True
    suite = Suite.model_validate(
        {"name": "s", "agent": {"sip_uri": "sip:a@b.example"}, "scenarios": [scenario()]}
    )
    (tally,) = [
        t for t in summarise("r", suite, [evaluation]).scenarios[0].assertions if t.index < 0
    ]
    assert (tally.kind, tally.passed, tally.failed, tally.skipped) == (EXPECTATIONS_KIND, 0, 0, 1)


async def test_a_judge_verdict_is_stored_with_its_reasoning() -> None:
    reasoning = "The agent called issue_refund for 4417 and said 3-5 business days."
    judge = ScriptedLLM(
        [Reply(text=json.dumps({"passed": True, "reasoning": reasoning}))], model="judge-1"
    )
    evaluation = await judge_call(scenario(), body(), None, judge=judge, result_id="r1")
    result = expectations_of(evaluation)
    assert result.passed is True
    assert result.reason == f"judge (judge-1): expectations met: {reasoning}"
    assert result.detail == {"model": "judge-1", "reasoning": reasoning}
    assert result.spec == {"expectations": EXPECTATIONS}
    assert evaluation.passed
    assert judge.requests == 1
    stored = json.loads(evaluation.model_dump_json())
    assert stored["assertions"][-1]["detail"]["reasoning"] == reasoning


async def test_a_failing_verdict_fails_the_call() -> None:
    answer = '```json\n{"passed": false, "reasoning": "It never said when."}\n```'
    judge = ScriptedLLM([Reply(text=answer)], model="judge-1")
    evaluation = await judge_call(scenario(), body(), None, judge=judge)
    result = expectations_of(evaluation)
    assert (result.passed, result.reason) == (
        False,
        "judge (judge-1): expectations not met: It never said when.",
    )
    assert not evaluation.passed
    assert evaluation.failure_reasons() == [
        "agent_expectations: judge (judge-1): expectations not met: It never said when."
    ]


async def test_a_judge_that_fails_makes_the_call_an_error_not_a_failure() -> None:
    judge = ScriptedLLM([Reply(text="Looks fine to me!")], model="judge-1")
    call = await judge_call(scenario(), body(), None, judge=judge)
    result = expectations_of(call)
    assert (result.passed, result.error, result.skipped) == (None, True, False)
    assert result.reason == (
        "the judge failed (ValueError): the judge did not answer with JSON: 'Looks fine to me!'"
    )
    assert (call.status, call.passed) == ("error", False)
    assert call.failure_reasons() == []
    assert call.error_reasons() == [f"agent_expectations: {result.reason}"]

    broken = ScriptedLLM([Reply(error="model overloaded")], model="judge-1")
    call = await judge_call(scenario(), body(), None, judge=broken)
    result = expectations_of(call)
    assert (result.passed, result.error) == (None, True)
    assert result.reason.startswith("the judge failed (")
    assert "model overloaded" in result.reason
    assert call.status == "error"


async def test_judge_errors_are_left_out_of_the_pass_rate_and_reported_beside_it() -> None:
    suite = Suite.model_validate(
        {
            "name": "s",
            "agent": {"sip_uri": "sip:agent@pbx.example.com"},
            "scenarios": [{"id": "refund", "instructions": "Ask for a refund."}],
        }
    )
    judged = ScriptedLLM(
        [Reply(text='{"passed": true, "reasoning": "ok"}'), Reply(error="timeout")]
    )
    calls = [
        await judge_call(scenario(), body(), None, judge=judged, result_id="r1"),
        await judge_call(scenario(), body(), None, judge=judged, result_id="r2", attempt=1),
    ]
    evaluation = summarise("run-1", suite, calls)
    assert [c.status for c in evaluation.calls] == ["passed", "error"]
    assert (evaluation.passed, evaluation.errors, evaluation.pass_rate) == (1, 1, 1.0)
    assert (evaluation.scenarios[0].errors, evaluation.scenarios[0].pass_rate) == (1, 1.0)
    assert evaluation.failed_calls == []

    junit = ET.fromstring(render_junit(evaluation))
    assert (junit.get("tests"), junit.get("failures"), junit.get("errors")) == ("2", "0", "1")
    (error,) = junit.iter("error")
    assert error.get("type") == "JudgeError"
    assert "the judge failed" in (error.get("message") or "")
    assert "1 could not be evaluated: the judge failed" in render_markdown(evaluation)

    said: list[str] = []
    assert run_exit_code(evaluation, suite, None, 0, said.append) == 2  # not fully evaluated
    assert said[0] == (
        "pass rate 100.0% (1/1 calls): every call evaluated passed; 1 more could not be "
        "evaluated (the judge failed) and are left out"
    )
    assert said[1:] == ["  error refund#1 (r2):", f"    {evaluation.calls[1].error_reasons()[0]}"]


async def test_the_judge_sees_the_expectations_and_the_transcript() -> None:
    seen: list[str] = []

    def respond(chat_ctx: Any) -> Reply:
        seen.extend(item.text_content or "" for item in chat_ctx.items)
        return Reply(text='{"passed": true, "reasoning": "ok"}')

    await judge_call(scenario(), body(), None, judge=ScriptedLLM(respond=respond))
    system, user = seen
    assert system == SYSTEM_PROMPT
    assert user.startswith(f"Expectations:\n{EXPECTATIONS}\n\nTranscript:\n")
    assert '[19.1 s] agent called tool issue_refund({"order_id": "4417", "amount": 89.0})' in user
    assert "[8.4 s] user: Sure, it's order 4417." in user
    assert "[10.9 s] (moved to refunds)" in transcript(body())


async def test_a_judge_on_a_missing_agent_side_fails_without_calling_it() -> None:
    judge = ScriptedLLM([], model="judge-1")
    evaluation = await judge_call(scenario(), None, None, judge=judge)
    assert expectations_of(evaluation).passed is False
    assert judge.requests == 0
