"""Repository functions for simulation runs and their results."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..linking import CALLER_SIDE, canonical_result_id, require_result_id
from .calls import calls_for_result
from .links import link_waiting_calls, lock_link_keys
from .schema import results, runs
from .types import utcnow
from .views import ResultInfo, ResultWithCalls, RunInfo

MAX_ID_CHARS = 64


class NotFoundError(LookupError):
    """No such run or result in this workspace."""


def _run(row: Any) -> RunInfo:
    return RunInfo(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        created_at=row.created_at,
        finished_at=row.finished_at,
        metadata=row.meta or {},
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
    row = (
        conn.execute(select(runs).where(runs.c.workspace_id == workspace_id, runs.c.id == run_id))
    ).one_or_none()
    return None if row is None else _run(row)


def list_runs(conn: Connection, workspace_id: int, limit: int = 100) -> list[RunInfo]:
    rows = conn.execute(
        select(runs)
        .where(runs.c.workspace_id == workspace_id)
        .order_by(runs.c.created_at.desc(), runs.c.id)
        .limit(limit)
    )
    return [_run(row) for row in rows]


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
    if get_run(conn, workspace_id, run_id) is None:
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
    rows = conn.execute(
        select(results)
        .where(results.c.workspace_id == workspace_id, results.c.run_id == run_id)
        .order_by(results.c.created_at, results.c.id)
    )
    return [_with_calls(conn, _result(row)) for row in rows.all()]


def _with_calls(conn: Connection, info: ResultInfo) -> ResultWithCalls:
    linked = calls_for_result(conn, info.workspace_id, info.id)
    return ResultWithCalls(
        result=info,
        agent_calls=[c for c in linked if c.side != CALLER_SIDE],
        caller_calls=[c for c in linked if c.side == CALLER_SIDE],
    )
