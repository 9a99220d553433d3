"""Repository functions for simulation runs, their results and their kept evaluations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from ringback.core.errors import RingbackError
from ringback.core.protocol import canonical_result_id

from .calls import calls_for_result, calls_for_results
from .linking import CALLER_SIDE, require_result_id
from .links import link_waiting_calls, lock_link_keys
from .schema import calls, evaluations, results, runs
from .types import utcnow
from .views import EvaluationSummary, ResultInfo, ResultWithCalls, RunInfo, StoredCall

MAX_ID_CHARS = 64


class NotFoundError(RingbackError, LookupError):
    """No such run or result in this workspace."""


_EVALUATION_SUMMARY = (
    evaluations.c.evaluated_at,
    evaluations.c.suite,
    evaluations.c.total,
    evaluations.c.passed,
    evaluations.c.judge_model,
)
_RUNS = select(runs, *_EVALUATION_SUMMARY).select_from(
    runs.outerjoin(
        evaluations,
        and_(evaluations.c.workspace_id == runs.c.workspace_id, evaluations.c.run_id == runs.c.id),
    )
)
"""Runs with their evaluation's summary (never its body)."""


def _run(row: Any) -> RunInfo:
    return RunInfo(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        created_at=row.created_at,
        finished_at=row.finished_at,
        metadata=row.meta or {},
        evaluation=_evaluation_summary(row),
    )


def _evaluation_summary(row: Any) -> EvaluationSummary | None:
    if row.evaluated_at is None:
        return None
    return EvaluationSummary(
        evaluated_at=row.evaluated_at,
        suite=row.suite,
        total=row.total,
        passed=row.passed,
        judge_model=row.judge_model,
    )


def _result(row: Any) -> ResultInfo:
    return ResultInfo(
        id=row.id,
        workspace_id=row.workspace_id,
        run_id=row.run_id,
        scenario_id=row.scenario_id,
        attempt=row.attempt,
        dialled_sip_call_id=row.dialled_sip_call_id,
        created_at=row.created_at,
        metadata=row.meta or {},
    )


