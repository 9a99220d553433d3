"""The end of a run recorded in the collector's store: give the agent time to sync the
answered calls back, evaluate the run once (judge included), keep that evaluation with the
run, and write the reports from it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit.agents import llm

from ringback.simulator.evaluate import RunEvaluation
from ringback.simulator.evaluate.compare import Comparison
from ringback.simulator.reports import ReportFormat, load_run, write_reports
from ringback.simulator.store import Store
from ringback.simulator.suite.models import Suite

DEFAULT_POLL_S = 0.5


@dataclass
class Conclusion:
    evaluation: RunEvaluation
    reports: dict[ReportFormat, Path] = field(default_factory=dict)
    unsynced: set[str] = field(default_factory=set)
    """Answered calls whose agent side had not arrived when the wait ended."""
    report_error: str | None = None
    comparison: Comparison | None = None
    """The run against the baseline run, when one was given."""


async def wait_for_agent_sides(
    store: Store,
    workspace_id: int,
    run_id: str,
    answered: Collection[str],
    *,
    timeout_s: float,
    poll_s: float = DEFAULT_POLL_S,
    on_wait: Callable[[int, float], None] | None = None,
    caller_sides: bool = False,
) -> set[str]:
    """Wait until every result in `answered` has its agent side linked (and, with
    `caller_sides`, the simulated caller's side too), or `timeout_s` has passed; the result
    ids still missing one. `on_wait(missing, seconds_left)` is called before each pause."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        linked = await store.agent_linked_results(workspace_id, run_id)
        if caller_sides:
            linked &= await store.caller_linked_results(workspace_id, run_id)
        missing = set(answered) - linked
        left = deadline - loop.time()
        if not missing or left <= 0:
            return missing
        if on_wait is not None:
            on_wait(len(missing), left)
        await asyncio.sleep(min(poll_s, left))


async def conclude_run(
    database_url: str | None,
    workspace_id: int,
    run_id: str,
    suite: Suite,
    *,
    answered: Collection[str] = (),
    link_timeout_s: float = 0.0,
    judge: llm.LLM[Any] | None = None,
    report_dir: Path | None = None,
    on_wait: Callable[[int, float], None] | None = None,
    poll_s: float = DEFAULT_POLL_S,
    caller_sides: bool = False,
    baseline: str | None = None,
) -> Conclusion:
    """Wait for the agent sides of `answered` (and their caller sides, with `caller_sides`),
    evaluate the run and keep the evaluation with it, then write its reports into
    `report_dir` (when given). A report that cannot be written is recorded in
    `report_error`, never raised: the evaluation still counts. With `baseline` (a run id
    whose evaluation is kept) the run is compared with it, in `comparison` and the reports."""
    async with await Store.open(database_url) as store:
        unsynced = await wait_for_agent_sides(
            store,
            workspace_id,
            run_id,
            answered,
            timeout_s=link_timeout_s,
            poll_s=poll_s,
            on_wait=on_wait,
            caller_sides=caller_sides,
        )
        loaded = await load_run(store, workspace_id, run_id, suite, judge=judge, baseline=baseline)
        evaluation, bodies = loaded.evaluation, loaded.bodies
    conclusion = Conclusion(evaluation=evaluation, unsynced=unsynced, comparison=loaded.comparison)
    if report_dir is not None:
        try:
            conclusion.reports = write_reports(
                evaluation, bodies, report_dir, comparison=loaded.comparison
            )
        except OSError as exc:
            conclusion.report_error = str(exc)
    return conclusion
