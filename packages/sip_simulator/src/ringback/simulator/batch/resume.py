"""Resuming a run: which planned calls still need dialling."""

from __future__ import annotations

from collections.abc import Iterable

from ringback.simulator.batch.outcome import CallOutcome
from ringback.simulator.plan import PlannedCall, RunPlan


def remaining_calls(
    plan: RunPlan, previous: Iterable[CallOutcome]
) -> tuple[list[PlannedCall], list[CallOutcome]]:
    """Split `plan` into the calls to dial and the earlier outcomes that make them unneeded.

    A call is identified by (scenario id, repeat). Completed and failed calls are skipped;
    cancelled calls, errors and calls never placed are dialled again, each with the fresh
    result id of the new plan, so one result id always names one dialled call.
    """
    finished: dict[tuple[str, int], CallOutcome] = {}
    for outcome in previous:
        if outcome.run_id != plan.run_id:
            raise ValueError(
                f"result {outcome.result_id} belongs to run {outcome.run_id}, not {plan.run_id}"
            )
        if outcome.finished:
            finished[(outcome.scenario_id, outcome.repeat)] = outcome
    todo = [c for c in plan.calls if (c.scenario_id, c.repeat) not in finished]
    skipped = [
        finished[(c.scenario_id, c.repeat)]
        for c in plan.calls
        if (c.scenario_id, c.repeat) in finished
    ]
    return todo, skipped