def _check_id(kind: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_ID_CHARS:
        raise ValueError(f"a {kind} id must be 1-{MAX_ID_CHARS} characters, not {value!r}")
    return value


def create_run(
    conn: Connection,
    workspace_id: int,
    run_id: str | None = None,
    name: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> RunInfo:
    """Create a simulation run (a new 32-hex id unless `run_id` is given)."""
    run_id = _check_id("run", run_id) if run_id else uuid.uuid4().hex
    conn.execute(
        insert(runs).values(
            id=run_id,
            workspace_id=workspace_id,
            name=name,
            created_at=utcnow(),
            meta=dict(metadata or {}),
        )
    )
    run = get_run(conn, workspace_id, run_id)
    assert run is not None
    return run


def finish_run(conn: Connection, workspace_id: int, run_id: str) -> RunInfo:
    conn.execute(
        update(runs)
        .where(runs.c.workspace_id == workspace_id, runs.c.id == run_id)
        .values(finished_at=utcnow())
    )
    run = get_run(conn, workspace_id, run_id)
    if run is None:
        raise NotFoundError(f"no run {run_id!r} in workspace {workspace_id}")
    return run


def update_run_meta(
    conn: Connection, workspace_id: int, run_id: str, patch: Mapping[str, Any]
) -> RunInfo:
    """Set top-level keys of a run's metadata (others are kept)."""
    run = get_run(conn, workspace_id, run_id)
    if run is None:
        raise NotFoundError(f"no run {run_id!r} in workspace {workspace_id}")
    conn.execute(
        update(runs)
        .where(runs.c.workspace_id == workspace_id, runs.c.id == run_id)
        .values(meta={**run.metadata, **patch})
    )
    updated = get_run(conn, workspace_id, run_id)
    assert updated is not None
    return updated


def get_run(conn: Connection, workspace_id: int, run_id: str) -> RunInfo | None:
    """A run with its evaluation's summary."""
    query = _RUNS.where(runs.c.workspace_id == workspace_id, runs.c.id == run_id)
    row = conn.execute(query).one_or_none()
    return None if row is None else _run(row)


def list_runs(conn: Connection, workspace_id: int, limit: int = 100) -> list[RunInfo]:
    """A workspace's runs, newest first, each with its evaluation's summary."""
    rows = conn.execute(
        _RUNS.where(runs.c.workspace_id == workspace_id)
        .order_by(runs.c.created_at.desc(), runs.c.id)
        .limit(limit)
    )
    return [_run(row) for row in rows]


def _known_run(conn: Connection, workspace_id: int, run_id: str) -> bool:
    query = select(runs.c.id).where(runs.c.workspace_id == workspace_id, runs.c.id == run_id)
    return conn.scalar(query) is not None


def save_evaluation(
    conn: Connection,
    workspace_id: int,
    run_id: str,
    body: Mapping[str, Any],
    summary: EvaluationSummary,
) -> None:
    """Keep `body` as the run's evaluation with its `summary`, replacing an earlier one."""
    if not _known_run(conn, workspace_id, run_id):
        raise NotFoundError(f"no run {run_id!r} in workspace {workspace_id}")
    values = {**summary.model_dump(), "body": dict(body)}
    replaced = conn.execute(
        update(evaluations)
        .where(evaluations.c.workspace_id == workspace_id, evaluations.c.run_id == run_id)
        .values(**values)
    )
    if replaced.rowcount == 0:
        conn.execute(insert(evaluations).values(workspace_id=workspace_id, run_id=run_id, **values))


def get_evaluation(
    conn: Connection, workspace_id: int, run_id: str
) -> tuple[EvaluationSummary, dict[str, Any]] | None:
    """The run's kept evaluation, summary and body; None when it has none."""
    row = conn.execute(
        select(*_EVALUATION_SUMMARY, evaluations.c.body).where(
            evaluations.c.workspace_id == workspace_id, evaluations.c.run_id == run_id
        )
    ).one_or_none()
    summary = None if row is None else _evaluation_summary(row)
    if row is None or summary is None:
        return None
    return summary, row.body


def agent_linked_results(conn: Connection, workspace_id: int, run_id: str) -> set[str]:
    """The ids of the run's results that have an agent-side call linked (no bodies read)."""
    return linked_results(conn, workspace_id, run_id, caller_side=False)


def caller_linked_results(conn: Connection, workspace_id: int, run_id: str) -> set[str]:
    """The ids of the run's results that have the simulated caller's side linked."""
    return linked_results(conn, workspace_id, run_id, caller_side=True)


def linked_results(
    conn: Connection, workspace_id: int, run_id: str, *, caller_side: bool
) -> set[str]:
    rows = conn.execute(
        select(results.c.id)
        .distinct()
        .join(
            calls,
            and_(calls.c.workspace_id == results.c.workspace_id, calls.c.result_id == results.c.id),
        )
        .where(
            results.c.workspace_id == workspace_id,
            results.c.run_id == run_id,
            calls.c.side == CALLER_SIDE if caller_side else calls.c.side != CALLER_SIDE,
        )
    )
    return set(rows.scalars())


def register_result(
    conn: Connection,
    workspace_id: int,
    run_id: str,
    result_id: str,
    scenario_id: str,
    attempt: int = 0,
    dialled_sip_call_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ResultInfo:
    """Record one planned call of a run and link calls that already arrived for it.

    `result_id` must be 32 hex or 26 base32 characters (it travels in X-Result-Id).
    """
    result_id = require_result_id(result_id)
    if not _known_run(conn, workspace_id, run_id):
        raise NotFoundError(f"no run {run_id!r} in workspace {workspace_id}; create it first")
    dialled = dialled_sip_call_id.strip() if dialled_sip_call_id else None
    lock_link_keys(conn, workspace_id, [result_id, dialled or ""])
    conn.execute(
        insert(results).values(
            id=result_id,
            workspace_id=workspace_id,
            run_id=run_id,
            scenario_id=scenario_id,
            attempt=attempt,
            dialled_sip_call_id=dialled or None,
            created_at=utcnow(),
            meta=dict(metadata or {}),
        )
    )
    link_waiting_calls(conn, workspace_id, result_id, dialled)
    info = _get_result_info(conn, workspace_id, result_id)
    assert info is not None
    return info


def set_dialled_call_id(
    conn: Connection, workspace_id: int, result_id: str, sip_call_id: str
) -> ResultInfo:
    """Set the Call-ID the simulator dialled for a result (known only once the call is up),
    and link calls that carry it."""
    result_id = require_result_id(result_id)
    dialled = sip_call_id.strip()
    if not dialled:
        raise ValueError("the dialled SIP Call-ID is empty")
    lock_link_keys(conn, workspace_id, [result_id, dialled])
    done = conn.execute(
        update(results)
        .where(results.c.workspace_id == workspace_id, results.c.id == result_id)
        .values(dialled_sip_call_id=dialled)
    )
    if done.rowcount == 0:
        raise NotFoundError(f"no result {result_id!r} in workspace {workspace_id}")
    link_waiting_calls(conn, workspace_id, result_id, dialled)
    info = _get_result_info(conn, workspace_id, result_id)
    assert info is not None
    return info


def _get_result_info(conn: Connection, workspace_id: int, result_id: str) -> ResultInfo | None:
    row = (
        conn.execute(
            select(results).where(results.c.workspace_id == workspace_id, results.c.id == result_id)
        )
    ).one_or_none()
    return None if row is None else _result(row)


def get_result(conn: Connection, workspace_id: int, result_id: str) -> ResultWithCalls | None:
    """A result with its linked agent-side and caller-side calls."""
    canonical = canonical_result_id(result_id)
    if canonical is None:
        return None
    info = _get_result_info(conn, workspace_id, canonical)
    if info is None:
        return None
    return _with_calls(conn, info)


def list_results(conn: Connection, workspace_id: int, run_id: str) -> list[ResultWithCalls]:
    """Every result of a run, in the order registered, each with its linked calls."""
    of_run = (results.c.workspace_id == workspace_id, results.c.run_id == run_id)
    rows = conn.execute(select(results).where(*of_run).order_by(results.c.created_at, results.c.id))
    infos = [_result(row) for row in rows.all()]
    linked = calls_for_results(conn, workspace_id, select(results.c.id).where(*of_run))
    return [_split(info, linked.get(info.id, [])) for info in infos]


def _with_calls(conn: Connection, info: ResultInfo) -> ResultWithCalls:
    return _split(info, calls_for_result(conn, info.workspace_id, info.id))


def _split(info: ResultInfo, linked: list[StoredCall]) -> ResultWithCalls:
    return ResultWithCalls(
        result=info,
        agent_calls=[c for c in linked if c.side != CALLER_SIDE],
        caller_calls=[c for c in linked if c.side == CALLER_SIDE],
    )
