"""A run's evaluation kept with the run in the collector's store.

`run` and `report` save the evaluation they made (judge verdicts and reasoning included) in
the store's `run_evaluations` table, with a summary the run list reads without the body; the
collector's pages show it from there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from ringback.simulator.store import Store

from .models import EXPECTATIONS_KIND, RunEvaluation


async def save_evaluation(store: Store, workspace_id: int, evaluation: RunEvaluation) -> None:
    """Keep `evaluation` with its run (replacing an earlier one), evaluated now."""
    await store.save_evaluation(
        workspace_id,
        evaluation.run_id,
        evaluation.model_dump(mode="json"),
        total=evaluation.total - evaluation.errors,  # the calls evaluated
        passed=evaluation.passed,
        evaluated_at=datetime.now(timezone.utc),
        suite=evaluation.suite,
        judge_model=judge_model(evaluation),
    )


async def load_evaluation(store: Store, workspace_id: int, run_id: str) -> RunEvaluation | None:
    """The evaluation kept with the run, or None when it has none (or one this version cannot
    read). Validated in a thread: a run of 500 calls is ~1 MB (~20 ms to validate)."""
    kept = await store.get_evaluation(workspace_id, run_id)
    if kept is None:
        return None
    return await asyncio.to_thread(_validated, kept[1])


def _validated(body: Mapping[str, Any]) -> RunEvaluation | None:
    try:
        return RunEvaluation.model_validate(body)
    except ValidationError:
        return None


def judge_model(evaluation: RunEvaluation) -> str | None:
    """The model that judged the run's expectations, if any was judged."""
    for call in evaluation.calls:
        for verdict in call.assertions:
            model = verdict.detail.get("model") if verdict.kind == EXPECTATIONS_KIND else None
            if isinstance(model, str):
                return model
    return None
