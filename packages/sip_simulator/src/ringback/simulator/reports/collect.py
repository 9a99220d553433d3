"""Reading a stored run back: its evaluation and every call's synced bodies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from livekit.agents import llm

from ringback.core.errors import RingbackError
from ringback.simulator.evaluate import RunEvaluation, evaluate_run
from ringback.simulator.evaluate.compare import Comparison, compare
from ringback.simulator.evaluate.stored import load_evaluation, save_evaluation
from ringback.simulator.store import ResultWithCalls, RunInfo, Store
from ringback.simulator.suite.models import Suite

from .formats import ReportFormat
from .models import CallBodies
from .writer import ALL_FORMATS, write_reports


class UnknownRunError(RingbackError, LookupError):
    """The run id is not in the store (for this workspace)."""


def bodies_of(results: Iterable[ResultWithCalls]) -> dict[str, CallBodies]:
    """Each result's agent-side and caller-side Create Call bodies, by result id."""
    return {
        linked.result.id: CallBodies(
            agent=linked.agent_call.body if linked.agent_call is not None else None,
            caller=linked.caller_call.body if linked.caller_call is not None else None,
        )
        for linked in results
    }


async def call_bodies(store: Store, workspace_id: int, run_id: str) -> dict[str, CallBodies]:
    """`bodies_of` the run's results, read from `store`."""
    return bodies_of(await store.list_results(workspace_id, run_id))


class SuiteMismatchError(RingbackError, ValueError):
    """The suite given is not the one the run used: evaluating with it would score every call
    against the wrong scenarios."""


class NoBaselineError(RingbackError, LookupError):
    """The baseline run is unknown, or has no evaluation to compare with."""


@dataclass(frozen=True)
class LoadedRun:
    evaluation: RunEvaluation
    bodies: dict[str, CallBodies]
    evaluated_at: datetime | None
    """When the kept evaluation was made; None when it was made now."""
    comparison: Comparison | None = None
    """The run against its baseline, when one was asked for."""


async def baseline_evaluation(store: Store, workspace_id: int, run_id: str) -> RunEvaluation:
    """The evaluation kept with the baseline run `run_id`; `NoBaselineError` without one."""
    if await store.get_run(workspace_id, run_id) is None:
        raise NoBaselineError(
            f"no baseline run {run_id!r} in workspace {workspace_id} of this collector"
        )
    kept = await load_evaluation(store, workspace_id, run_id)
    if kept is None:
        raise NoBaselineError(
            f"baseline run {run_id} has no evaluation to compare with: evaluate it first "
            f"(ringback-sim report {run_id} --suite SUITE.yaml)"
        )
    return kept


def check_suite(run: RunInfo, scenario_ids: set[str], suite: Suite) -> None:
    """Raise `SuiteMismatchError` when `suite` shares no scenario with the run, or has another
    name and lacks some of the run's scenarios (an edited suite of the same name may)."""
    known = {scenario.id for scenario in suite.scenarios}
    missing = sorted(scenario_ids - known)
    if not missing or (run.name == suite.name and scenario_ids & known):
        return
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    lacks = "none of its scenarios" if not scenario_ids & known else "its scenarios"
    raise SuiteMismatchError(
        f"run {run.id} is of suite {run.name!r}; suite {suite.name!r} lacks {lacks} {shown}: "
        "pass the suite file the run used (scoring the run against another would fail every "
        "call)"
    )


async def load_run(
    store: Store,
    workspace_id: int,
    run_id: str,
    suite: Suite,
    *,
    judge: llm.LLM[Any] | None = None,
    re_evaluate: bool = True,
    baseline: str | None = None,
) -> LoadedRun:
    """The run's evaluation and bodies; `UnknownRunError` if absent, `SuiteMismatchError` for a
    suite the run did not use. The evaluation kept with the run is used as it is unless
    `re_evaluate` (or there is none): then the run is evaluated against `suite` (expectations
    judged by `judge` when given) and that evaluation is kept, replacing the earlier one. With
    `baseline` (a run id) the run is compared with that run's kept evaluation."""
    run = await store.get_run(workspace_id, run_id)
    if run is None:
        raise UnknownRunError(f"no run {run_id!r} in workspace {workspace_id} of this collector")
    before = await baseline_evaluation(store, workspace_id, baseline) if baseline else None
    results = await store.list_results(workspace_id, run_id)
    check_suite(run, {r.result.scenario_id for r in results}, suite)
    kept = None if re_evaluate else await load_evaluation(store, workspace_id, run_id)
    if kept is not None and run.evaluation is not None:
        evaluation, evaluated_at = kept, run.evaluation.evaluated_at
    else:
        evaluation = await evaluate_run(store, workspace_id, run_id, suite, judge=judge)
        await save_evaluation(store, workspace_id, evaluation)
        evaluated_at = None
    comparison = compare(evaluation, before) if before is not None else None
    bodies = bodies_of(results)  # read above; evaluating changes no link
    return LoadedRun(evaluation, bodies, evaluated_at, comparison)


async def report_run(
    database_url: str | None,
    workspace_id: int,
    run_id: str,
    suite: Suite,
    out_dir: Path,
    formats: Iterable[ReportFormat | str] = ALL_FORMATS,
    *,
    judge: llm.LLM[Any] | None = None,
    re_evaluate: bool = False,
    baseline: str | None = None,
) -> tuple[LoadedRun, dict[ReportFormat, Path]]:
    """Open the store at `database_url`, load the run (see `load_run`; its kept evaluation
    unless `re_evaluate`) and write its reports."""
    async with await Store.open(database_url) as store:
        loaded = await load_run(
            store,
            workspace_id,
            run_id,
            suite,
            judge=judge,
            re_evaluate=re_evaluate,
            baseline=baseline,
        )
    written = write_reports(
        loaded.evaluation, loaded.bodies, out_dir, formats, comparison=loaded.comparison
    )
    return loaded, written
