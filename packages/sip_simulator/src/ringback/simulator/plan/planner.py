"""Turn a suite into the exact list of calls to place."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from ringback.core.protocol import (
    CORRELATION_ID_HEADER,
    RESULT_ID_HEADER,
    RUN_ID,
    RUN_ID_HEADER,
    SCENARIO_ID_HEADER,
    new_result_id,
    new_run_id,
)
from ringback.simulator.suite.models import Scenario, Suite

from .headers import HeaderPlanError, invite_headers


class PlannedCall(BaseModel):
    """One call of a run: its ids, the INVITE headers, and what the simulated caller gets."""

    run_id: str
    result_id: str
    scenario_id: str
    repeat: int
    """0-based repeat index of the scenario."""
    room_name: str
    participant_identity: str
    headers: dict[str, str]
    """Exactly the X- headers sent on the INVITE."""
    participant_attributes: dict[str, str]
    caller_metadata: dict[str, Any]
    """The dispatch metadata of the simulated caller (never sent to the agent)."""
    max_duration_s: float


class RunPlan(BaseModel):
    run_id: str
    suite: str
    calls: list[PlannedCall] = Field(default_factory=list)


def select_scenarios(
    suite: Suite, *, patterns: Sequence[str] = (), tags: Sequence[str] = ()
) -> list[Scenario]:
    """Scenarios whose id matches any glob in `patterns` and that carry any of `tags`
    (no patterns / no tags: no filter)."""
    chosen = suite.scenarios
    if patterns:
        chosen = [s for s in chosen if any(fnmatch.fnmatchcase(s.id, p) for p in patterns)]
    if tags:
        chosen = [s for s in chosen if set(tags) & set(s.tags)]
    return chosen


def plan_run(
    suite: Suite,
    *,
    run_id: str | None = None,
    patterns: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> RunPlan:
    """Plan every call (scenarios × repeat) with fresh result ids.

    Raises `HeaderPlanError` listing every scenario whose headers cannot be sent, before
    anything is dialled, and `ValueError` when the filters select nothing.
    """
    if run_id is not None and not RUN_ID.match(run_id):
        raise ValueError(f"{run_id!r} is not a Ringback run id (26 Crockford base32 characters)")
    run_id = run_id or new_run_id()
    scenarios = select_scenarios(suite, patterns=patterns, tags=tags)
    if not scenarios:
        raise ValueError(
            "no scenario matches the filters "
            f"(patterns {list(patterns) or 'any'}, tags {list(tags) or 'any'})"
        )
    problems: list[str] = []
    calls: list[PlannedCall] = []
    for scenario in scenarios:
        profile = suite.profile_of(scenario)
        for repeat in range(suite.run.repeat):
            result_id = new_result_id()
            ids = {
                RUN_ID_HEADER: run_id,
                SCENARIO_ID_HEADER: scenario.id,
                RESULT_ID_HEADER: result_id,
                CORRELATION_ID_HEADER: result_id,
            }
            try:
                headers = invite_headers(
                    ids,
                    profile.invite_headers,
                    scenario_id=scenario.id,
                    profile=scenario.profile,
                    transport=suite.agent.transport,
                )
            except HeaderPlanError as exc:
                if repeat == 0:
                    problems.append(str(exc))
                continue
            calls.append(_call(suite, scenario, run_id, result_id, repeat, headers))
    if problems:
        raise HeaderPlanError("\n".join(problems))
    return RunPlan(run_id=run_id, suite=suite.name, calls=calls)


def _call(
    suite: Suite,
    scenario: Scenario,
    run_id: str,
    result_id: str,
    repeat: int,
    headers: dict[str, str],
) -> PlannedCall:
    max_duration = scenario.max_duration or suite.run.max_call_duration
    ids = {"run_id": run_id, "scenario_id": scenario.id, "result_id": result_id}
    return PlannedCall(
        run_id=run_id,
        result_id=result_id,
        scenario_id=scenario.id,
        repeat=repeat,
        room_name=f"{suite.livekit.room_prefix}{result_id}",
        participant_identity=f"agent-under-test-{result_id[:12]}",
        headers=headers,
        participant_attributes={f"ringback.{k}": v for k, v in ids.items()},
        caller_metadata={
            **ids,
            "suite": suite.name,
            "scenario": {
                "id": scenario.id,
                "label": scenario.label,
                "instructions": scenario.instructions,
                "turns": scenario.turns,
                "userdata": scenario.userdata,
                "tags": scenario.tags,
            },
            "testing_variables": suite.profile_of(scenario).information.testing_agent_variables,
            "caller": suite.caller.model_dump(),
            "max_duration_s": max_duration.total_seconds(),
        },
        max_duration_s=max_duration.total_seconds(),
    )
