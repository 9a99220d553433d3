"""Repository functions for stored calls."""

from __future__ import annotations

import json

from sqlalchemy import Connection, Select, bindparam, func, insert, select

from .api_keys import check_active
from .incoming import PreparedCall
from .links import find_result_for, lock_link_keys
from .schema import calls
from .types import utcnow
from .views import CallSummary, IngestOutcome, StoredCall, call_summary, stored_call

MAX_LIST = 1000

_SUMMARY = (
    calls.c.id,
    calls.c.workspace_id,
    calls.c.agent_id,
    calls.c.call_id,
    calls.c.side,
    calls.c.received_at,
    calls.c.call_type,
    calls.c.start_timestamp,
    calls.c.duration_ms,
    calls.c.sip_call_id,
    calls.c.result_id,
    calls.c.linked_by,
    calls.c.linked_at,
)
_FULL = (*_SUMMARY, calls.c.body, calls.c.body_sha256, calls.c.notes)

# Statements are built once: constructing them per request cost more than running them.
_EXISTING = select(
    calls.c.id, calls.c.body, calls.c.body_sha256, calls.c.result_id, calls.c.linked_by
).where(
    calls.c.workspace_id == bindparam("workspace_id"),
    calls.c.agent_id == bindparam("agent_id"),
    calls.c.call_id == bindparam("call_id"),
)
_INSERT = insert(calls).returning(calls.c.id)


def ingest_call(
    conn: Connection,
    workspace_id: int,
    agent_id: str,
    call: PreparedCall,
    api_key_id: int | None = None,
    request_id: str | None = None,
) -> IngestOutcome:
    """Store a call once per (workspace, agent, call_id), linking it if its result is known.

    A repeat whose canonical body is the same JSON (key order aside) is `is_new=False`; with
    a different body it is a `conflict` and nothing changes. With `api_key_id`, raises
    `KeyRevokedError` (writing nothing) unless that key is still active.
    """
    if api_key_id is not None:
        check_active(conn, api_key_id)
    record = call.record
    digest = call.sha256()
    identity = {"workspace_id": workspace_id, "agent_id": agent_id, "call_id": record.call_id}
    existing = conn.execute(_EXISTING, identity).one_or_none()
    if existing is not None:
        same = existing.body_sha256 == digest or json.loads(existing.body) == json.loads(
            call.canonical
        )
        return IngestOutcome(
            id=existing.id,
            is_new=False,
            conflict=not same,
            result_id=existing.result_id,
            linked_by=existing.linked_by,
        )
    keys = call.links
    lock_on = [ref for ref, _ in keys.refs()] + [keys.sip_call_id or ""]
    lock_link_keys(conn, workspace_id, lock_on)
    result_id, how = find_result_for(conn, workspace_id, keys)
    now = utcnow()
    new_id = conn.execute(
        _INSERT,
        {
            **identity,
            "body": call.canonical,
            "body_sha256": digest,
            "received_at": now,
            "call_type": str(record.call_type),
            "start_timestamp": record.start_timestamp,
            "duration_ms": record.duration_ms,
            "side": keys.side,
            "sip_call_id": keys.sip_call_id,
            "result_ref": keys.result_ref,
            "result_ref_source": keys.result_ref_source.value if keys.result_ref_source else None,
            "correlation_ref": keys.correlation_ref,
            "result_id": result_id,
            "linked_by": how.value if how else None,
            "linked_at": now if result_id else None,
            "api_key_id": api_key_id,
            "request_id": request_id,
            "notes": list(call.notes),
        },
    ).scalar_one()
    return IngestOutcome(
        id=new_id, is_new=True, result_id=result_id, linked_by=how.value if how else None
    )


def get_call(conn: Connection, workspace_id: int, id: int) -> StoredCall | None:
    """A call by the server's record id, only within `workspace_id`."""
    row = (
        conn.execute(select(*_FULL).where(calls.c.workspace_id == workspace_id, calls.c.id == id))
    ).one_or_none()
    return None if row is None else stored_call(row)


def calls_with_id(conn: Connection, workspace_id: int, call_id: str) -> list[StoredCall]:
    """Every call of the workspace with this client-side call id (one per agent at most)."""
    rows = conn.execute(
        select(*_FULL)
        .where(calls.c.workspace_id == workspace_id, calls.c.call_id == call_id)
        .order_by(calls.c.id)
        .limit(MAX_LIST)
    )
    return [stored_call(row) for row in rows]


def find_call(
    conn: Connection, workspace_id: int, agent_id: str, call_id: str
) -> StoredCall | None:
    """A call by its client-side identity."""
    row = (
        conn.execute(
            select(*_FULL).where(
                calls.c.workspace_id == workspace_id,
                calls.c.agent_id == agent_id,
                calls.c.call_id == call_id,
            )
        )
    ).one_or_none()
    return None if row is None else stored_call(row)


def list_calls(
    conn: Connection,
    workspace_id: int,
    linked: bool | None = None,
    side: str | None = None,
    agent_id: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[CallSummary]:
    """A workspace's calls, newest first. `linked=False, side="agent"` is production traffic."""
    query = select(*_SUMMARY).where(calls.c.workspace_id == workspace_id)
    if linked is not None:
        linked_clause = calls.c.result_id.is_not(None) if linked else calls.c.result_id.is_(None)
        query = query.where(linked_clause)
    if side is not None:
        query = query.where(calls.c.side == side)
    if agent_id is not None:
        query = query.where(calls.c.agent_id == agent_id)
    if before_id is not None:
        query = query.where(calls.c.id < before_id)
    query = query.order_by(calls.c.id.desc()).limit(max(1, min(limit, MAX_LIST)))
    return [call_summary(row) for row in conn.execute(query)]


def count_calls(conn: Connection, workspace_id: int, agent_id: str | None = None) -> int:
    query = select(func.count()).select_from(calls).where(calls.c.workspace_id == workspace_id)
    if agent_id is not None:
        query = query.where(calls.c.agent_id == agent_id)
    return int(conn.execute(query).scalar_one())


def calls_for_result(conn: Connection, workspace_id: int, result_id: str) -> list[StoredCall]:
    rows = conn.execute(
        select(*_FULL)
        .where(calls.c.workspace_id == workspace_id, calls.c.result_id == result_id)
        .order_by(calls.c.id)
    )
    return [stored_call(row) for row in rows]


def calls_for_results(
    conn: Connection, workspace_id: int, result_ids: Select[tuple[str]]
) -> dict[str, list[StoredCall]]:
    """The calls linked to each of `result_ids` (a query), oldest first, in one query."""
    rows = conn.execute(
        select(*_FULL)
        .where(calls.c.workspace_id == workspace_id, calls.c.result_id.in_(result_ids))
        .order_by(calls.c.id)
    )
    linked: dict[str, list[StoredCall]] = {}
    for row in rows:
        linked.setdefault(row.result_id, []).append(stored_call(row))
    return linked
