"""Reading a stored run back: its evaluation and every call's synced bodies."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from livekit.agents import llm

from ringback.core.errors import RingbackError
from ringback.simulator.evaluate import RunEvaluation, evaluate_run
from ringback.simulator.evaluate.stored import save_evaluation
from ringback.simulator.store import Store
from ringback.simulator.suite.models import Suite

from .formats import ReportFormat
from .models import CallBodies
from .writer import ALL_FORMATS, write_reports


class UnknownRunError(RingbackError, LookupError):
    """The run id is not in the store (for this workspace)."""


async def call_bodies(store: Store, workspace_id: int, run_id: str) -> dict[str, CallBodies]:
    """Each result's agent-side and caller-side Create Call bodies, by result id."""
    return {
        linked.result.id: CallBodies(
            agent=linked.agent_call.body if linked.agent_call is not None else None,
            caller=linked.caller_call.body if linked.caller_call is not None else None,
        )
        for linked in await store.list_results(workspace_id, run_id)
    }


async def load_run(
    store: Store, workspace_id: int, run_id: str, suite: Suite, *, judge: llm.LLM[Any] | None = None
) -> tuple[RunEvaluation, dict[str, CallBodies]]:
    """Evaluate `run_id` against `suite` (expectations judged by `judge` when given), keep the
    evaluation with the run, and read its bodies; `UnknownRunError` if absent."""
    if await store.get_run(workspace_id, run_id) is None:
        raise UnknownRunError(f"no run {run_id!r} in workspace {workspace_id} of this collector")
    evaluation = await evaluate_run(store, workspace_id, run_id, suite, judge=judge)
    await save_evaluation(store, workspace_id, evaluation)
    return evaluation, await call_bodies(store, workspace_id, run_id)


async def report_run(
    database_url: str | None,
    workspace_id: int,
    run_id: str,
    suite: Suite,
    out_dir: Path,
    formats: Iterable[ReportFormat | str] = ALL_FORMATS,
    *,
    judge: llm.LLM[Any] | None = None,
) -> tuple[RunEvaluation, dict[ReportFormat, Path]]:
    """Open the store at `database_url`, evaluate the run and write its reports."""
    async with await Store.open(database_url) as store:
        evaluation, bodies = await load_run(store, workspace_id, run_id, suite, judge=judge)
    return evaluation, write_reports(evaluation, bodies, out_dir, formats)
