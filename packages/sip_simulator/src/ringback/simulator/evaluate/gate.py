"""`run --fail-under`: evaluate a finished run and fail it when too few calls passed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ringback.simulator.collector.store import Store
from ringback.simulator.suite.models import Suite

from .models import RunEvaluation
from .run import evaluate_run

EXIT_BELOW = 1
MAX_LISTED = 20


async def _evaluate(
    database_url: str | None, workspace_id: int, run_id: str, suite: Suite
) -> RunEvaluation:
    async with await Store.open(database_url) as store:
        return await evaluate_run(store, workspace_id, run_id, suite)


def render_gate(evaluation: RunEvaluation, threshold: float) -> list[str]:
    """The pass rate against `threshold`, then each failing call with its reasons."""
    rate = evaluation.pass_rate
    shown = "n/a" if rate is None else f"{rate:.1%}"
    verdict = "below" if rate is None or rate < threshold else "meets"
    lines = [
        f"pass rate {shown} ({evaluation.passed}/{evaluation.total} calls) {verdict} "
        f"fail_under {threshold:.1%}"
    ]
    for call in evaluation.failed_calls[:MAX_LISTED]:
        lines.append(f"  {call.scenario_id}#{call.attempt} ({call.result_id}):")
        lines.extend(f"    {reason}" for reason in call.failure_reasons())
    if len(evaluation.failed_calls) > MAX_LISTED:
        lines.append(f"  and {len(evaluation.failed_calls) - MAX_LISTED} more failing calls")
    return lines


def fail_under_gate(
    store: object,
    suite: Suite,
    run_id: str,
    flag: float | None,
    code: int,
    say: Callable[[str], None],
) -> int:
    """The run's exit code once `fail_under` (the flag, else the suite's) is applied: 1 when
    the pass rate is below it, `code` otherwise. An interrupted run (130) is not evaluated.
    Without the collector's store the run cannot be evaluated: an explicit `--fail-under`
    then fails the run (1); the suite's own `fail_under` only warns."""
    threshold = flag if flag is not None else suite.run.fail_under
    if threshold is None or code == 130:
        return code
    workspace_id = getattr(store, "workspace_id", None)
    if not isinstance(workspace_id, int):
        if flag is not None:
            say("error: --fail-under needs the collector's store to evaluate the run")
            return EXIT_BELOW
        say("warning: run.fail_under not applied: these results are not in the collector's store")
        return code
    evaluation = asyncio.run(
        _evaluate(getattr(store, "database_url", None), workspace_id, run_id, suite)
    )
    for line in render_gate(evaluation, threshold):
        say(line)
    rate = evaluation.pass_rate
    return EXIT_BELOW if rate is None or rate < threshold else code
