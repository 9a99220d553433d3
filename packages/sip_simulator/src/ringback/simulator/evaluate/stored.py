"""A run's evaluation kept with the run in the collector's store.

`run` and `report` save the evaluation they made (judge verdicts and reasoning included) in
the run's metadata under `evaluation`; the collector's pages show it from there.
"""

from __future__ import annotations

from pydantic import ValidationError

from ringback.simulator.collector.store import RunInfo, Store

from .models import RunEvaluation

EVALUATION_KEY = "evaluation"


async def save_evaluation(store: Store, workspace_id: int, evaluation: RunEvaluation) -> None:
    """Keep `evaluation` with its run (replacing an earlier one)."""
    await store.update_run_meta(
        workspace_id, evaluation.run_id, {EVALUATION_KEY: evaluation.model_dump(mode="json")}
    )


def saved_evaluation(run: RunInfo) -> RunEvaluation | None:
    """The evaluation kept with `run`, or None when it has none (or one this version cannot
    read)."""
    data = run.metadata.get(EVALUATION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return RunEvaluation.model_validate(data)
    except ValidationError:
        return None
