"""Judging a scenario's `agent_expectations` with an LLM (livekit-agents `llm.LLM`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from livekit.agents import llm

from ringback.simulator.suite.models import Scenario

from . import body as B
from .call import NO_AGENT_SIDE, evaluate_call
from .models import EXPECTATIONS_KIND, AssertionResult, CallEvaluation

SYSTEM_PROMPT = """\
You judge one phone call between a caller ("user") and a voice AI agent ("agent").
Decide whether the agent met the expectations below, using only the transcript.
Answer with a single JSON object and nothing else:
{"passed": true or false, "reasoning": "one or two sentences citing what the agent did"}"""

MAX_TRANSCRIPT_CHARS = 60_000


def transcript(body: Mapping[str, Any]) -> str:
    """The call as plain lines: turns, tool calls and node changes, with their times."""
    lines = []
    for s in body.get("transcript_with_tool_calls") or []:
        role, at = s.get("role"), B.seconds(float(s.get("start_ms") or 0))
        tool, node = s.get("tool") or {}, s.get("node") or {}
        if role in ("user", "agent"):
            lines.append(f"[{at}] {role}: {s.get('text') or ''}")
        elif role == "agent_function":
            params = json.dumps(B.parse_params(tool.get("params") or {}), default=str)
            lines.append(f"[{at}] agent called tool {tool.get('name')}({params})")
        elif role == "agent_result":
            outcome = tool.get("error") if tool.get("is_error") else tool.get("result")
            lines.append(f"[{at}] tool {tool.get('name')} returned {json.dumps(outcome)}")
        elif role == "node_transition":
            lines.append(f"[{at}] (moved to {node.get('to')})")
    text = "\n".join(lines)
    return text if len(text) <= MAX_TRANSCRIPT_CHARS else text[-MAX_TRANSCRIPT_CHARS:]


def parse_verdict(text: str) -> tuple[bool, str]:
    """`(passed, reasoning)` from the judge's answer; ValueError when it is not the JSON asked
    for (a code fence around it is tolerated)."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if match is None:
        raise ValueError(f"the judge did not answer with JSON: {text[:200]!r}")
    verdict = json.loads(match.group(0))
    if not isinstance(verdict, dict) or not isinstance(verdict.get("passed"), bool):
        raise ValueError(f"the judge's answer has no boolean `passed`: {text[:200]!r}")
    return verdict["passed"], str(verdict.get("reasoning") or "")


async def judge_expectations(
    expectations: str, agent_body: Mapping[str, Any] | None, judge: llm.LLM[Any]
) -> AssertionResult:
    """Ask `judge` whether the call met `expectations`. A judge that fails or answers
    something else than the verdict asked for makes the check an `error` (it never passes,
    and it is no failure of the agent's)."""
    spec = {"expectations": expectations}
    detail: dict[str, Any] = {"model": judge.model}
    if agent_body is None:
        return AssertionResult(
            kind=EXPECTATIONS_KIND, passed=False, reason=NO_AGENT_SIDE, spec=spec
        )
    ctx = llm.ChatContext.empty()
    ctx.add_message(role="system", content=SYSTEM_PROMPT)
    ctx.add_message(
        role="user",
        content=f"Expectations:\n{expectations}\n\nTranscript:\n{transcript(agent_body)}",
    )
    try:
        text = ""
        async with judge.chat(chat_ctx=ctx) as stream:
            async for chunk in stream:
                if chunk.delta is not None and chunk.delta.content:
                    text += chunk.delta.content
        passed, reasoning = parse_verdict(text)
    except Exception as exc:  # the judge's failure, not the agent's: an error, with its cause
        return AssertionResult(
            kind=EXPECTATIONS_KIND,
            passed=None,
            error=True,
            reason=f"the judge failed ({type(exc).__name__}): {exc}",
            spec=spec,
            detail=detail,
        )
    detail["reasoning"] = reasoning
    verdict = "met" if passed else "not met"
    return AssertionResult(
        kind=EXPECTATIONS_KIND,
        passed=passed,
        reason=f"judge ({judge.model}): expectations {verdict}: {reasoning}",
        spec=spec,
        detail=detail,
    )


async def judge_call(
    scenario: Scenario,
    agent_body: Mapping[str, Any] | None,
    caller_body: Mapping[str, Any] | None = None,
    *,
    judge: llm.LLM[Any] | None = None,
    result_id: str | None = None,
    attempt: int = 0,
) -> CallEvaluation:
    """`evaluate_call`, with the scenario's `agent_expectations` judged by `judge` when one is
    given (skipped otherwise)."""
    evaluation = evaluate_call(
        scenario, agent_body, caller_body, result_id=result_id, attempt=attempt
    )
    if judge is None or not scenario.agent_expectations:
        return evaluation
    judged = await judge_expectations(scenario.agent_expectations, agent_body, judge)
    assertions = [a if a.kind != EXPECTATIONS_KIND else judged for a in evaluation.assertions]
    return evaluation.model_copy(update={"assertions": assertions})
