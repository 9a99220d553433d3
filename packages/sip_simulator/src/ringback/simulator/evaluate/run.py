"""`evaluate_run`: every call of a stored run, per scenario, and the latency distribution."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from livekit.agents import llm

from ringback.simulator.store import ResultWithCalls, Store
from ringback.simulator.suite.models import Suite

from . import body as B
from .judge import judge_call
from .models import (
    AssertionResult,
    AssertionTally,
    CallEvaluation,
    LatencyStats,
    RunEvaluation,
    ScenarioEvaluation,
)

UNKNOWN_SCENARIO_KIND = "scenario"
JUDGE_CONCURRENCY = 8
"""Calls judged at once (each is one LLM request)."""


def latency_stats(calls: Iterable[CallEvaluation]) -> dict[str, LatencyStats]:
    """p50/p95/p99/max per metric over every agent turn of `calls`."""
    pooled: dict[str, list[float]] = {}
    for call in calls:
        for metric, values in call.latency_samples.items():
            pooled.setdefault(metric, []).extend(values)
    return {
        metric: LatencyStats(
            metric=metric,
            count=len(values),
            p50_ms=B.percentile(values, 0.5),
            p95_ms=B.percentile(values, 0.95),
            p99_ms=B.percentile(values, 0.99),
            max_ms=max(values),
        )
        for metric in B.LATENCY_METRICS
        if (values := pooled.get(metric, []))
    }


def _tallies(calls: list[CallEvaluation]) -> list[AssertionTally]:
    tallies: dict[int, AssertionTally] = {}
    for call in calls:
        for index, result in enumerate(call.assertions):
            key = -1 if result.kind == "agent_expectations" else index
            tally = tallies.setdefault(key, AssertionTally(index=key, kind=result.kind))
            if result.error:
                tally.errors += 1
            elif result.passed is None:
                tally.skipped += 1
            elif result.passed:
                tally.passed += 1
            else:
                tally.failed += 1
    return [tallies[k] for k in sorted(tallies, key=lambda k: (k < 0, k))]


def summarise(run_id: str, suite: Suite, calls: list[CallEvaluation]) -> RunEvaluation:
    """Per-scenario aggregation (across repeats) and the run's latency distribution."""
    labels = {s.id: s.label for s in suite.scenarios}
    order = [s.id for s in suite.scenarios]
    order += sorted({c.scenario_id for c in calls} - set(order))
    scenarios = []
    for scenario_id in order:
        mine = [c for c in calls if c.scenario_id == scenario_id]
        if not mine:
            continue
        passed = sum(c.passed for c in mine)
        evaluated = sum(c.status != "error" for c in mine)
        scenarios.append(
            ScenarioEvaluation(
                scenario_id=scenario_id,
                label=labels.get(scenario_id),
                calls=len(mine),
                passed=passed,
                errors=len(mine) - evaluated,
                pass_rate=passed / evaluated if evaluated else None,
                assertions=_tallies(mine),
                latency=latency_stats(mine),
            )
        )
    return RunEvaluation(
        run_id=run_id,
        suite=suite.name,
        calls=calls,
        scenarios=scenarios,
        latency=latency_stats(calls),
    )


async def evaluate_run(
    store: Store,
    workspace_id: int,
    run_id: str,
    suite: Suite,
    *,
    judge: llm.LLM[Any] | None = None,
) -> RunEvaluation:
    """Evaluate every result of `run_id` against `suite`'s scenarios. `agent_expectations`
    are judged by `judge` when given (`JUDGE_CONCURRENCY` calls at once), and skipped (never
    passed) otherwise. A result whose
    scenario is not in `suite` fails with that reason."""
    scenarios = {s.id: s for s in suite.scenarios}
    limit = asyncio.Semaphore(JUDGE_CONCURRENCY)

    async def evaluate(linked: ResultWithCalls) -> CallEvaluation:
        result = linked.result
        agent = linked.agent_call.body if linked.agent_call is not None else None
        caller = linked.caller_call.body if linked.caller_call is not None else None
        scenario = scenarios.get(result.scenario_id)
        if scenario is None:
            return CallEvaluation(
                result_id=result.id,
                scenario_id=result.scenario_id,
                attempt=result.attempt,
                linked=agent is not None,
                caller_linked=caller is not None,
                assertions=[
                    AssertionResult(
                        kind=UNKNOWN_SCENARIO_KIND,
                        passed=False,
                        reason=f"scenario {result.scenario_id!r} is not in suite "
                        f"{suite.name!r}; evaluate the run with the suite that ran it",
                    )
                ],
            )
        async with limit:
            return await judge_call(
                scenario, agent, caller, judge=judge, result_id=result.id, attempt=result.attempt
            )

    results = await store.list_results(workspace_id, run_id)
    calls = list(await asyncio.gather(*(evaluate(linked) for linked in results)))
    return summarise(run_id, suite, calls)
