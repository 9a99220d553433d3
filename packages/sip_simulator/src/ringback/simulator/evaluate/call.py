"""`evaluate_call`: every assertion of a scenario checked against one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ringback.simulator.suite.assertions import (
    CallDuration,
    HungUpBy,
    Latency,
    Linked,
    NeverSaid,
    NodeReached,
    NoErrors,
    Said,
    ToolCalled,
    ToolNotCalled,
)
from ringback.simulator.suite.models import Scenario

from . import body as B
from . import checks
from .models import EXPECTATIONS_KIND, JUDGE_SKIPPED, NOT_LINKED, AssertionResult, CallEvaluation

Body = Mapping[str, Any]
NO_AGENT_SIDE = "no agent side is linked to this call, so this could not be checked"


def assertion_kind(assertion: Any) -> str:
    kind: str = next(iter(type(assertion).model_fields))
    return kind


def check_assertion(assertion: Any, agent: Body, caller: Body | None) -> tuple[bool, str]:
    """Check one (non-`linked`) assertion against the agent side's body."""
    match assertion:
        case ToolCalled(tool_called=spec):
            return checks.tool_called(spec, agent)
        case ToolNotCalled(tool_not_called=spec):
            return checks.tool_not_called(spec, agent)
        case Said(said=spec):
            return checks.said(spec, agent)
        case NeverSaid(never_said=spec):
            return checks.never_said(spec, agent)
        case NodeReached(node_reached=spec):
            return checks.node_reached(spec, agent)
        case Latency(latency=spec):
            return checks.latency(spec, agent, caller)
        case CallDuration(duration=spec):
            return checks.duration(spec, agent)
        case HungUpBy(hung_up_by=expected):
            return checks.hung_up_by(expected, agent, caller)
        case NoErrors():
            return checks.no_errors(agent)
    raise TypeError(f"unknown assertion {assertion!r}")


def evaluate_call(
    scenario: Scenario,
    agent_body: Body | None,
    caller_body: Body | None = None,
    *,
    result_id: str | None = None,
    attempt: int = 0,
) -> CallEvaluation:
    """Check every assertion of `scenario` against one call. `agent_expectations`, when the
    scenario has them, are recorded as skipped (see `judge_call` for the LLM judge)."""
    results = []
    for assertion in scenario.assertions:
        kind = assertion_kind(assertion)
        spec = assertion.model_dump(mode="json")[kind]
        if isinstance(assertion, Linked):
            if agent_body is None:
                passed, reason = False, NOT_LINKED
            else:
                passed, reason = True, f"agent side linked (call_id {agent_body.get('call_id')})"
        elif agent_body is None:
            passed, reason = False, NO_AGENT_SIDE
        else:
            passed, reason = check_assertion(assertion, agent_body, caller_body)
        spec = spec if isinstance(spec, dict) else {"value": spec}
        results.append(AssertionResult(kind=kind, passed=passed, reason=reason, spec=spec))
    if scenario.agent_expectations:
        results.append(
            AssertionResult(
                kind=EXPECTATIONS_KIND,
                passed=None,
                reason=JUDGE_SKIPPED,
                spec={"expectations": scenario.agent_expectations},
            )
        )
    return CallEvaluation(
        result_id=result_id,
        scenario_id=scenario.id,
        attempt=attempt,
        linked=agent_body is not None,
        caller_linked=caller_body is not None,
        agent_call_id=str(agent_body.get("call_id")) if agent_body is not None else None,
        assertions=results,
        latency_samples=B.call_latency_samples(agent_body, caller_body),
    )
